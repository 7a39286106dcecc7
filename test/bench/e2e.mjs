// End-to-end throughput and CPU on the local endpoint: LogShipper in each thread mode, from the
// first log() to the last acknowledgement, next to the SDK floor: the same events pre-batched
// perfectly and sent with client.send(new PutLogEventsCommand(...)) through a p-queue of the same
// concurrency. On 1 stream and on 4. The endpoint runs in a process of its own, so that the CPU
// measured here (process.cpuUsage: every thread of this process, a worker's included) is the
// shipping's alone; each run is checked against what the endpoint accepted.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import PQueue from 'p-queue';
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../../dist/index.js';
import { clientConfig, MODES, makeShipper } from './modes.mjs';
import { line, rate, ratio } from './util.mjs';

const N = 1_000_000;
const STREAM_COUNTS = [1, 4];
const CONCURRENCY = 8;
const ROUNDS = 3;
const GROUP = '/bench/e2e';
const ENDPOINT = fileURLToPath(new URL('./endpoint-child.mjs', import.meta.url));

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

/** The local endpoint in another process, and a way to ask it things. */
async function startEndpoint() {
  const child = fork(ENDPOINT);
  const [{ endpoint }] = await once(child, 'message');
  let next = 0;
  const ask = (op) =>
    new Promise((resolve) => {
      const id = next++;
      const onMessage = (message) => {
        if (message.id !== id) return;
        child.off('message', onMessage);
        resolve(message.result);
      };
      child.on('message', onMessage);
      child.send({ id, op });
    });
  const close = async () => {
    const exited = once(child, 'exit');
    await ask('close');
    child.disconnect();
    await exited;
  };
  return { endpoint, ask, close };
}

/** Wall time and CPU (user + system, every thread of this process) of `work`, in milliseconds. */
async function measure(work) {
  globalThis.gc?.();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

function floor(client, streams, streamPrefix, messages, now) {
  const perStream = Array.from({ length: streams }, () => []);
  for (let i = 0; i < N; i++)
    perStream[i % streams].push({ timestamp: now + (i >> 2), message: messages[i] });
  const work = perStream.flatMap((events, s) =>
    prebatch(events).map((logEvents) => ({ logStreamName: `${streamPrefix}${s}`, logEvents })),
  );
  const queue = new PQueue({ concurrency: CONCURRENCY });
  return measure(() =>
    Promise.all(
      work.map((w) => queue.add(() => client.send(new PutLogEventsCommand({ logGroupName: GROUP, ...w })))),
    ),
  );
}

/**
 * The next `'drain'`, or a second at most: a mode that failed to emit one must not hang the bench
 * (it would show as a throughput far below the floor's instead).
 */
async function nextDrain(s) {
  const timeout = AbortSignal.timeout(1_000);
  await once(s, 'drain', { signal: timeout }).catch(() => {});
}

/** `{ unavailable }` when this build has no such mode. */
async function shipper(mode, endpoint, streams, streamPrefix, messages, now) {
  const made = makeShipper(mode, {
    logGroupName: GROUP,
    logStreamName: `${streamPrefix}0`,
    clientConfig: { ...clientConfig(endpoint), maxAttempts: 1 },
    concurrency: CONCURRENCY,
    // The floor's p-queue puts CONCURRENCY requests in flight on one stream too.
    perStreamConcurrency: CONCURRENCY,
  });
  if (made.unavailable) return made;
  const s = made.shipper;
  const destinations = Array.from({ length: streams }, (_, i) => ({ logStreamName: `${streamPrefix}${i}` }));
  const result = await measure(async () => {
    for (let i = 0; i < N; i++) {
      // A producer that honours backpressure as a stream does: when log() answers false, it waits
      // for 'drain'. (Waiting for a 'batch' instead held worker mode back for nothing: its log()
      // answers false when the ring to the worker is half full, which the worker empties in
      // milliseconds, while on 4 streams no batch is full yet and none is sent before the flush
      // interval.)
      if (!s.log({ message: messages[i], timestamp: now + (i >> 2) }, destinations[i % streams])) {
        await nextDrain(s);
      } else if ((i & 0x3fff) === 0) {
        await yieldToLoop();
      }
    }
    await s.flush();
  });
  const stats = s.stats();
  await s.close();
  if (stats.sent !== N) throw new Error(`LogShipper (thread: '${mode}') sent ${stats.sent} of ${N}`);
  return result;
}

export async function run() {
  const cwl = await startEndpoint();
  // A client for each run, destroyed after it: a keep-alive socket left idle while another run goes
  // on is closed by the endpoint's keepAliveTimeout, and a request written to it as it closes fails
  // (EPIPE) with nobody to retry it (maxAttempts 1, as the shipper's own client).
  let client;
  const messages = Array.from({ length: N }, (_, i) => line(i));
  const runners = {
    floor: (streams, prefix, now) => floor(client, streams, prefix, messages, now),
    ...Object.fromEntries(
      MODES.map((mode) => [
        mode,
        (streams, prefix, now) => shipper(mode, cwl.endpoint, streams, prefix, messages, now),
      ]),
    ),
  };
  const results = [];
  for (const streams of STREAM_COUNTS) {
    const best = {};
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, runner] of Object.entries(runners)) {
        if (best[name]?.unavailable) continue;
        // A fresh endpoint for each run: its store does not grow, and what it accepted is this run's.
        await cwl.ask('reset');
        client = new CloudWatchLogsClient({ ...clientConfig(cwl.endpoint), maxAttempts: 1 });
        await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
        const prefix = `${name}-${r}-`;
        for (let s = 0; s < streams; s++) {
          await client.send(
            new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: `${prefix}${s}` }),
          );
        }
        const m = await runner(streams, prefix, Date.now());
        client.destroy();
        if (m.unavailable) {
          best[name] = m;
          continue;
        }
        const accepted = (await cwl.ask('stats')).eventsAccepted;
        if (accepted !== N) throw new Error(`${name}: the endpoint accepted ${accepted} of ${N} events`);
        best[name] = {
          ms: Math.min(best[name]?.ms ?? Number.POSITIVE_INFINITY, m.ms),
          cpuMs: Math.min(best[name]?.cpuMs ?? Number.POSITIVE_INFINITY, m.cpuMs),
        };
      }
    }
    results.push({ streams, best });
  }
  await cwl.close();

  const cpu = (ms) => `CPU ${(ms / 1000).toFixed(2)} s`;
  console.log(
    `\n## End to end on the local endpoint (1,000,000 events of ~100 bytes, concurrency ${CONCURRENCY} ` +
      `(per stream too), best of ${ROUNDS}; CPU: every thread of the shipping process, the endpoint in another)`,
  );
  for (const { streams, best } of results) {
    const f = best.floor;
    console.log(`${streams} stream${streams === 1 ? '' : 's'}:`);
    console.log(
      `  SDK floor (pre-batched, PutLogEventsCommand through p-queue): ${rate(N, f.ms)}, ${cpu(f.cpuMs)}`,
    );
    for (const mode of MODES) {
      const b = best[mode];
      const label = `  LogShipper, thread: '${mode}' (first log() to last acknowledgement):`;
      if (b.unavailable) {
        console.log(`${label} ${b.unavailable}`);
        continue;
      }
      console.log(`${label} ${rate(N, b.ms)}, ${cpu(b.cpuMs)}`);
      console.log(
        `    → throughput ${ratio(f.ms, b.ms)} the floor's (target ≥ 1.0×); CPU ${ratio(b.cpuMs, f.cpuMs)} the floor's (target ≤ 1.05×)`,
      );
    }
  }
}
