// npm run soak: the chaos scenarios in a cycle for 10 minutes (--minutes N) at a steady 5,000
// events/s (--rate N), the build (dist/) against the local endpoint in a child process, through the
// real SDK. Prints progress, then delivered / dropped / duplicates and memory; exits non-zero if an
// invariant broke or the heap grew after the first minute. Run with node --expose-gc.
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { LogShipper } from '../../dist/index.js';
import { checkResult, runScenario, soakScenario } from './scenarios.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MiB = 1024 * 1024;
/** Slack on "the heap did not grow after the first minute": GC timing and a second of buffer. */
const GROWTH_FACTOR = 1.2;
const GROWTH_SLACK_BYTES = 16 * MiB;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
  },
});
const minutes = Number(values.minutes);
const eventsPerSecond = Number(values.rate);
const seed = Number(values.seed);
if (!(minutes > 0) || !(eventsPerSecond > 0) || !Number.isSafeInteger(seed)) {
  console.error('usage: node --expose-gc test/chaos/soak.mjs [--minutes N] [--rate EVENTS_PER_S] [--seed N]');
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc: the memory check compares heaps after a full collection');
  process.exit(2);
}

const mib = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
const count = (n) => n.toLocaleString('en-US');
const clock = (ms) => {
  const s = Math.round(ms / 1_000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** The endpoint in a child process, behind the interface the runner expects. */
async function startChildEndpoint(options) {
  const child = fork(new URL('./endpoint.mjs', import.meta.url), [JSON.stringify(options)], {
    serialization: 'advanced',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const pending = new Map();
  let nextId = 0;
  const clientConfig = await new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message.ready));
    child.once('exit', (code) => reject(new Error(`the endpoint process exited with code ${code}`)));
  });
  child.on('message', ({ id, result, error }) => {
    const call = pending.get(id);
    if (call === undefined) return;
    pending.delete(id);
    if (error === undefined) call.resolve(result);
    else call.reject(new Error(error));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  void exited.then(() => {
    for (const call of pending.values()) call.reject(new Error('the endpoint process exited'));
    pending.clear();
  });
  const call = (method, ...args) =>
    new Promise((resolve, reject) => {
      if (!child.connected) {
        reject(new Error('the endpoint process is gone'));
        return;
      }
      pending.set(nextId, { resolve, reject });
      child.send({ id: nextId++, method, args });
    });
  let closing;
  return {
    clientConfig: () => clientConfig,
    setFaults: (faults) => call('setFaults', faults),
    stats: () => call('stats'),
    summarize: (logGroupName, logStreamNames, logged) =>
      call('summarize', logGroupName, logStreamNames, logged),
    memory: () => call('memory'),
    close: () => {
      closing ??= child.connected ? call('close').then(() => exited) : exited;
      return closing;
    },
  };
}

const durationMs = Math.round(minutes * 60_000);
const scenario = soakScenario(durationMs);
const progressEveryMs = Math.min(30_000, Math.max(5_000, Math.round(durationMs / 10)));
let endpoint;
let endpointRss = 0;

console.log(
  `soak: ${minutes} min at ${count(eventsPerSecond)} events/s, seed ${seed}; faults: ${scenario.title}` +
    (scenario.cycleScale < 1 ? ` (times scaled by ${scenario.cycleScale.toFixed(2)} to fit the run)` : ''),
);
const startRss = process.memoryUsage().rss;

const result = await runScenario({
  LogShipper,
  startEndpoint: async (options) => {
    endpoint = await startChildEndpoint(options);
    return endpoint;
  },
  scenario,
  eventsPerSecond,
  seed,
  shipperOptions: {
    // About 20 requests a second over the 4 streams: demand well above the tps-limit phase's 2.
    flushIntervalMs: 200,
    // A 30 s outage at 5,000 events/s is 150,000 events: room for twice that, so nothing overflows.
    maxBufferedEvents: Math.max(100_000, Math.ceil(eventsPerSecond * 60)),
    maxBufferedBytes: 256 * MiB,
  },
  closeTimeoutMs: 120_000,
  heapSampleMs: 250,
  memoryCheckpointMs: 60_000,
  gc: globalThis.gc,
  progressEveryMs,
  onProgress: ({ elapsedMs, phase, logged, stats, heapUsed }) => {
    endpoint?.memory().then(
      (memory) => {
        endpointRss = memory.rss;
      },
      () => {},
    );
    const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
    console.log(
      `${clock(elapsedMs)}  ${(phase ?? '').padEnd(17)} logged ${count(logged).padStart(10)}  sent ${count(stats.sent).padStart(10)}` +
        `  buffered ${count(stats.buffered).padStart(7)}  in flight ${count(stats.inFlight).padStart(6)}` +
        `  dropped ${count(dropped)}  retries ${count(stats.retries)}  concurrency ${stats.concurrency}  heap ${mib(heapUsed)}`,
    );
  },
});

const { stats, local, stored, heap } = result;
const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
const duplicates = local.eventsAccepted - stats.sent - (stats.markers ?? 0);
const problems = checkResult(result, { heapBoundBytes: 512 * MiB });
const limit = (heap.checkpoint ?? heap.baseline) * GROWTH_FACTOR + GROWTH_SLACK_BYTES;
const memoryOk = heap.end <= limit;

console.log('');
console.log(
  `ran ${clock(result.elapsedMs)} (producer ${clock(result.durationMs)}), close: ${JSON.stringify(result.closed)}`,
);
console.log(
  `logged ${count(stats.logged)}, delivered ${count(stored.distinct)} (sent ${count(stats.sent)}), ` +
    `dropped ${count(dropped)}, duplicates ${count(duplicates)} ` +
    `(${count(local.faults.eventsStoredBeforeReset)} stored by requests reset after storing)`,
);
console.log(
  `requests: ${count(local.requests.PutLogEvents ?? 0)} PutLogEvents, ${count(stats.batches)} batches, ` +
    `${count(stats.retries)} retries; faults: ${JSON.stringify(local.faults)}`,
);
console.log(
  `concurrency: lowest ${result.minConcurrency}, at the end ${stats.concurrency}; slowest batch ${count(result.slowestBatchMs)} ms`,
);
console.log(
  `heap (after gc): start ${mib(heap.baseline)}, at ${clock(heap.checkpointAtMs ?? 0)} ${mib(heap.checkpoint ?? 0)}, ` +
    `end ${mib(heap.end)}; peak ${mib(heap.max)}. RSS: start ${mib(startRss)}, end ${mib(process.memoryUsage().rss)}` +
    ` (endpoint process ${mib(endpointRss)})`,
);
console.log(
  `${memoryOk ? 'PASS' : 'FAIL'}: memory did not grow after the first minute ` +
    `(end ${mib(heap.end)} ${memoryOk ? '<=' : '>'} ${mib(limit)} = minute-1 heap × ${GROWTH_FACTOR} + ${mib(GROWTH_SLACK_BYTES)})`,
);
for (const problem of problems) console.log(`FAIL: ${problem}`);
if (problems.length === 0) {
  console.log(
    'PASS: logged == sent + dropped, nothing dropped, every event stored, duplicates only from resets',
  );
}
process.exitCode = problems.length === 0 && memoryOk ? 0 : 1;
