// One configuration of the event-loop delay bench (see loop-delay.mjs): logs `rate` events/s of
// `bytes` bytes at an even pace for `durationMs`, shipping them to the parent's local endpoint in
// `mode` ('main' or 'worker'), or not shipping at all ('none': the baseline), while
// monitorEventLoopDelay watches the event loop; sends back the delay percentiles as JSON.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { clientConfig, makeShipper } from './modes.mjs';
import { line } from './util.mjs';

const { endpoint, mode, rate, bytes, durationMs, tickMs } = JSON.parse(process.argv[2]);
const messages = Array.from({ length: 4096 }, (_, i) => line(i).padEnd(bytes, '.'));

let shipper;
if (mode !== 'none') {
  // Default options: only the destination and the way to the endpoint.
  const made = makeShipper(mode, {
    logGroupName: '/bench/loop-delay',
    logStreamName: mode,
    clientConfig: clientConfig(endpoint),
  });
  if (made.unavailable) {
    process.send({ mode, unavailable: made.unavailable }, () => process.exit(0));
    await new Promise(() => {});
  }
  shipper = made.shipper;
  shipper.on('error', () => {});
}
// Not shipping, the program still builds its messages, so that the baseline differs by the shipper alone.
const sink = [];
const emit = shipper ? (m) => shipper.log(m) : (m) => sink.push(m);

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const started = process.hrtime.bigint();
let seq = 0;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // Catch up to the rate by the clock, so that a late tick logs what it owes.
    const due = Math.floor((Math.min(elapsedMs, durationMs) / 1000) * rate);
    while (seq < due) emit(messages[seq++ & 4095]);
    if (sink.length > 100_000) sink.length = 0;
    if (elapsedMs >= durationMs) {
      clearInterval(timer);
      resolve();
    }
  }, tickMs);
});
histogram.disable();
const ms = (ns) => ns / 1e6;
const result = {
  mode,
  logged: seq,
  p99: ms(histogram.percentile(99)),
  p999: ms(histogram.percentile(99.9)),
  max: ms(histogram.max),
};
if (shipper) {
  await shipper.close({ timeoutMs: 10_000 });
  const stats = shipper.stats();
  result.sent = stats.sent;
  result.lost = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
}
process.send(result, () => process.exit(0));
