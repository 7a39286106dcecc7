// Cost of log() per event on the main thread, in each thread mode, next to pushing
// { timestamp: Date.now(), message } onto an array: the main thread's CPU time (where the system
// tells it: Linux), and its wall time beside it. The buffer is large and the interval long, so
// that nothing overflows and, on the main thread, nothing is sent while the loop runs.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';
import { clientConfig, MODES, makeShipper } from './modes.mjs';
import { line, ratio, threadCpuNs } from './util.mjs';

const N = 1_000_000;

function gc() {
  globalThis.gc?.();
}

/** Wall and main-thread CPU time of `fn`, in ms (cpu undefined where the system does not tell it). */
function timeOnce(fn) {
  gc();
  const cpu = threadCpuNs();
  const start = process.hrtime.bigint();
  const keep = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuEnd = threadCpuNs();
  return { ms, cpuMs: cpu === undefined ? undefined : (cpuEnd - cpu) / 1e6, keep };
}

export async function run() {
  const messages = Array.from({ length: N }, (_, i) => line(i));
  // A loopback port nothing listens on: should anything be sent, it goes nowhere.
  const client = new CloudWatchLogsClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
  });
  const baseline = () => {
    const events = [];
    for (let i = 0; i < N; i++) events.push({ timestamp: Date.now(), message: messages[i] });
    return events;
  };
  // Each mode makes its own client from clientConfig: a client instance cannot cross to a worker.
  const options = {
    logGroupName: 'bench',
    logStreamName: 'ingest',
    clientConfig: { ...clientConfig('http://127.0.0.1:9'), maxAttempts: 1 },
    // Large enough that nothing overflows; in main-thread mode, no batch is sent before the loop
    // ends (the loop never yields), so this measures the hot path alone.
    maxBatchEvents: 10_000,
    maxBufferedEvents: 2 * N,
    maxBufferedBytes: 2 ** 28,
    flushIntervalMs: 3_600_000,
  };
  const rounds = 5;
  let bestBase = Number.POSITIVE_INFINITY;
  let bestBaseCpu = Number.POSITIVE_INFINITY;
  const bestShip = { main: Number.POSITIVE_INFINITY, worker: Number.POSITIVE_INFINITY };
  const bestShipCpu = { main: Number.POSITIVE_INFINITY, worker: Number.POSITIVE_INFINITY };
  let cpuKnown = true;
  const unavailable = {};
  const overflow = {};
  for (let r = 0; r < rounds; r++) {
    const b = timeOnce(baseline);
    bestBase = Math.min(bestBase, b.ms);
    if (b.cpuMs === undefined) cpuKnown = false;
    else bestBaseCpu = Math.min(bestBaseCpu, b.cpuMs);
    b.keep.length = 0;
    for (const mode of MODES) {
      if (unavailable[mode]) continue;
      // Made before the clock starts: the loop of log() calls alone is timed, on the main thread
      // (in worker mode, the worker starts and sends meanwhile on its own thread, not counted).
      const made = makeShipper(mode, options);
      if (made.unavailable) {
        unavailable[mode] = made.unavailable;
        continue;
      }
      const s = made.shipper;
      s.on('error', () => {});
      // Paced as a stream-like producer would be: when log() answers false (in worker mode, the
      // ring is half full until the worker reads it), the clock stops until 'drain'. Only the
      // log() calls are timed, and nothing overflows. The CPU time is the main thread's from the
      // first call to the last: it also holds the little this thread does while it waits for a
      // 'drain' (taking the worker's message), nothing of the worker's.
      gc();
      let ms = 0;
      let i = 0;
      const cpu = threadCpuNs();
      while (i < N) {
        const start = process.hrtime.bigint();
        let accepting = true;
        while (i < N && accepting) accepting = s.log(messages[i++]);
        ms += Number(process.hrtime.bigint() - start) / 1e6;
        if (!accepting) await new Promise((resolve) => s.once('drain', resolve));
      }
      const cpuEnd = threadCpuNs();
      bestShip[mode] = Math.min(bestShip[mode], ms);
      if (cpu !== undefined) bestShipCpu[mode] = Math.min(bestShipCpu[mode], (cpuEnd - cpu) / 1e6);
      // An event dropped costs less than one buffered: say so rather than print a flattering figure.
      overflow[mode] = Math.max(overflow[mode] ?? 0, s.stats().dropped.overflow);
      await s.close({ timeoutMs: 0 });
    }
  }
  const ns = (ms) => `${((ms * 1e6) / N).toFixed(0)} ns/event`;
  console.log('\n## Ingest cost of log() (1,000,000 events of ~100 bytes, best of 5)');
  const figures = cpuKnown
    ? [
        { what: "the main thread's CPU time", base: bestBaseCpu, ship: bestShipCpu, target: true },
        { what: "the main thread's wall time", base: bestBase, ship: bestShip, target: false },
      ]
    : [
        {
          what: "the main thread's wall time (this system tells no thread's CPU time)",
          base: bestBase,
          ship: bestShip,
          target: true,
        },
      ];
  for (const { what, base, ship, target } of figures) {
    console.log(`${what}:`);
    console.log(`  array push baseline:               ${ns(base)}`);
    for (const mode of MODES) {
      const label = `  LogShipper.log(), thread: '${mode}':`.padEnd(36);
      if (unavailable[mode]) {
        console.log(`${label} ${unavailable[mode]}`);
        continue;
      }
      console.log(
        `${label} ${ns(ship[mode])}  → log()/baseline ${ratio(ship[mode], base)}${target ? ' (target ≤ 1.5×)' : ''}` +
          (overflow[mode] > 0
            ? ` (but up to ${overflow[mode].toLocaleString('en-US')} dropped as overflow)`
            : ''),
      );
    }
  }
  console.log(
    "  (in worker mode the worker's CPU is in neither figure: see the end-to-end section for every thread's)",
  );
  fullBuffer(client, messages);
  client.destroy();
}

/**
 * log() on a full buffer under dropOldest, where every call evicts the event logged first, with the
 * events spread over 1, 5,000 and 50,000 destinations: the cost must not grow with their number.
 */
function fullBuffer(client, messages) {
  const HELD = 100_000;
  const MORE = 200_000;
  const perDestination = {};
  for (const destinations of [1, 5_000, 50_000]) {
    const s = new LogShipper({
      logGroupName: 'bench',
      logStreamName: 'd0',
      client,
      maxBufferedEvents: HELD,
      maxBufferedBytes: 2 ** 31,
      flushIntervalMs: 3_600_000,
      dropMarkers: false,
    });
    s.on('error', () => {});
    const names = Array.from({ length: destinations }, (_, i) => ({ logStreamName: `d${i}` }));
    for (let i = 0; i < HELD; i++) s.log(messages[i], names[i % destinations]);
    gc();
    const start = process.hrtime.bigint();
    for (let i = 0; i < MORE; i++) s.log(messages[i], names[i % destinations]);
    perDestination[destinations] = Number(process.hrtime.bigint() - start) / MORE;
    void s.close({ timeoutMs: 0 });
  }
  const base = perDestination[1];
  console.log('\n## log() on a full buffer (dropOldest evicts one event per call; 100,000 held)');
  for (const [destinations, ns] of Object.entries(perDestination)) {
    console.log(
      `${Number(destinations).toLocaleString('en-US').padStart(6)} destinations: ${ns.toFixed(0)} ns/event` +
        (Number(destinations) === 1
          ? ' (baseline)'
          : `  → ${ratio(ns, base)} the 1-destination cost (target ≤ 2×)`),
    );
  }
}
