// Chaos scenarios: the local endpoint injects faults on a schedule while a producer logs at a
// steady rate through the real SDK over real HTTP. One definition serves both runs: the short one
// in `npm test` (chaos.test.ts, the src/ classes through vitest) and `npm run soak` (soak.mjs, the
// dist/ build under plain node). Types: scenarios.d.mts.
import { performance } from 'node:perf_hooks';

export const GROUP = '/chaos/app';
const MiB = 1024 * 1024;

/** Every rate fault off and no latency or request limit; an outage is ended apart (`downForMs: 0`). */
export const CALM = Object.freeze({
  throttleRate: 0,
  unavailableRate: 0,
  resetRate: 0,
  latencyMs: 0,
  tpsLimit: Number.POSITIVE_INFINITY,
});

const OVERFLOW = Object.freeze({
  maxBufferedEvents: 2_000,
  maxBatchEvents: 250,
  // One request at a time: the events stored before the outage are then a prefix of what was
  // logged, and exactly one full batch is in flight once it begins.
  concurrency: 1,
  perStreamConcurrency: 1,
  // Nothing but a full batch is taken for sending until close() flushes: no interval tick takes a
  // partial one, so what the buffer and the request in flight hold is known to the event.
  flushIntervalMs: 3_600_000,
});

/**
 * The scenarios. Times are given for the soak (scale 1) and scaled for the short run; fault values
 * are not scaled (a 2 s latency stays 2 s) except `downForMs`, which is a duration.
 */
export const SCENARIOS = [
  {
    name: 'throttling',
    title: 'throttling 50 % for 20 s, then none',
    lengthMs: 30_000,
    steps: (scale) => [
      { atMs: 0, faults: { throttleRate: 0.5 } },
      { atMs: 20_000 * scale, faults: { throttleRate: 0 } },
    ],
    checks: ({ local }) => (local.faults.throttled > 0 ? [] : ['no request was throttled']),
  },
  {
    name: '503 bursts',
    title: 'four bursts of 3 s with 80 % of requests answered 503, 2 s apart',
    lengthMs: 25_000,
    steps: (scale) =>
      [0, 1, 2, 3].flatMap((burst) => [
        { atMs: burst * 5_000 * scale, faults: { unavailableRate: 0.8 } },
        { atMs: (burst * 5_000 + 3_000) * scale, faults: { unavailableRate: 0 } },
      ]),
    checks: ({ local }) => (local.faults.unavailable > 0 ? [] : ['no request was answered 503']),
  },
  {
    name: 'connection resets',
    title: '20 % of requests reset for 20 s, half of them after the events were stored',
    lengthMs: 25_000,
    steps: (scale) => [
      { atMs: 0, faults: { resetRate: 0.2, resetAfterStoreRatio: 0.5 } },
      { atMs: 20_000 * scale, faults: { resetRate: 0 } },
    ],
    checks: ({ local }) => {
      const { reset, resetAfterStore } = local.faults;
      return resetAfterStore > 0 && reset > resetAfterStore
        ? []
        : [
            `expected resets both before and after storing, got ${reset} resets, ${resetAfterStore} after storing`,
          ];
    },
  },
  {
    name: 'latency',
    title: '2 s of added latency on every response for 20 s',
    lengthMs: 30_000,
    steps: (scale) => [
      { atMs: 0, faults: { latencyMs: 2_000 } },
      { atMs: 20_000 * scale, faults: { latencyMs: 0 } },
    ],
    checks: ({ slowestBatchMs }) =>
      slowestBatchMs >= 2_000 ? [] : [`no batch took 2 s or more (slowest ${slowestBatchMs} ms)`],
  },
  {
    name: 'outage',
    title: 'endpoint down for 30 s (3 s in the short run), then back',
    lengthMs: 50_000,
    steps: (scale) => [{ atMs: 5_000 * scale, faults: { downForMs: 30_000 * scale } }],
    checks: ({ local }) => (local.faults.down > 0 ? [] : ['no connection was refused while down']),
  },
  {
    name: 'tps limit',
    title: '2 requests per second allowed for 20 s, far below demand',
    lengthMs: 30_000,
    steps: (scale) => [
      { atMs: 0, faults: { tpsLimit: 2 } },
      { atMs: 20_000 * scale, faults: { tpsLimit: Number.POSITIVE_INFINITY } },
    ],
    checks: ({ local }) => (local.faults.tpsThrottled > 0 ? [] : ['no request was over the limit']),
  },
  {
    name: 'overflow',
    title: 'endpoint down until the producer stops, overflowing a buffer of 2,000 events',
    // It drops on purpose: the soak, which asserts that nothing is dropped, leaves it out.
    soak: false,
    lengthMs: 20_000,
    streams: 1,
    shipperOptions: OVERFLOW,
    steps: (scale) => [{ atMs: 8_000 * scale, faults: { downForMs: 3_600_000 } }],
    /**
     * When the producer stops the endpoint is still down: the one request slot holds a full batch
     * being retried, the buffer holds the newest `maxBufferedEvents`, and everything logged between
     * them was dropped as `overflow`. Those counts come from the configuration and from what the
     * endpoint had stored, not from the shipper's own accounts.
     */
    expected: ({ logged, atStop }) => {
      const { maxBufferedEvents, maxBatchEvents, concurrency } = OVERFLOW;
      const storedBefore = atStop.local.eventsAccepted;
      const inFlight = concurrency * maxBatchEvents;
      const overflow = logged - storedBefore - inFlight - maxBufferedEvents;
      return {
        dropped: { overflow },
        missing: overflow > 0 ? [[storedBefore + inFlight, logged - maxBufferedEvents]] : [],
      };
    },
    checks: ({ expected, stats, stored }) => {
      const problems = [];
      const overflow = expected.dropped.overflow;
      if (!(overflow > 0)) problems.push(`the outage did not overflow the buffer (overflow ${overflow})`);
      // With drop markers on (builds that have them), they report the loss in the stream itself.
      if ((stats.markers ?? 0) > 0 && stored.markerDropped !== overflow) {
        problems.push(
          `drop markers in the stream report ${stored.markerDropped} events, ${overflow} overflowed`,
        );
      }
      return problems;
    },
  },
];

/**
 * The soak's schedule: the scenarios that drop nothing, one after the other, each starting calm,
 * repeated until `durationMs`. The cycle is scaled down (never up) so that a short soak still goes
 * through every fault once.
 */
export function soakScenario(durationMs) {
  const phases = SCENARIOS.filter((scenario) => scenario.soak !== false);
  const cycleMs = phases.reduce((sum, phase) => sum + phase.lengthMs, 0);
  const scale = Math.min(1, durationMs / cycleMs);
  const steps = [];
  for (let offsetMs = 0; offsetMs < durationMs; ) {
    for (const phase of phases) {
      if (offsetMs >= durationMs) break;
      steps.push({ atMs: offsetMs, faults: CALM, phase: phase.name });
      for (const step of phase.steps(scale)) {
        if (offsetMs + step.atMs < durationMs) steps.push({ ...step, atMs: offsetMs + step.atMs });
      }
      offsetMs += phase.lengthMs * scale;
    }
  }
  return {
    name: 'soak',
    title: `${phases.map((phase) => phase.name).join(', ')}, in a cycle of ${Math.round(cycleMs * scale) / 1000} s`,
    lengthMs: durationMs,
    cycleScale: scale,
    steps: () => steps,
    checks: (result) =>
      phases.flatMap((phase) => phase.checks(result).map((problem) => `${phase.name}: ${problem}`)),
  };
}

const SEQ = /^#(\d+) /;
const MARKER = /^cloudwatch-shipper: dropped (\d+) events since /;

/** The message of event `seq`, about 100 bytes; the number up front identifies it in the stream. */
export function messageOf(seq, name) {
  return `#${seq} chaos ${name} GET /api/orders status=200 took=${seq % 997}ms user=${seq % 31}`.padEnd(
    100,
    '.',
  );
}

/**
 * What the streams hold, measured against the `logged` events with sequence numbers 0 to logged - 1,
 * event `seq` logged to stream `seq % streams.length`. `eventsByStream` is in the order of the
 * stream names.
 */
export function summarizeStored(eventsByStream, logged) {
  const copies = new Uint8Array(logged);
  const summary = {
    stored: 0,
    /** Stored events that carry a sequence number. */
    seqEvents: 0,
    distinct: 0,
    /** Stored copies beyond the first of each sequence number. */
    seqDuplicates: 0,
    markers: 0,
    /** Sum of the counts in the drop markers. */
    markerDropped: 0,
    /** Neither ours nor a drop marker. */
    foreign: 0,
    /** A sequence number that was never logged. */
    outOfRange: 0,
    /** An event stored in another stream than the one it was logged to. */
    wrongStream: 0,
    missing: 0,
    /** Runs `[from, to)` of sequence numbers never stored, the first 20. */
    missingRanges: [],
  };
  const streams = eventsByStream.length;
  eventsByStream.forEach((events, stream) => {
    for (const { message } of events) {
      summary.stored++;
      const match = SEQ.exec(message);
      if (match === null) {
        const marker = MARKER.exec(message);
        if (marker === null) {
          summary.foreign++;
        } else {
          summary.markers++;
          summary.markerDropped += Number(marker[1]);
        }
        continue;
      }
      const seq = Number(match[1]);
      summary.seqEvents++;
      if (seq >= logged) {
        summary.outOfRange++;
        continue;
      }
      if (seq % streams !== stream) summary.wrongStream++;
      if (copies[seq] === 0) summary.distinct++;
      else summary.seqDuplicates++;
      if (copies[seq] < 255) copies[seq]++;
    }
  });
  for (let seq = 0; seq < logged; seq++) {
    if (copies[seq] !== 0) continue;
    const from = seq;
    while (seq < logged && copies[seq] === 0) seq++;
    summary.missing += seq - from;
    if (summary.missingRanges.length < 20) summary.missingRanges.push([from, seq]);
  }
  return summary;
}

function describe(value) {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return String(value);
}

/**
 * Runs one scenario: a shipper sending to a fresh endpoint, `eventsPerSecond` events logged at a
 * steady pace (a batch every `tickMs`) for the scenario's length, its fault schedule applied as it
 * goes. Then the faults end, the shipper flushes and closes, and the result holds what both sides
 * counted and what the streams hold. Never throws on a broken invariant: see {@link checkResult}.
 */
export async function runScenario(options) {
  const {
    LogShipper,
    startEndpoint,
    scenario,
    scale = 1,
    eventsPerSecond = 5_000,
    tickMs = 10,
    seed = 1,
    shipperOptions = {},
    closeTimeoutMs = 60_000,
    heapSampleMs = 100,
    memoryCheckpointMs = 60_000,
    gc,
    progressEveryMs = 0,
    onProgress,
  } = options;
  const durationMs = Math.round(scenario.lengthMs * scale);
  const total = Math.round((durationMs * eventsPerSecond) / 1_000);
  const steps = [...scenario.steps(scale)].sort((a, b) => a.atMs - b.atMs);
  const streamCount = scenario.streams ?? 4;
  const streams = Array.from({ length: streamCount }, (_, i) => `stream-${i}`);
  const destinations = streams.map((logStreamName) => ({ logStreamName }));

  const observed = {
    errors: [],
    warnings: [],
    processErrors: [],
    hostErrors: [],
    faultErrors: [],
  };
  const heap = { baseline: 0, max: 0, checkpoint: undefined, checkpointAtMs: undefined, end: 0 };
  let slowestBatchMs = 0;
  let minConcurrency = Number.POSITIVE_INFINITY;
  let phase = steps.find((step) => step.phase !== undefined)?.phase;

  const onWarning = (warning) => observed.warnings.push(describe(warning));
  const onRejection = (reason) => observed.processErrors.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (error) => observed.processErrors.push(`uncaughtException: ${describe(error)}`);
  process.on('warning', onWarning);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);

  const measureHeap = () => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  heap.baseline = measureHeap();
  heap.max = heap.baseline;

  let endpoint;
  let shipper;
  try {
    endpoint = await startEndpoint({ seed });
    shipper = new LogShipper({
      logGroupName: GROUP,
      logStreamName: streams[0],
      clientConfig: await endpoint.clientConfig(),
      // Created by the shipper on its first sends, as a fresh deployment would.
      createLogGroup: true,
      ...shipperOptions,
      ...scenario.shipperOptions,
    });
    shipper.on('error', (error) => observed.errors.push(describe(error)));
    shipper.on('batch', (report) => {
      if (report.durationMs > slowestBatchMs) slowestBatchMs = report.durationMs;
    });

    // A service's logging starts once its shipper is up: in worker mode, a flush answers once the
    // worker runs. (What a worker's start-up holds back sits in the ring, and the buffer's bounds
    // apply as the worker reads it: the overflow scenario's 2,000-event buffer is smaller than
    // what a start-up of half a second on a loaded machine would hold at 5,000 events/s.)
    await shipper.flush();

    const setFaults = (faults) =>
      Promise.resolve()
        .then(() => endpoint.setFaults(faults))
        .catch((error) => observed.faultErrors.push(describe(error)));

    const start = performance.now();
    let seq = 0;
    let nextStep = 0;
    let nextSampleMs = 0;
    let nextProgressMs = progressEveryMs > 0 ? progressEveryMs : Number.POSITIVE_INFINITY;
    await new Promise((resolve) => {
      const tick = () => {
        const elapsedMs = performance.now() - start;
        while (nextStep < steps.length && steps[nextStep].atMs <= elapsedMs) {
          const step = steps[nextStep++];
          if (step.phase !== undefined) phase = step.phase;
          void setFaults(step.faults);
        }
        // Paced by the clock, not by the ticks: a late tick logs what is due, so the rate holds.
        const due = Math.min(total, Math.floor((elapsedMs * eventsPerSecond) / 1_000));
        for (; seq < due; seq++) {
          try {
            shipper.log(messageOf(seq, scenario.name), destinations[seq % streamCount]);
          } catch (error) {
            observed.hostErrors.push(describe(error));
          }
        }
        if (elapsedMs >= nextSampleMs) {
          nextSampleMs = elapsedMs + heapSampleMs;
          const heapUsed = process.memoryUsage().heapUsed;
          if (heapUsed > heap.max) heap.max = heapUsed;
          const { concurrency } = shipper.stats();
          if (concurrency < minConcurrency) minConcurrency = concurrency;
        }
        if (heap.checkpoint === undefined && elapsedMs >= Math.min(memoryCheckpointMs, durationMs)) {
          heap.checkpoint = measureHeap();
          heap.checkpointAtMs = Math.round(elapsedMs);
        }
        if (elapsedMs >= nextProgressMs) {
          nextProgressMs += progressEveryMs;
          onProgress?.({ elapsedMs, phase, logged: seq, stats: shipper.stats(), heapUsed: measureHeap() });
        }
        if (elapsedMs >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, tickMs);
    });

    const atStop = { local: await endpoint.stats(), stats: shipper.stats() };
    // Whatever the schedule left on ends here, an outage included: the run ends on a healthy endpoint.
    await setFaults({ ...CALM, downForMs: 0 });
    const flushed = await shipper.flush({ timeoutMs: closeTimeoutMs });
    heap.end = measureHeap();
    const closed = await shipper.close({ timeoutMs: closeTimeoutMs });
    const elapsedMs = Math.round(performance.now() - start);
    // A turn for warnings and rejections emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    const local = await endpoint.stats();
    const stored =
      typeof endpoint.summarize === 'function'
        ? await endpoint.summarize(GROUP, streams, total)
        : summarizeStored(
            streams.map((stream) => endpoint.events(GROUP, stream)),
            total,
          );
    const expected = scenario.expected?.({ logged: total, atStop }) ?? { dropped: {}, missing: [] };
    return {
      scenario,
      scale,
      durationMs,
      elapsedMs,
      eventsPerSecond,
      logged: total,
      streams,
      stats: shipper.stats(),
      local,
      atStop,
      stored,
      expected,
      flushed,
      closed,
      slowestBatchMs,
      minConcurrency,
      heap,
      ...observed,
      shipper,
      endpoint,
    };
  } finally {
    if (shipper !== undefined) await shipper.close({ timeoutMs: 0 });
    await endpoint?.close();
    process.off('warning', onWarning);
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  }
}

/**
 * Every invariant a scenario ends with, as a list of what broke (empty when all hold):
 * - everything logged was sent or dropped (`logged == sent + dropped`), nothing left in the shipper;
 * - nothing dropped, except the overflow a scenario causes on purpose, to the event;
 * - every event not dropped is in its stream, and the only duplicates are the events stored by
 *   requests reset afterwards, as many as the endpoint counted;
 * - no constraint violation at the endpoint, no sequence token;
 * - no error, warning, unhandled rejection or uncaught exception, nothing thrown by `log()`;
 * - heap at most `heapBoundBytes` over the baseline;
 * - the scenario's faults did happen.
 */
export function checkResult(result, { heapBoundBytes = 200 * MiB } = {}) {
  const problems = [];
  const check = (ok, problem) => {
    if (!ok) problems.push(problem);
  };
  const { stats, local, stored, expected, closed } = result;
  const dropped = Object.values(stats.dropped).reduce((sum, n) => sum + n, 0);
  const markers = stats.markers ?? 0;
  const storedBeforeReset = local.faults.eventsStoredBeforeReset;

  check(
    closed.complete && closed.dropped === 0,
    `close() did not finish: complete ${closed.complete}, ${closed.dropped} dropped as closed`,
  );
  check(stats.logged === result.logged, `stats().logged is ${stats.logged}, ${result.logged} were logged`);
  check(
    stats.buffered === 0 && stats.inFlight === 0,
    `still ${stats.buffered} buffered, ${stats.inFlight} in flight`,
  );
  check(
    stats.logged === stats.sent + dropped,
    `logged ${stats.logged} != sent ${stats.sent} + dropped ${dropped}`,
  );
  for (const [reason, count] of Object.entries(stats.dropped)) {
    const want = expected.dropped[reason] ?? 0;
    check(count === want, `dropped.${reason} is ${count}, expected ${want}`);
  }
  check(
    local.violations.total === 0,
    `the endpoint saw constraint violations: ${JSON.stringify(local.violations)}`,
  );
  check(local.sequenceTokensReceived === 0, `${local.sequenceTokensReceived} sequence tokens sent`);

  // Duplicates: what the endpoint stored beyond what the shipper had acknowledged.
  const duplicates = local.eventsAccepted - stats.sent - markers;
  check(
    duplicates === storedBeforeReset,
    `${duplicates} events stored more than once, but requests reset after storing account for ${storedBeforeReset}`,
  );
  check(
    stored.seqDuplicates + (stored.markers - markers) === storedBeforeReset,
    `the streams hold ${stored.seqDuplicates} duplicate events and ${stored.markers - markers} duplicate ` +
      `markers, but requests reset after storing account for ${storedBeforeReset}`,
  );
  check(stored.markers >= markers, `${markers} drop markers acknowledged, ${stored.markers} stored`);
  check(stored.distinct === stats.sent, `${stored.distinct} distinct events stored, ${stats.sent} sent`);
  check(
    JSON.stringify(stored.missingRanges) === JSON.stringify(expected.missing) &&
      stored.missing === expected.missing.reduce((sum, [from, to]) => sum + to - from, 0),
    `${stored.missing} logged events never stored, in ${JSON.stringify(stored.missingRanges)}; ` +
      `expected ${JSON.stringify(expected.missing)}`,
  );
  check(
    stored.foreign === 0 && stored.outOfRange === 0 && stored.wrongStream === 0,
    `stored events not logged: ${stored.foreign} unknown, ${stored.outOfRange} out of range, ` +
      `${stored.wrongStream} in the wrong stream`,
  );

  check(result.errors.length === 0, `error events: ${result.errors.slice(0, 3).join(' | ')}`);
  check(result.warnings.length === 0, `process warnings: ${result.warnings.slice(0, 3).join(' | ')}`);
  check(result.processErrors.length === 0, result.processErrors.slice(0, 3).join(' | '));
  check(result.hostErrors.length === 0, `log() threw: ${result.hostErrors.slice(0, 3).join(' | ')}`);
  check(result.faultErrors.length === 0, `setFaults failed: ${result.faultErrors.slice(0, 3).join(' | ')}`);
  const heapGrowth = result.heap.max - result.heap.baseline;
  check(
    heapGrowth <= heapBoundBytes,
    `heap grew by ${(heapGrowth / MiB).toFixed(1)} MiB, over the ${(heapBoundBytes / MiB).toFixed(0)} MiB bound`,
  );
  problems.push(...result.scenario.checks(result));
  return problems;
}
