// One side of the 10× overload measurement, run in a process of its own so that each starts from
// the same RSS: `node --expose-gc overload.mjs producer|shipper <maxBufferedBytes> [dropOldest|dropNewest]`. Prints JSON.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';
import { line } from './util.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [mode, bytesArg] = process.argv.slice(2);
const maxBufferedBytes = Number(bytesArg);
const count = Math.ceil((10 * maxBufferedBytes) / Buffer.byteLength(line(1)));

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
        client,
        maxBufferedEvents: 100_000_000,
        maxBufferedBytes,
        flushIntervalMs: 3_600_000,
        onBufferFull: process.argv[4] ?? 'dropOldest',
      })
    : undefined;
shipper?.on('error', () => {});

globalThis.gc();
const base = process.memoryUsage().rss;
let peak = base;
let sink = 0;
for (let i = 0; i < count; i++) {
  const message = line(i);
  if (shipper) shipper.log(message);
  else sink += message.length;
  if ((i & 0xffff) === 0) {
    peak = Math.max(peak, process.memoryUsage().rss);
    await yieldToLoop();
  }
}
peak = Math.max(peak, process.memoryUsage().rss);
const stats = shipper?.stats();
console.log(JSON.stringify({ count, growth: peak - base, overflow: stats?.dropped.overflow ?? 0, sink }));
process.exit(0);
