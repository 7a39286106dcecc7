// Throughput of the local CloudWatch Logs endpoint (cloudwatch-shipper/testing), which the shipper's
// benchmark pushes a million events through: it must never be the bottleneck.
// Run after `npm run build`: node test/bench/endpoint.mjs [messageBytes=100] [totalEvents=1000000]
//
// Batches are as full as the API allows: 10,000 events, or fewer when 10,000 messages plus their
// 26-byte overhead would pass 1,048,576 bytes (with 100-byte messages, 8,322 per batch; with 78, 10,000).
// Two measurements of the same batches:
// - "SDK": through a real CloudWatchLogsClient, as the shipper sends them (client serialization included);
// - "raw HTTP": pre-serialized bodies over a keep-alive agent, which leaves mostly the endpoint's own cost.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../../dist/index.js';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MESSAGE_BYTES = Number(process.argv[2] ?? 100);
const TOTAL_EVENTS = Number(process.argv[3] ?? 1_000_000);
const EVENTS_PER_REQUEST = Math.min(
  MAX_BATCH_EVENTS,
  Math.floor(MAX_BATCH_BYTES / (MESSAGE_BYTES + EVENT_OVERHEAD_BYTES)),
);
const REQUESTS = Math.ceil(TOTAL_EVENTS / EVENTS_PER_REQUEST);
const GROUP = '/bench/endpoint';
const STREAM = 'stream-1';

const baseMs = Date.now() - 60_000;
const batches = Array.from({ length: REQUESTS }, (_, request) =>
  Array.from(
    { length: Math.min(EVENTS_PER_REQUEST, TOTAL_EVENTS - request * EVENTS_PER_REQUEST) },
    (_, index) => ({
      timestamp: baseMs + request,
      message: `${String(request * EVENTS_PER_REQUEST + index).padStart(12, '0')} ${'x'.repeat(MESSAGE_BYTES - 13)}`,
    }),
  ),
);
const totalEvents = TOTAL_EVENTS;
const totalMessageBytes = totalEvents * MESSAGE_BYTES;

const cwl = await startLocalCloudWatchLogs();
const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });

async function prepare() {
  cwl.reset();
  await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
}

function check(label) {
  const stats = cwl.stats();
  if (stats.eventsAccepted !== totalEvents || stats.violations.total !== 0) {
    throw new Error(
      `${label}: accepted ${stats.eventsAccepted} of ${totalEvents}, ${stats.violations.total} violations`,
    );
  }
}

function report(label, elapsedMs) {
  const seconds = elapsedMs / 1000;
  console.log(
    `${label.padEnd(28)} ${elapsedMs.toFixed(0).padStart(6)} ms  ` +
      `${Math.round(totalEvents / seconds)
        .toLocaleString('en-US')
        .padStart(10)} events/s  ` +
      `${(totalMessageBytes / 1_048_576 / seconds).toFixed(0).padStart(4)} MiB/s  ` +
      `${(elapsedMs / REQUESTS).toFixed(2)} ms/request`,
  );
}

async function viaSdk(concurrency, { warmUp = false } = {}) {
  await prepare();
  let next = 0;
  const startedMs = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < REQUESTS) {
        const logEvents = batches[next++];
        await client.send(new PutLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, logEvents }));
      }
    }),
  );
  const elapsedMs = performance.now() - startedMs;
  check('SDK');
  if (!warmUp) report(`SDK, ${concurrency} in flight`, elapsedMs);
}

async function viaRawHttp() {
  await prepare();
  const bodies = batches.map((logEvents) =>
    Buffer.from(JSON.stringify({ logGroupName: GROUP, logStreamName: STREAM, logEvents })),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(cwl.endpoint);
  const startedMs = performance.now();
  for (const body of bodies) {
    await new Promise((resolve, reject) => {
      const req = request(
        {
          agent,
          hostname,
          port,
          method: 'POST',
          path: '/',
          headers: {
            'content-type': 'application/x-amz-json-1.1',
            'x-amz-target': 'Logs_20140328.PutLogEvents',
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  const elapsedMs = performance.now() - startedMs;
  agent.destroy();
  check('raw HTTP');
  report('raw HTTP, 1 in flight', elapsedMs);
}

console.log(
  `${TOTAL_EVENTS.toLocaleString('en-US')} events of ${MESSAGE_BYTES} B in ${REQUESTS} PutLogEvents ` +
    `of up to ${EVENTS_PER_REQUEST.toLocaleString('en-US')} ` +
    `(${(totalMessageBytes / 1_048_576).toFixed(0)} MiB of messages), Node ${process.version}`,
);
await viaSdk(1, { warmUp: true });
await viaSdk(1);
await viaSdk(4);
await viaRawHttp();

client.destroy();
await cwl.close();
