// A fleet sharing one account: N processes against one local endpoint whose PutLogEvents quota
// (`tpsLimit`) admits less than they ship together. Fixed concurrency beside adaptive, in the same
// run: the share of requests throttled, what each process delivered (by the end of production, and
// in all) and lost, and fairness: the slowest process's delivered ÷ the fastest's, by the end of
// production. Loopback only, bounded: about 2 × (production + drain) seconds.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { ratio } from './util.mjs';

const PROCESSES = 8;
const TPS_LIMIT = 40;
const MAX_BATCH_EVENTS = 250;
/** The events per second the quota admits, in full requests. */
const QUOTA_EVENTS = TPS_LIMIT * MAX_BATCH_EVENTS;
const OVERLOAD = 1.2;
const PRODUCTION_MS = 15_000;
const DRAIN_MS = 10_000;
/** Room for about 4 s of a process's production: a process left behind loses events. */
const MAX_BUFFERED_EVENTS = 6_000;
/** `FLEET_THREAD=main` runs the processes' pipelines on their own threads (default: the shipper's). */
const THREAD = process.env.FLEET_THREAD;
/** `FLEET_DETAIL=1` prints each process's CPU, event-loop delay and delivered second by second. */
const DETAIL = process.env.FLEET_DETAIL === '1';
const CHILD = fileURLToPath(new URL('./fleet-child.mjs', import.meta.url));

async function trial(adaptive) {
  const cwl = await startLocalCloudWatchLogs({ faults: { tpsLimit: TPS_LIMIT } });
  const rate = Math.round((QUOTA_EVENTS * OVERLOAD) / PROCESSES);
  const children = Array.from({ length: PROCESSES }, (_, id) =>
    fork(CHILD, [
      JSON.stringify({
        endpoint: cwl.endpoint,
        id,
        adaptive,
        rate,
        productionMs: PRODUCTION_MS,
        drainMs: DRAIN_MS,
        maxBufferedEvents: MAX_BUFFERED_EVENTS,
        maxBatchEvents: MAX_BATCH_EVENTS,
        thread: THREAD,
      }),
    ]),
  );
  const ready = [];
  let allReady;
  const everyoneReady = new Promise((resolve) => {
    allReady = resolve;
  });
  const results = children.map(
    (child) =>
      new Promise((resolve, reject) => {
        child.on('message', (message) => {
          if (!message.ready) return resolve(message);
          ready.push(message);
          if (ready.length === PROCESSES) allReady();
        });
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`fleet child exited with ${code} before reporting`)));
      }),
  );
  // Every child is up (a first request through) before any produces, and the quota's window has
  // forgotten those first requests.
  await Promise.race([everyoneReady, ...results]);
  await new Promise((r) => setTimeout(r, 1_200));
  for (const child of children) child.send('go');
  const parentCpuAtGo = process.cpuUsage();
  const processes = await Promise.all(results);
  const parentCpu = process.cpuUsage(parentCpuAtGo);
  const local = cwl.stats();
  await cwl.close();
  const requests = local.requests.PutLogEvents ?? 0;
  const delivered = processes.map((p) => p.deliveredByEnd);
  return {
    rate,
    processes: processes.sort((a, b) => a.id - b.id),
    throttledShare: local.faults.tpsThrottled / requests,
    requests,
    fairness: Math.min(...delivered) / Math.max(...delivered),
    lost: processes.reduce((sum, p) => sum + p.lost, 0),
    logged: processes.reduce((sum, p) => sum + p.logged, 0),
    endpointCpuMs: Math.round((parentCpu.user + parentCpu.system) / 1000),
    readyMs: ready.map((r) => r.readyMs),
  };
}

export async function run() {
  const fixed = await trial(false);
  const adaptive = await trial(true);
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const n = (x) => x.toLocaleString('en-US');
  console.log(
    `\n## Fleet${THREAD === undefined ? '' : ` (thread: '${THREAD}')`}: ${PROCESSES} processes, one endpoint limited to ${TPS_LIMIT} PutLogEvents/s ` +
      `(${n(QUOTA_EVENTS)} events/s in full requests), each shipping ${n(fixed.rate)} events/s ` +
      `(${OVERLOAD}× the quota together) for ${PRODUCTION_MS / 1000} s`,
  );
  for (const [name, trialResult] of [
    ['fixed concurrency 8', fixed],
    ['adaptive (1 to 8)  ', adaptive],
  ]) {
    console.log(
      `${name}: ${pct(trialResult.throttledShare)} of ${n(trialResult.requests)} requests throttled, ` +
        `fairness ${trialResult.fairness.toFixed(2)}, lost ${n(trialResult.lost)} of ${n(trialResult.logged)}`,
    );
    console.log(
      `  per process, delivered by the end of production / in all / lost: ${trialResult.processes
        .map((p) => `${n(p.deliveredByEnd)}/${n(p.sent)}/${n(p.lost)}`)
        .join('  ')}`,
    );
    if (DETAIL) {
      console.log(
        `  CPU ms in production (endpoint's process: ${n(trialResult.endpointCpuMs)}, to the end): ` +
          trialResult.processes.map((p) => n(p.cpuMs)).join('  '),
      );
      console.log(`  ready after ms: ${trialResult.readyMs.join('  ')}`);
      console.log(
        `  event-loop delay p99 ms: ${trialResult.processes.map((p) => p.loopDelayP99Ms).join('  ')}`,
      );
      for (const p of trialResult.processes) {
        console.log(
          `  p${p.id} delivered by second: ${p.timeline.map((x) => Math.round(x / 1000)).join(' ')} (thousands)`,
        );
      }
    }
  }
  console.log(
    `  → throttled share ${ratio(adaptive.throttledShare, fixed.throttledShare)} of fixed (target ≤ 0.5×); ` +
      `fairness ${adaptive.fairness.toFixed(2)} (target ≥ 0.85); lost ${n(adaptive.lost)} against fixed's ` +
      `${n(fixed.lost)} (target ≤ fixed's)`,
  );
}
