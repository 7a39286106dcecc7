// Cost of log() per event, next to pushing { timestamp: Date.now(), message } onto an array.
// Nothing is sent: the client never gets a request because the buffer is large and the
// interval long, so this measures the hot path alone.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';
import { line, ratio } from './util.mjs';

const N = 1_000_000;

function gc() {
  globalThis.gc?.();
}

function timeOnce(fn) {
  gc();
  const start = process.hrtime.bigint();
  const keep = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, keep };
}

export async function run() {
  const messages = Array.from({ length: N }, (_, i) => line(i));
  // A loopback port nothing listens on: should anything be sent, it goes nowhere.
  const client = new CloudWatchLogsClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  const baseline = () => {
    const events = [];
    for (let i = 0; i < N; i++) events.push({ timestamp: Date.now(), message: messages[i] });
    return events;
  };
  const shipper = () => {
    const s = new LogShipper({
      logGroupName: 'bench',
      logStreamName: 'ingest',
      client,
      // Large enough that nothing overflows and no full batch is ever sent.
      maxBatchEvents: 10_000,
      maxBufferedEvents: 2 * N,
      maxBufferedBytes: 2 ** 31,
      flushIntervalMs: 3_600_000,
    });
    for (let i = 0; i < N; i++) s.log(messages[i]);
    return s;
  };
  const rounds = 5;
  let bestBase = Number.POSITIVE_INFINITY;
  let bestShip = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const b = timeOnce(baseline);
    bestBase = Math.min(bestBase, b.ms);
    b.keep.length = 0;
    const s = timeOnce(shipper);
    bestShip = Math.min(bestShip, s.ms);
    s.keep.on('error', () => {});
    await s.keep.close({ timeoutMs: 0 });
  }
  console.log('\n## Ingest cost of log() (1,000,000 events of ~100 bytes, best of 5)');
  console.log(`array push baseline: ${((bestBase * 1e6) / N).toFixed(0)} ns/event`);
  console.log(`LogShipper.log():    ${((bestShip * 1e6) / N).toFixed(0)} ns/event`);
  console.log(`  → log()/baseline ${ratio(bestShip, bestBase)} (target ≤ 3×)`);
  fullBuffer(client, messages);
  client.destroy();
}

/**
 * log() on a full buffer under dropOldest, where every call evicts the event logged first, with the
 * events spread over 1, 5,000 and 50,000 destinations: the cost must not grow with their number.
 */
function fullBuffer(client, messages) {
  const HELD = 100_000;
  const MORE = 200_000;
  const perDestination = {};
  for (const destinations of [1, 5_000, 50_000]) {
    const s = new LogShipper({
      logGroupName: 'bench',
      logStreamName: 'd0',
      client,
      maxBufferedEvents: HELD,
      maxBufferedBytes: 2 ** 31,
      flushIntervalMs: 3_600_000,
      dropMarkers: false,
    });
    s.on('error', () => {});
    const names = Array.from({ length: destinations }, (_, i) => ({ logStreamName: `d${i}` }));
    for (let i = 0; i < HELD; i++) s.log(messages[i], names[i % destinations]);
    gc();
    const start = process.hrtime.bigint();
    for (let i = 0; i < MORE; i++) s.log(messages[i], names[i % destinations]);
    perDestination[destinations] = Number(process.hrtime.bigint() - start) / MORE;
    void s.close({ timeoutMs: 0 });
  }
  const base = perDestination[1];
  console.log('\n## log() on a full buffer (dropOldest evicts one event per call; 100,000 held)');
  for (const [destinations, ns] of Object.entries(perDestination)) {
    console.log(
      `${Number(destinations).toLocaleString('en-US').padStart(6)} destinations: ${ns.toFixed(0)} ns/event` +
        (Number(destinations) === 1
          ? ' (baseline)'
          : `  → ${ratio(ns, base)} the 1-destination cost (target ≤ 2×)`),
    );
  }
}
