// Lambda cold start, each mode: in a fresh process, the import of the package, making a shipper and
// logging 100 events, the first flush() (in worker mode it waits for the worker to start), and the
// RSS growth. The endpoint runs in this process; the median of 5 runs per mode is printed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { MODES } from './modes.mjs';

const execute = promisify(execFile);
const RUNS = 5;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function run() {
  const cwl = await startLocalCloudWatchLogs();
  console.log(
    '\n## Lambda cold start (fresh process: import, new LogShipper + 100 log(), first flush(); median of 5)',
  );
  const results = {};
  try {
    for (const mode of MODES) {
      const runs = [];
      for (let r = 0; r < RUNS; r++) {
        const child = await execute(
          process.execPath,
          [new URL('./coldstart-child.mjs', import.meta.url).pathname, cwl.endpoint, mode],
          {
            env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          },
        );
        runs.push(JSON.parse(child.stdout.trim().split('\n').pop()));
      }
      results[mode] = runs;
      const m = (key) => median(runs.map((x) => x[key]));
      const sent = runs.every((x) => x.complete && x.sent === 100) ? 'all 100 sent each run' : 'NOT all sent';
      console.log(
        `thread: '${mode}'`.padEnd(17) +
          `import ${m('importMs').toFixed(0).padStart(4)} ms, new + log ${m('logMs').toFixed(1).padStart(5)} ms, ` +
          `first flush ${m('flushMs').toFixed(0).padStart(4)} ms, RSS +${m('rssMiB').toFixed(1)} MiB (${sent})`,
      );
    }
    const total = (mode) => median(results[mode].map((x) => x.importMs + x.logMs + x.flushMs));
    console.log(
      `  worker − main: ${(total('worker') - total('main')).toFixed(0)} ms to the end of the first flush, ` +
        `RSS +${(median(results.worker.map((x) => x.rssMiB)) - median(results.main.map((x) => x.rssMiB))).toFixed(1)} MiB`,
    );
  } finally {
    await cwl.close();
  }
}
