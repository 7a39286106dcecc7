// Adaptive concurrency against fixed concurrency on an endpoint that allows fewer requests per
// second than the shipper would make: the share of requests answered with throttling, and the
// throughput delivered, each measured in the same run.
import { setTimeout as sleep } from 'node:timers/promises';
import { LogShipper } from '../../dist/index.js';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { line, ratio } from './util.mjs';

const TPS_LIMIT = 40;
const DURATION_MS = 6_000;
const EVENTS_PER_TICK = 400; // every 10 ms: 40,000 events/s, in requests of at most 250 events

async function trial(adaptiveConcurrency) {
  const cwl = await startLocalCloudWatchLogs({ faults: { tpsLimit: TPS_LIMIT } });
  const shipper = new LogShipper({
    logGroupName: '/bench/adaptive',
    logStreamName: 'a',
    clientConfig: cwl.clientConfig(),
    createLogGroup: true,
    concurrency: 8,
    perStreamConcurrency: 8,
    maxBatchEvents: 250,
    maxBufferedEvents: 1_000_000,
    adaptiveConcurrency,
  });
  const started = performance.now();
  let seq = 0;
  while (performance.now() - started < DURATION_MS) {
    for (let i = 0; i < EVENTS_PER_TICK; i++) shipper.log(line(seq++));
    await sleep(10);
  }
  // Throughput: what the endpoint accepted while demand lasted (the drain at close is not counted).
  const window = cwl.stats();
  const seconds = (performance.now() - started) / 1000;
  await shipper.close();
  const stats = shipper.stats();
  const local = cwl.stats();
  await cwl.close();
  if (stats.sent !== seq) throw new Error(`sent ${stats.sent} of ${seq}`);
  const requests = local.requests.PutLogEvents ?? 0;
  return {
    throttledShare: local.faults.tpsThrottled / requests,
    rate: window.eventsAccepted / seconds,
    requests,
  };
}

export async function run() {
  const fixed = await trial(false);
  const adaptive = await trial(true);
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const fmt = (x) => `${Math.round(x).toLocaleString('en-US')} events/s`;
  console.log(
    `\n## Adaptive concurrency (endpoint limited to ${TPS_LIMIT} PutLogEvents/s, demand far above it)`,
  );
  console.log(
    `fixed concurrency 8: ${pct(fixed.throttledShare)} of ${fixed.requests} requests throttled, ${fmt(fixed.rate)} delivered`,
  );
  console.log(
    `adaptive (1 to 8):   ${pct(adaptive.throttledShare)} of ${adaptive.requests} requests throttled, ${fmt(adaptive.rate)} delivered`,
  );
  console.log(
    `  → throttled share ${ratio(adaptive.throttledShare, fixed.throttledShare)} of fixed (target ≤ 0.5×); ` +
      `throughput ${ratio(adaptive.rate, fixed.rate)} of fixed (target within 10 %)`,
  );
}
