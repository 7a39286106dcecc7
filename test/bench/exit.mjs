// Delivery at the endings a process can still see: a child logs 10,000 events and at once ends by
// process.exit(0), an uncaught exception or an unhandled rejection; the local endpoint, here in the
// parent, counts what it stored. Each thread mode, with the default options and with
// `flushOnExit: true`; and, for comparison, a child that ends by itself (the event loop runs out:
// `beforeExit`, which `flushOnExit` already handles on the main thread). Then the same endings with the endpoint down (a loopback port nobody listens
// on): how long the child takes to end, from the moment it starts ending, beside `exitTimeoutMs`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { MODES } from './modes.mjs';

const COUNT = 10_000;
const EXIT_TIMEOUT_MS = 2_000;
const ENDINGS = {
  exit: 'process.exit(0)',
  uncaught: 'uncaught exception',
  rejection: 'unhandled rejection',
  end: 'the loop runs out',
};
const OPTION_SETS = { default: {}, flushOnExit: { flushOnExit: true } };
const CHILD = fileURLToPath(new URL('./exit-child.mjs', import.meta.url));
/** Past this, the child is killed and its ending counted as hung. */
const KILL_AFTER_MS = EXIT_TIMEOUT_MS + 10_000;

let streams = 0;

async function child(endpoint, mode, ending, options) {
  const stream = `s${streams++}`;
  const p = spawn(
    process.execPath,
    [CHILD, JSON.stringify({ endpoint, mode, ending, count: COUNT, stream, options })],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let endingAtMs;
  p.stdout.setEncoding('utf8').on('data', (chunk) => {
    out += chunk;
    const first = out.split('\n')[0];
    if (endingAtMs === undefined && out.includes('\n')) endingAtMs = JSON.parse(first).endingAtMs;
  });
  p.stderr.resume();
  const killer = setTimeout(() => p.kill('SIGKILL'), KILL_AFTER_MS);
  const [code, signal] = await once(p, 'exit');
  const endedAtMs = Date.now();
  clearTimeout(killer);
  const report = JSON.parse(out.split('\n')[0] || '{}');
  if (report.unavailable) return { stream, unavailable: report.unavailable };
  return { stream, code, signal, endMs: endingAtMs === undefined ? Number.NaN : endedAtMs - endingAtMs };
}

function closedPort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function run() {
  const cwl = await startLocalCloudWatchLogs();
  const delivered = [];
  for (const mode of MODES) {
    for (const [set, options] of Object.entries(OPTION_SETS)) {
      for (const ending of Object.keys(ENDINGS)) {
        const r = await child(cwl.endpoint, mode, ending, { ...options, exitTimeoutMs: EXIT_TIMEOUT_MS });
        // Requests the child began before it ended still arrive: give them a moment.
        await sleep(200);
        delivered.push({ mode, set, ending, ...r, stored: cwl.events('/bench/exit', r.stream).length });
        if (r.unavailable) break;
      }
    }
  }
  await cwl.close();
  const down = `http://127.0.0.1:${await closedPort()}`;
  const downs = [];
  for (const mode of MODES) {
    for (const [set, options] of Object.entries(OPTION_SETS)) {
      for (const ending of Object.keys(ENDINGS)) {
        const r = await child(down, mode, ending, { ...options, exitTimeoutMs: EXIT_TIMEOUT_MS });
        downs.push({ mode, set, ending, ...r });
        if (r.unavailable) break;
      }
    }
  }

  const n = (x) => x.toLocaleString('en-US');
  const how = (r) => (r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`);
  const label = (r) =>
    `thread: '${r.mode}', ${r.set === 'default' ? 'default options' : 'flushOnExit: true'}`;
  console.log(
    `\n## Delivery at the end of the process (a child logs ${n(COUNT)} events of ~100 bytes, then ends at once; exitTimeoutMs ${n(EXIT_TIMEOUT_MS)})`,
  );
  for (const r of delivered) {
    if (r.unavailable) {
      console.log(`${label(r)}: ${r.unavailable}`);
      continue;
    }
    console.log(
      `${label(r).padEnd(38)} ${ENDINGS[r.ending].padEnd(20)}: ${n(r.stored).padStart(6)} of ${n(COUNT)} stored (${how(r)})`,
    );
  }
  console.log(
    `  (target: all ${n(COUNT)} stored in worker mode, at process.exit(0), an uncaught exception and an unhandled rejection)`,
  );
  console.log('endpoint down (a closed loopback port): time from the ending to the end of the process');
  for (const r of downs) {
    if (r.unavailable) {
      console.log(`${label(r)}: ${r.unavailable}`);
      continue;
    }
    console.log(
      `${label(r).padEnd(38)} ${ENDINGS[r.ending].padEnd(20)}: ${n(Math.round(r.endMs)).padStart(5)} ms ` +
        `→ ${(r.endMs / EXIT_TIMEOUT_MS).toFixed(2)}× exitTimeoutMs (${how(r)})`,
    );
  }
  console.log('  (target: ≤ 1× exitTimeoutMs)');
}
