// End-to-end throughput on the local endpoint: LogShipper, from the first log() to the last
// acknowledgement, next to the SDK floor: the same events pre-batched perfectly and sent with
// client.send(new PutLogEventsCommand(...)) through a p-queue of the same concurrency.
import { once } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import PQueue from 'p-queue';
import { EVENT_OVERHEAD_BYTES, LogShipper, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../../dist/index.js';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { line, rate, ratio } from './util.mjs';

const N = 1_000_000;
const STREAMS = 4;
const CONCURRENCY = 8;
const GROUP = '/bench/e2e';

/** Perfect batches per stream: as many events as the count and byte limits allow. */
function prebatch(events) {
  const batches = [];
  let batch = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message) + EVENT_OVERHEAD_BYTES;
    if (batch.length === MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

async function floor(client, streamPrefix, messages, now) {
  const perStream = Array.from({ length: STREAMS }, () => []);
  for (let i = 0; i < N; i++)
    perStream[i % STREAMS].push({ timestamp: now + (i >> 2), message: messages[i] });
  const work = perStream.flatMap((events, s) =>
    prebatch(events).map((logEvents) => ({ logStreamName: `${streamPrefix}${s}`, logEvents })),
  );
  const queue = new PQueue({ concurrency: CONCURRENCY });
  const start = process.hrtime.bigint();
  await Promise.all(
    work.map((w) => queue.add(() => client.send(new PutLogEventsCommand({ logGroupName: GROUP, ...w })))),
  );
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function shipper(client, streamPrefix, messages, now) {
  const s = new LogShipper({
    logGroupName: GROUP,
    logStreamName: `${streamPrefix}0`,
    client,
    concurrency: CONCURRENCY,
  });
  const destinations = Array.from({ length: STREAMS }, (_, i) => ({ logStreamName: `${streamPrefix}${i}` }));
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    // A producer that honours backpressure: when log() says the buffer is filling, wait for a batch.
    if (!s.log({ message: messages[i], timestamp: now + (i >> 2) }, destinations[i % STREAMS])) {
      await once(s, 'batch');
    } else if ((i & 0x3fff) === 0) {
      await yieldToLoop();
    }
  }
  await s.flush();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const stats = s.stats();
  await s.close();
  if (stats.sent !== N) throw new Error(`LogShipper sent ${stats.sent} of ${N}`);
  return ms;
}

export async function run() {
  const cwl = await startLocalCloudWatchLogs();
  const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
  await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  const messages = Array.from({ length: N }, (_, i) => line(i));
  const rounds = 3;
  let bestFloor = Number.POSITIVE_INFINITY;
  let bestShipper = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    for (const prefix of [`floor-${r}-`, `shipper-${r}-`]) {
      for (let s = 0; s < STREAMS; s++) {
        await client.send(
          new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: `${prefix}${s}` }),
        );
      }
    }
    const now = Date.now();
    globalThis.gc?.();
    bestFloor = Math.min(bestFloor, await floor(client, `floor-${r}-`, messages, now));
    globalThis.gc?.();
    bestShipper = Math.min(bestShipper, await shipper(client, `shipper-${r}-`, messages, now));
    cwl.reset();
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  }
  client.destroy();
  await cwl.close();
  console.log(
    `\n## End to end on the local endpoint (1,000,000 events of ~100 bytes, ${STREAMS} streams, concurrency ${CONCURRENCY}, best of ${rounds})`,
  );
  console.log(`SDK floor (pre-batched, PutLogEventsCommand through p-queue): ${rate(N, bestFloor)}`);
  console.log(`LogShipper (first log() to last acknowledgement):            ${rate(N, bestShipper)}`);
  console.log(`  → LogShipper/floor throughput ${ratio(bestFloor, bestShipper)} (target ≥ 0.9×)`);
}
