// Event-loop delay of a program logging 20,000 events/s of 120 bytes for 10 s, shipping them to
// the local endpoint with default options, in each thread mode, beside the same program not
// shipping (the baseline), all in the same run. Each configuration runs in a child process of its
// own, one after the other, so that one does not disturb another; the endpoint runs here, in the
// parent, so that its work is not on the measured event loop.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { MODES } from './modes.mjs';

const RATE = 20_000;
const BYTES = 120;
const DURATION_MS = 10_000;
/** 200 events every 10 ms. */
const TICK_MS = 10;
const CHILD = fileURLToPath(new URL('./loop-delay-child.mjs', import.meta.url));

function child(endpoint, mode) {
  return new Promise((resolve, reject) => {
    const p = fork(CHILD, [
      JSON.stringify({ endpoint, mode, rate: RATE, bytes: BYTES, durationMs: DURATION_MS, tickMs: TICK_MS }),
    ]);
    let result;
    p.once('message', (message) => {
      result = message;
    });
    p.once('error', reject);
    p.once('exit', (code) =>
      result
        ? resolve(result)
        : reject(new Error(`loop-delay child (${mode}) exited with ${code} before reporting`)),
    );
  });
}

export async function run() {
  const cwl = await startLocalCloudWatchLogs();
  const results = [];
  for (const mode of ['none', ...MODES]) results.push(await child(cwl.endpoint, mode));
  await cwl.close();
  const f = (x) => `${x.toFixed(2)} ms`;
  const n = (x) => x.toLocaleString('en-US');
  const [base] = results;
  console.log(
    `\n## Event-loop delay while logging ${n(RATE)} events/s of ${BYTES} B for ${DURATION_MS / 1000} s ` +
      `(${(RATE * TICK_MS) / 1000} every ${TICK_MS} ms; default options; monitorEventLoopDelay, resolution 1 ms; a child process each)`,
  );
  console.log(`not shipping (baseline): p99 ${f(base.p99)}, p99.9 ${f(base.p999)}, max ${f(base.max)}`);
  for (const r of results.slice(1)) {
    if (r.unavailable) {
      console.log(`thread: '${r.mode}': ${r.unavailable}`);
      continue;
    }
    console.log(
      `thread: '${r.mode}'${r.mode === 'main' ? '  ' : ''}: p99 ${f(r.p99)}, p99.9 ${f(r.p999)}, max ${f(r.max)} ` +
        `(sent ${n(r.sent)} of ${n(r.logged)}, lost ${n(r.lost)})`,
    );
    console.log(
      `  → p99.9 baseline + ${f(r.p999 - base.p999)} (target ≤ + 1 ms); max ${f(r.max)} (target ≤ 10 ms)`,
    );
  }
}
