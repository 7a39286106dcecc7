// One process of the fleet bench (see fleet.mjs): ships `rate` events/s for `productionMs` to the
// local endpoint the parent started, then closes within `drainMs`, and prints its counts as JSON.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { LogShipper } from '../../dist/index.js';
import { line } from './util.mjs';

const { endpoint, id, adaptive, rate, productionMs, drainMs, maxBufferedEvents, maxBatchEvents, thread } =
  JSON.parse(process.argv[2]);
const shipper = new LogShipper({
  logGroupName: '/bench/fleet',
  logStreamName: `p${id}`,
  clientConfig: {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  },
  concurrency: 8,
  perStreamConcurrency: 8,
  maxBatchEvents,
  maxBufferedEvents,
  adaptiveConcurrency: adaptive,
  ...(thread === undefined ? {} : { thread }),
});
// Ready once a first request went through: the worker thread is up and the SDK loaded (on a loaded
// machine that takes seconds, and a process that produced meanwhile would start behind the others).
const go = new Promise((resolve) => process.once('message', resolve));
const readyStarted = performance.now();
shipper.log('warm-up');
await shipper.flush({ timeoutMs: 30_000 });
const warmUp = shipper.stats().sent;
process.send({ ready: true, readyMs: Math.round(performance.now() - readyStarted) });
// Wait for the parent's go, so that every process starts producing at the same moment.
await go;
const TICK_MS = 10;
const started = performance.now();
const cpuAtStart = process.cpuUsage();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
/** What had been delivered at the end of each second of production. */
const timeline = [];
let seq = 0;
while (performance.now() - started < productionMs) {
  if (performance.now() - started >= (timeline.length + 1) * 1000)
    timeline.push(shipper.stats().sent - warmUp);
  // Catch up to the rate by the clock, whatever the timers' slack on a busy machine.
  const due = Math.floor(((performance.now() - started) / 1000) * rate);
  while (seq < due) shipper.log(line(seq++));
  await sleep(TICK_MS);
}
const atEnd = shipper.stats();
// CPU of every thread of the process (the worker's too), during production.
const cpu = process.cpuUsage(cpuAtStart);
loopDelay.disable();
await shipper.close({ timeoutMs: drainMs });
const stats = shipper.stats();
process.send({
  id,
  logged: seq,
  deliveredByEnd: atEnd.sent - warmUp,
  sent: stats.sent - warmUp,
  lost: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
  overflow: stats.dropped.overflow,
  batches: stats.batches,
  retries: stats.retries,
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  loopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
  timeline,
});
process.disconnect();
