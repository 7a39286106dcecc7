// One side of the 10× overload measurement, run in a process of its own so that each starts from
// the same RSS: `node --expose-gc overload.mjs producer|shipper <maxBufferedBytes> <dropOldest|dropNewest> <messageBytes> [main|worker]`.
// The growth is the outage's: it is measured from a shipper that has started (`ready()`: in main mode
// its client made, the SDK loaded here before, as it always was; in worker mode the worker running
// with its own SDK), as a service's would have long before its endpoint went down. What a start
// costs is the cold-start section's. The ring and the worker's arena are in the growth.
// The producer makes the same messages in both modes; only `shipper` logs them. In worker mode it
// lets the worker read the ring (it waits while more of it is unread than half the smallest ring,
// about where `log()` answers `false`): unpaced, it logs faster than a gigabyte a second, and while the worker made
// its first request most of the overload was dropped at a full ring, never reaching the buffers
// whose bound is measured. What is held at the end is printed, to show the bound was reached.
// Prints JSON.
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [mode, bytesArg, policy = 'dropOldest', sizeArg = '100', thread = 'main'] = process.argv.slice(2);
const maxBufferedBytes = Number(bytesArg);
const messageBytes = Number(sizeArg);
const count = Math.ceil((10 * maxBufferedBytes) / messageBytes);

// Each message different (its number first), ASCII, exactly messageBytes long.
const filler = 'abcdefghijklmnopqrstuvwxyz0123456789 '.repeat(Math.ceil(messageBytes / 37) + 1);
const message = (i) => {
  const head = `${i} `;
  return head.length >= messageBytes
    ? head.slice(0, messageBytes)
    : head + filler.slice(0, messageBytes - head.length);
};

// The endpoint is down: a loopback port nothing listens on.
const client = new CloudWatchLogsClient({
  endpoint: 'http://127.0.0.1:9',
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  maxAttempts: 1,
});
const shipper =
  mode === 'shipper'
    ? new LogShipper({
        logGroupName: 'bench',
        logStreamName: 'overload',
        // A client instance cannot cross to a worker: worker mode makes its own from the same settings.
        ...(thread === 'worker'
          ? {
              clientConfig: {
                endpoint: 'http://127.0.0.1:9',
                region: 'us-east-1',
                credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
              },
            }
          : { client }),
        thread,
        maxBufferedEvents: 100_000_000,
        maxBufferedBytes,
        flushIntervalMs: 3_600_000,
        onBufferFull: policy,
      })
    : undefined;
shipper?.on('error', () => {});
// Started, so that the events reach the shipper's buffers rather than a ring nobody reads yet.
if (shipper && !(await shipper.ready())) throw new Error('the shipper could not start');

globalThis.gc();
const base = process.memoryUsage().rss;
let peak = base;
let sink = 0;
// Look at RSS about every 4 MiB logged, and let the event loop run (the shipper's retries, timers).
const every = Math.max(1, Math.floor((4 * 1024 * 1024) / messageBytes));
// The ring between the threads, in worker mode (an internal view, for this measurement), and how
// much of it may be unread: half the smallest ring (4 MiB; 8 MiB for this bound).
const ring = thread === 'worker' ? shipper?.workerView : undefined;
const halfRing = 2 * 1024 * 1024;
for (let i = 0; i < count; i++) {
  const text = message(i);
  if (shipper) shipper.log(text);
  // The same work on the string as the shipper does first: measuring it (which flattens it).
  else sink += Buffer.byteLength(text);
  if (i % every === 0) {
    peak = Math.max(peak, process.memoryUsage().rss);
    await yieldToLoop();
    while (ring !== undefined && shipper.workerView.unreadBytes > halfRing) {
      await sleep(1);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  }
}
peak = Math.max(peak, process.memoryUsage().rss);
const stats = shipper?.stats();
console.log(
  JSON.stringify({
    count,
    growth: peak - base,
    overflow: stats?.dropped.overflow ?? 0,
    held: stats === undefined ? 0 : stats.buffered + stats.inFlight,
    sink,
  }),
);
process.exit(0);
