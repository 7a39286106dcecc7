// One ending of the exit-delivery bench (see exit.mjs): logs `count` events, then ends the process
// at once by `ending`: 'exit' (process.exit(0)), 'uncaught' (an exception nobody catches) or
// 'rejection' (a promise rejection nobody handles), or lets it end by itself ('end': the event loop
// runs out, which `flushOnExit` handles in both modes, so it shows what a delivery looks like). Just before, it writes one line to standard
// output (synchronous for a pipe on Linux, so it is out before the ending begins) with the time.
import { clientConfig, makeShipper } from './modes.mjs';
import { line } from './util.mjs';

const { endpoint, mode, ending, count, stream, options } = JSON.parse(process.argv[2]);
const made = makeShipper(mode, {
  logGroupName: '/bench/exit',
  logStreamName: stream,
  clientConfig: clientConfig(endpoint),
  ...options,
});
if (made.unavailable) {
  process.stdout.write(`${JSON.stringify({ unavailable: made.unavailable })}\n`);
  process.exit(0);
}
const { shipper } = made;
shipper.on('error', () => {});
// A turn of the event loop, as a program that has been running a while.
setImmediate(() => {
  for (let i = 0; i < count; i++) shipper.log(line(i));
  process.stdout.write(`${JSON.stringify({ endingAtMs: Date.now() })}\n`);
  if (ending === 'exit') process.exit(0);
  if (ending === 'rejection') Promise.reject(new Error('bench: an unhandled rejection'));
  else if (ending === 'uncaught') throw new Error('bench: an uncaught exception');
});
