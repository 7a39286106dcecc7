import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ExitParticipant, LoopHold, registerForExit, unregisterForExit } from '../src/exit.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';

// flushOnExit, in child processes running the built package against an endpoint in this process.
const dist = resolve(import.meta.dirname, '../dist/index.js');
let cwl: LocalCloudWatchLogs | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cwl?.close();
});

function startChild(endpoint: string, body: string, before = ''): ChildProcess {
  const source = `
    import { LogShipper } from ${JSON.stringify(dist)};
    ${before}
    const clientConfig = { endpoint: ${JSON.stringify(endpoint)}, region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
    // A shipper with flushOnExit to the group '/exit', for the tests that make more than one.
    const makeShipper = (logStreamName, options = {}, Class = LogShipper) => new Class({
      logGroupName: '/exit', logStreamName, createLogGroup: true, flushOnExit: true, clientConfig,
      ...options,
    });
    const shipper = makeShipper('s', {
      flushIntervalMs: 3_600_000, exitTimeoutMs: 1_000, retry: { minDelayMs: 10, maxDelayMs: 50 },
    });
    shipper.on('error', () => {});
    ${body}
  `;
  child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return child;
}

async function nextLine(process: ChildProcess): Promise<string> {
  const [chunk] = (await once(process.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return chunk.toString().trim();
}

async function exited(process: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (process.exitCode !== null || process.signalCode !== null) {
    return { code: process.exitCode, signal: process.signalCode };
  }
  const [code, signal] = (await once(process, 'exit')) as [number | null, string | null];
  return { code, signal };
}

/** Waits for `line` on the child's output, sends it `signal`, and resolves with how it ended. */
async function signalOn(
  proc: ChildProcess,
  line: string,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; signal: string | null }> {
  expect(await nextLine(proc)).toBe(line);
  proc.kill(signal);
  return exited(proc);
}

describe('flushOnExit', () => {
  it('sends the logs written just before SIGTERM, then ends by the signal', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      // A server that has been running: its worker started (on a loaded machine a start can take
      // most of the 1 s exitTimeoutMs, and this test is about the flush, not the start).
      `await shipper.ready();
       for (let i = 0; i < 1000; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000); // a server that would run forever`,
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGTERM');
    const { signal } = await exited(proc);
    expect(signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 's')).toHaveLength(1000);
  });

  it('flushes on beforeExit when the program just ends', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(cwl.endpoint, `for (let i = 0; i < 500; i++) shipper.log('line ' + i);`);
    const { code } = await exited(proc);
    expect(code).toBe(0);
    expect(cwl.events('/exit', 's')).toHaveLength(500);
  });

  it('does not keep the process past exitTimeoutMs when the endpoint is dead', async () => {
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ downForMs: 3_600_000 });
    const proc = startChild(
      cwl.endpoint,
      `for (let i = 0; i < 100; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect(await nextLine(proc)).toBe('ready');
    const signalled = Date.now();
    proc.kill('SIGTERM');
    const { signal } = await exited(proc);
    expect(signal).toBe('SIGTERM');
    // exitTimeoutMs is 1 s; the bound is loose so that a slow machine cannot fail it.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(cwl.events('/exit', 's')).toHaveLength(0);
  });

  it('leaves the signal to a program that handles it itself', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `process.on('SIGTERM', () => {
         shipper.log('shutting down');
         setTimeout(async () => {
           shipper.log('bye');
           await shipper.close();
           process.exit(7);
         }, 500);
       });
       for (let i = 0; i < 10; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGTERM');
    const { code } = await exited(proc);
    // Assess: its handler ended the process; what it logged while shutting down was sent too.
    expect(code).toBe(7);
    const messages = cwl.events('/exit', 's').map((e) => e.message);
    expect(messages).toHaveLength(12);
    expect(messages).toEqual(expect.arrayContaining(['shutting down', 'bye']));
  });

  it.each([
    ['before', true],
    ['after', false],
  ])('lets a graceful shutdown registered with process.once %s the shipper finish', async (_, first) => {
    cwl = await startLocalCloudWatchLogs();
    const handler = `process.once('SIGTERM', async () => {
       await new Promise((resolve) => setTimeout(resolve, 300));
       globalThis.app.log('bye');
       await globalThis.app.close();
       process.exit(0);
     });`;
    // Declared before the shipper exists, the handler can only find it when the signal comes.
    const proc = startChild(
      cwl.endpoint,
      `globalThis.app = shipper;
       ${first ? '' : handler}
       for (let i = 0; i < 10; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
      first ? handler : '',
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGTERM');
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    expect(cwl.events('/exit', 's').map((e) => e.message)).toContain('bye');
  });

  it('closes on SIGTERM when the program handles only SIGINT', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `process.on('SIGINT', () => { shipper.log('job cancelled'); console.log('cancelled'); });
       shipper.log('started');
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGINT');
    expect((await signalOn(proc, 'cancelled')).signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 's').map((e) => e.message)).toEqual(['started', 'job cancelled']);
  });

  it("gives a second signal to the program's own handler of it, once, without ending the process", async () => {
    // Prepare: the program handles SIGINT ("press Ctrl-C twice to force"), not SIGTERM; a SIGINT
    // comes while the SIGTERM closes the shippers (a slow endpoint).
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ latencyMs: 150 });
    const proc = startChild(
      cwl.endpoint,
      `let presses = 0;
       process.on('SIGINT', () => { if (++presses === 2) process.exit(9); console.log('pressed'); });
       const close = shipper.close.bind(shipper);
       shipper.close = (options) => { console.log('closing'); return close(options); };
       shipper.log('started');
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGTERM');
    expect(await nextLine(proc)).toBe('closing');
    proc.kill('SIGINT');
    expect(await nextLine(proc)).toBe('pressed');
    // Assess: the SIGTERM still ended the process, after the close.
    expect(await exited(proc)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(cwl.events('/exit', 's').map((e) => e.message)).toEqual(['started']);
  });

  it('keeps a shipper made after the program removed every SIGTERM listener covered', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `process.removeAllListeners('SIGTERM');
       const other = makeShipper('other');
       other.log('from the other');
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect((await signalOn(proc, 'ready')).signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 'other')).toHaveLength(1);
  });

  it('closes the other shippers when one throws from close()', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `class Guarded extends LogShipper { close() { throw new Error('guard'); } }
       makeShipper('guarded', {}, Guarded);
       for (let i = 0; i < 10; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect((await signalOn(proc, 'ready')).signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 's')).toHaveLength(10);
  });

  it("does not make the end wait twice when a handled signal's flush ran out of time", async () => {
    // Prepare: the endpoint is down; the program handles SIGTERM by stopping its work.
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ downForMs: 3_600_000 });
    const proc = startChild(
      cwl.endpoint,
      `const work = setInterval(() => {}, 1000);
       let signalled;
       process.on('SIGTERM', () => { signalled = Date.now(); clearInterval(work); });
       process.on('exit', () => console.log(Date.now() - signalled));
       shipper.log('unsendable');
       console.log('ready');`,
    );
    expect(await nextLine(proc)).toBe('ready');
    const took = nextLine(proc);
    proc.kill('SIGTERM');
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    // exitTimeoutMs is 1 s: one wait of it, not two (loosely, so that a slow machine cannot fail it).
    expect(Number(await took)).toBeLessThan(1_900);
  });

  it('closes a shipper made while a signal is being handled before the signal ends the process', async () => {
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ latencyMs: 50 });
    const proc = startChild(
      cwl.endpoint,
      // The first batch goes out with the close the signal starts; when it lands, the program
      // makes another shipper (a stream per job, say) and logs to it.
      `shipper.log('first');
       shipper.once('batch', () => {
         const late = makeShipper('late');
         late.log('made during the close');
       });
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect((await signalOn(proc, 'ready')).signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 'late').map((e) => e.message)).toEqual(['made during the close']);
  });

  it.each([
    ['before', true],
    ['after', false],
  ])(
    'flushes, then ends by the signal, with a signal-exit listener registered %s the shipper',
    async (_, first) => {
      // Prepare: signal-exit's protocol (many packages load it): its listener ends the process by
      // raising the signal again when it finds itself alone, and it counts itself in a global emitter.
      cwl = await startLocalCloudWatchLogs();
      const passive = `
      globalThis[Symbol.for('signal-exit emitter')] = { count: 1 };
      const passive = () => {
        if (process.listeners('SIGTERM').length !== 1) return;
        process.off('SIGTERM', passive);
        process.kill(process.pid, 'SIGTERM');
      };
      process.on('SIGTERM', passive);`;
      const proc = startChild(
        cwl.endpoint,
        `${first ? '' : passive}
       for (let i = 0; i < 1000; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
        first ? passive : '',
      );
      expect(await nextLine(proc)).toBe('ready');
      proc.kill('SIGTERM');
      // Assess: not swallowed (the process ends by the signal) and not cut short (all was sent).
      expect((await exited(proc)).signal).toBe('SIGTERM');
      expect(cwl.events('/exit', 's')).toHaveLength(1000);
    },
  );

  it('waits for the shippers of both the ESM and the CommonJS build before the signal ends the process', async () => {
    cwl = await startLocalCloudWatchLogs();
    const slow = await startLocalCloudWatchLogs({ faults: { latencyMs: 300 } });
    try {
      const proc = startChild(
        cwl.endpoint,
        `const { createRequire } = await import('node:module');
         const { LogShipper: CommonJsShipper } = createRequire(import.meta.url)(
           ${JSON.stringify(dist.replace(/index\.js$/, 'index.cjs'))});
         const other = makeShipper('cjs', {
           flushIntervalMs: 3_600_000, exitTimeoutMs: 2_000,
           clientConfig: { ...clientConfig, endpoint: ${JSON.stringify(slow.endpoint)} },
         }, CommonJsShipper);
         shipper.log('from esm');
         other.log('from cjs');
         console.log('ready');
         setInterval(() => {}, 1000);`,
      );
      expect((await signalOn(proc, 'ready')).signal).toBe('SIGTERM');
      expect(cwl.events('/exit', 's')).toHaveLength(1);
      expect(slow.events('/exit', 'cjs')).toHaveLength(1);
    } finally {
      await slow.close();
    }
  });

  it('sends what the program logs in its own beforeExit, after a flush that went through', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      // The second beforeExit comes once the flush of 'first' went through: the program logs then.
      `let round = 0;
       process.on('beforeExit', () => {
         if (++round === 2) for (let i = 0; i < 3; i++) shipper.log('bye ' + i);
       });
       shipper.log('first');`,
    );
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    expect(cwl.events('/exit', 's')).toHaveLength(4);
  });

  it('lets a program that just ends do so after one bounded flush when the endpoint is dead', async () => {
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ downForMs: 3_600_000 });
    const proc = startChild(
      cwl.endpoint,
      `for (let i = 0; i < 100; i++) shipper.log('line ' + i);
       process.on('exit', () => console.log(JSON.stringify(shipper.stats().dropped)));`,
    );
    const report = nextLine(proc);
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    // Counted, not lost silently: what the flush could not send was dropped as closed.
    expect(JSON.parse(await report)).toMatchObject({ closed: 100 });
  });

  it('counts in exitTimeoutMs the wait for the SDK to load when the program ends as it loads', async () => {
    // Prepare: a program that logs and ends at once, while the SDK of its main-thread shipper is
    // still being read (which keeps the event loop alive: beforeExit comes once it is loaded).
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `await shipper.close();
       const main = makeShipper('m', { thread: 'main', flushIntervalMs: 3_600_000, exitTimeoutMs: 1_000 });
       let heardAfterMs;
       const flush = main.flush.bind(main);
       main.flush = (options) => {
         console.log(JSON.stringify({ timeoutMs: options.timeoutMs, heardAfterMs }));
         return flush(options);
       };
       main.log('the last line');
       const ended = performance.now();
       process.prependListener('beforeExit', () => { heardAfterMs ??= performance.now() - ended; });`,
    );
    const { timeoutMs, heardAfterMs } = JSON.parse(await nextLine(proc)) as {
      timeoutMs: number;
      heardAfterMs: number;
    };
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    // Assess: the flush may take what is left of exitTimeoutMs (1 s, less 50 ms) once the wait
    // for beforeExit is counted, not all of it again; and it still sent the line.
    expect(timeoutMs + heardAfterMs).toBeLessThanOrEqual(950);
    expect(cwl.events('/exit', 'm')).toHaveLength(1);
  });

  it('ends a program that logs on every beforeExit, sending its first goodbyes', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `let round = 0;
       process.on('beforeExit', () => shipper.log('goodbye ' + ++round));
       process.on('exit', () => console.log(round));
       shipper.log('work done');`,
    );
    const rounds = nextLine(proc);
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    expect(Number(await rounds)).toBeLessThan(10);
    expect(
      cwl
        .events('/exit', 's')
        .map((e) => e.message)
        .slice(0, 3),
    ).toEqual(['work done', 'goodbye 1', 'goodbye 2']);
  });

  it('ends by itself within exitTimeoutMs, not requestTimeoutMs, when a request hangs', async () => {
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ latencyMs: 60_000 });
    const proc = startChild(
      cwl.endpoint,
      `shipper.log('never answered');
       process.on('exit', () => console.log(JSON.stringify(shipper.stats().dropped)));`,
    );
    const report = nextLine(proc);
    // exitTimeoutMs is 1 s and requestTimeoutMs 30 s: the bound is loose, the gap wide.
    const started = Date.now();
    expect(await exited(proc)).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(JSON.parse(await report)).toMatchObject({ closed: 1 });
  });

  it('bounds a close the program began, and still ends by the signal', async () => {
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ latencyMs: 150 });
    const proc = startChild(
      cwl.endpoint,
      `for (let i = 0; i < 10; i++) shipper.log('line ' + i);
       setTimeout(() => { void shipper.close(); console.log('closing'); }, 0);
       setInterval(() => {}, 1000);`,
    );
    expect((await signalOn(proc, 'closing')).signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 's')).toHaveLength(10);
  });

  it('listens to no signal in a worker thread, where none arrives and re-raising one would end the process', async () => {
    cwl = await startLocalCloudWatchLogs();
    // Act: a worker makes a shipper with flushOnExit and reports the listeners it finds.
    const proc = startChild(
      cwl.endpoint,
      `const { Worker } = await import('node:worker_threads');
       const worker = new Worker(\`(async () => {
         const { LogShipper } = await import(\${JSON.stringify(${JSON.stringify(dist)})});
         const s = new LogShipper({ logGroupName: '/exit', logStreamName: 'w', flushOnExit: true,
           clientConfig: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' } });
         const { parentPort } = await import('node:worker_threads');
         parentPort.postMessage([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT'),
           process.listenerCount('beforeExit')]);
         await s.close({ timeoutMs: 0 });
       })()\`, { eval: true });
       worker.once('message', (counts) => { console.log(JSON.stringify(counts)); });`,
    );
    // Assess
    expect(JSON.parse(await nextLine(proc))).toEqual([0, 0, 1]);
    await exited(proc);
  });
});

// The exit hooks in this process, with a participant of the test's own (the tests above run whole
// programs in child processes).
const registered: ExitParticipant[] = [];
afterEach(() => {
  for (const participant of registered.splice(0)) unregisterForExit(participant);
});

function participant(
  exitTimeoutMs: number,
  flushed: number[],
  closed: number[] = [],
  more: Partial<ExitParticipant> & { flushMs?: number } = {},
): ExitParticipant {
  const { flushMs = 0, ...overrides } = more;
  const made: ExitParticipant = {
    pending: () => 1,
    logged: () => 1,
    flush: async ({ timeoutMs }) => {
      flushed.push(timeoutMs);
      // The global timer, which the tests below fake.
      if (flushMs > 0) await new Promise((resolve) => setTimeout(resolve, flushMs));
      return { complete: true };
    },
    close: async ({ timeoutMs }) => {
      closed.push(timeoutMs);
      return {};
    },
    exitTimeoutMs,
    ...overrides,
  };
  registerForExit(made);
  registered.push(made);
  return made;
}

/** The process's `beforeExit`, and the turn after it, when the hook looks (after the program's own listeners). */
async function beforeExit(): Promise<void> {
  process.emit('beforeExit', 0);
  await new Promise((resolve) => setImmediate(resolve));
}

describe('beforeExit', () => {
  // The clock the hooks read and the participants' flushes run on; the turns of the loop stay real.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('flushes within exitTimeoutMs less what ending the process takes after it (50 ms)', async () => {
    const flushed: number[] = [];
    participant(2_000, flushed);
    await beforeExit();
    expect(flushed).toEqual([1_950]);
  });

  it('gives the flushes and the close of one sequence one exitTimeoutMs between them', async () => {
    // Prepare: each flush takes 600 ms and leaves events (the program logs on every beforeExit).
    const flushed: number[] = [];
    const closed: number[] = [];
    participant(2_000, flushed, closed, { flushMs: 600 });
    // Act
    for (let round = 0; round < 3; round++) {
      await beforeExit();
      await vi.advanceTimersByTimeAsync(600);
    }
    // Assess: what each gets is what the ones before it left.
    expect(flushed).toEqual([1_950, 1_350]);
    expect(closed).toEqual([750]);
  });

  it('counts in exitTimeoutMs what the participant held the process for before beforeExit came', async () => {
    // Prepare: its own work (the SDK loading, say) kept the event loop alive for the last 300 ms.
    const flushed: number[] = [];
    participant(2_000, flushed, [], { aloneSince: () => performance.now() - 300 });
    await beforeExit();
    expect(flushed).toEqual([1_650]);
  });

  it('counts its flushes, not the time the program itself ran between two beforeExit', async () => {
    // Prepare: the program's own beforeExit listener starts more work, which runs for 5 s.
    const flushed: number[] = [];
    participant(2_000, flushed, [], { flushMs: 100 });
    await beforeExit();
    await vi.advanceTimersByTimeAsync(5_000);
    // Act
    await beforeExit();
    // Assess: the second flush gets what the first left, not nothing.
    expect(flushed).toEqual([1_950, 1_850]);
  });

  it('starts a new budget once a look finds nothing pending', async () => {
    const flushed: number[] = [];
    let pending = 1;
    participant(2_000, flushed, [], { flushMs: 600, pending: () => pending, logged: () => pending });
    await beforeExit();
    await vi.advanceTimersByTimeAsync(600);
    pending = 0;
    await beforeExit();
    pending = 2;
    await beforeExit();
    expect(flushed).toEqual([1_950, 1_950]);
  });

  it('flushes with no wait when exitTimeoutMs is shorter than that', async () => {
    const flushed: number[] = [];
    participant(10, flushed);
    await beforeExit();
    expect(flushed).toEqual([0]);
  });
});

describe('LoopHold', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("dates the program's end back to the start of a hold that beforeExit came at the end of", () => {
    const start = performance.now();
    const hold = new LoopHold(() => 0);
    const release = hold.hold();
    vi.advanceTimersByTime(120);
    release();
    vi.advanceTimersByTime(2);
    expect(hold.aloneSince()).toBe(start);
  });

  it('dates it no earlier than a call of the program seen while the work held the loop', () => {
    // Prepare: a first hold (the SDK loading), a second from 30 ms (a request), and a call at 40 ms.
    let calls = 0;
    const start = performance.now();
    const hold = new LoopHold(() => calls);
    const loading = hold.hold();
    vi.advanceTimersByTime(30);
    const request = hold.hold();
    vi.advanceTimersByTime(10);
    calls++;
    vi.advanceTimersByTime(60);
    loading();
    vi.advanceTimersByTime(20);
    request();
    // Assess: the call came after the look at 30 ms; when after it cannot be told.
    expect(hold.aloneSince()).toBe(start + 30);
  });

  it('takes holds a moment apart as one, and a longer gap as the program holding the loop', () => {
    const start = performance.now();
    const hold = new LoopHold(() => 0);
    hold.hold()();
    vi.advanceTimersByTime(5);
    hold.hold()();
    expect(hold.aloneSince()).toBe(start);
    vi.advanceTimersByTime(50);
    const later = performance.now();
    hold.hold()();
    expect(hold.aloneSince()).toBe(later);
  });

  it('tells nothing when beforeExit comes well after the work let go, or while it holds', () => {
    const hold = new LoopHold(() => 0);
    expect(hold.aloneSince()).toBeUndefined();
    const release = hold.hold();
    // Held at beforeExit: what it counts did not keep the loop alive (a client's promise, say).
    expect(hold.aloneSince()).toBeUndefined();
    release();
    vi.advanceTimersByTime(50);
    expect(hold.aloneSince()).toBeUndefined();
  });
});
