// One process of the fleet bench (see fleet.mjs): ships `rate` events/s for `productionMs` to the
// local endpoint the parent started, then closes within `drainMs`, and prints its counts as JSON.
import { setTimeout as sleep } from 'node:timers/promises';
import { LogShipper } from '../../dist/index.js';
import { line } from './util.mjs';

const { endpoint, id, adaptive, rate, productionMs, drainMs, maxBufferedEvents, maxBatchEvents } = JSON.parse(
  process.argv[2],
);
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
});
// Wait for the parent's go, so that every process starts producing at the same moment.
await new Promise((resolve) => process.once('message', resolve));
const TICK_MS = 10;
const started = performance.now();
let seq = 0;
while (performance.now() - started < productionMs) {
  // Catch up to the rate by the clock, whatever the timers' slack on a busy machine.
  const due = Math.floor(((performance.now() - started) / 1000) * rate);
  while (seq < due) shipper.log(line(seq++));
  await sleep(TICK_MS);
}
const atEnd = shipper.stats();
await shipper.close({ timeoutMs: drainMs });
const stats = shipper.stats();
process.send({
  id,
  logged: seq,
  deliveredByEnd: atEnd.sent,
  sent: stats.sent,
  lost: Object.values(stats.dropped).reduce((a, b) => a + b, 0),
  overflow: stats.dropped.overflow,
  batches: stats.batches,
  retries: stats.retries,
});
process.disconnect();
