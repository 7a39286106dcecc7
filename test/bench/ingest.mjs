// Cost of log() per event on the main thread, in each thread mode, next to pushing
// { timestamp: Date.now(), message } onto an array. The buffer is large and the interval long, so
// that nothing overflows and, on the main thread, nothing is sent while the loop runs.
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';
import { clientConfig, MODES, makeShipper } from './modes.mjs';
import { line, ratio } from './util.mjs';

const N = 1_000_000;

function gc() {
  globalThis.gc?.();
}

function timeOnce(fn) {
  gc();
  const start = process.hrtime.bigint();
  const keep = fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, keep };
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
  const bestShip = { main: Number.POSITIVE_INFINITY, worker: Number.POSITIVE_INFINITY };
  const unavailable = {};
  const overflow = {};
  for (let r = 0; r < rounds; r++) {
    const b = timeOnce(baseline);
    bestBase = Math.min(bestBase, b.ms);
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
      // log() calls are timed, and nothing overflows.
      gc();
      let ms = 0;
      let i = 0;
      while (i < N) {
        const start = process.hrtime.bigint();
        let accepting = true;
        while (i < N && accepting) accepting = s.log(messages[i++]);
        ms += Number(process.hrtime.bigint() - start) / 1e6;
        if (!accepting) await new Promise((resolve) => s.once('drain', resolve));
      }
      bestShip[mode] = Math.min(bestShip[mode], ms);
      // An event dropped costs less than one buffered: say so rather than print a flattering figure.
      overflow[mode] = Math.max(overflow[mode] ?? 0, s.stats().dropped.overflow);
      await s.close({ timeoutMs: 0 });
    }
  }
  const ns = (ms) => `${((ms * 1e6) / N).toFixed(0)} ns/event`;
  console.log('\n## Ingest cost of log() (1,000,000 events of ~100 bytes, best of 5)');
  console.log(`array push baseline:              ${ns(bestBase)}`);
  for (const mode of MODES) {
    const label = `LogShipper.log(), thread: '${mode}':`.padEnd(34);
    if (unavailable[mode]) {
      console.log(`${label} ${unavailable[mode]}`);
      continue;
    }
    console.log(
      `${label} ${ns(bestShip[mode])}  → log()/baseline ${ratio(bestShip[mode], bestBase)} (target ≤ 1.5×)` +
        (overflow[mode] > 0
          ? ` (but up to ${overflow[mode].toLocaleString('en-US')} dropped as overflow)`
          : ''),
    );
  }
  console.log(
    "  (the main thread's wall time in the loop of log() calls, by hrtime: in worker mode the worker's CPU is not in it)",
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
