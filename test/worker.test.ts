// Worker mode (`thread: 'worker'`): the choice of thread, what cannot cross, and the pipeline run by
// a worker thread end to end through the real SDK against the local endpoint. The worker runs the
// built code (`npm run build` makes it; vitest.config.ts hands it to src/worker/source.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { getPriority } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { STREAM_IDLE_MS } from '../src/buffers.js';
import { ConfigError, DeliveryError, LogShipper, type LogShipperOptions } from '../src/index.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { KeepAlive } from '../src/timing.js';
import { uncrossable } from '../src/worker/crossing.js';
import { transportBytes, workerBufferedBytes } from '../src/worker/transport.js';
import { until } from './e2e/helpers.js';
import { captureWarnings } from './support/warnings.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpoint(): Promise<LocalCloudWatchLogs> {
  const cwl = await startLocalCloudWatchLogs();
  cleanups.push(() => cwl.close());
  return cwl;
}

function shipper(cwl: LocalCloudWatchLogs, options: Partial<LogShipperOptions> = {}): LogShipper {
  const made = new LogShipper({
    logGroupName: '/worker',
    logStreamName: 's',
    clientConfig: cwl.clientConfig(),
    dropMarkers: false,
    ...options,
  });
  cleanups.push(() => made.close({ timeoutMs: 2_000 }));
  return made;
}

/** Each thread of this process, with its nice value (Linux: /proc/self/task/<tid>/stat, field 19). */
function niceValues(): [string, number][] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // After the command name, which may hold spaces and parentheses: field 3 (state) onwards.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [tid, Number(fields[19 - 3])];
  });
}

function invariant(stats: ReturnType<LogShipper['stats']>): number {
  let dropped = 0;
  for (const count of Object.values(stats.dropped)) dropped += count;
  return stats.sent + stats.buffered + stats.inFlight + dropped;
}

describe('the thread a shipper runs on', () => {
  const base = { logGroupName: 'g', logStreamName: 's' };

  it('is the worker by default when every option can cross', () => {
    const made = new LogShipper({ ...base, clientConfig: { region: 'eu-west-1' } });
    cleanups.push(() => made.close());
    expect(made.thread).toBe('worker');
  });

  it.each([
    ['client', { client: new CloudWatchLogsClient({ region: 'eu-west-1' }) }],
    ['now', { now: () => 0 }],
    ['random', { random: () => 0.5 }],
    [
      'clientConfig.credentials',
      {
        clientConfig: {
          region: 'eu-west-1',
          credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }),
        },
      },
    ],
  ] as const)(
    'is the main thread when %s cannot cross, and thread: worker is refused naming it',
    (option, options) => {
      const made = new LogShipper({ ...base, ...options } as LogShipperOptions);
      cleanups.push(() => made.close());
      expect(made.thread).toBe('main');
      let error: unknown;
      try {
        new LogShipper({ ...base, ...options, thread: 'worker' } as LogShipperOptions);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
      expect((error as Error).message).toContain('cannot cross to a worker thread');
      expect((error as Error).message).toContain("thread: 'main'");
    },
  );

  it('names a class instance deep in clientConfig, and never what a value holds', () => {
    class Handler {
      secret = 'SECRET-VALUE';
    }
    expect(uncrossable({ clientConfig: { requestHandler: new Handler() } })).toEqual({
      option: 'clientConfig.requestHandler',
      what: 'an instance of Handler',
    });
    expect(
      uncrossable({ clientConfig: { credentials: { accessKeyId: 'AKIA', secretAccessKey: 'x' } } }),
    ).toBe(undefined);
    expect(JSON.stringify(uncrossable({ clientConfig: { x: [1, new Handler()] } }))).not.toContain('SECRET');
  });

  it('refuses a thread that is neither main nor worker', () => {
    expect(() => new LogShipper({ ...base, thread: 'both' as 'main' })).toThrow(ConfigError);
  });

  it('sizes the ring from maxBufferedBytes, a power of two within 4 and 16 MiB', () => {
    expect(transportBytes(1024 * 1024)).toBe(4 * 1024 * 1024);
    expect(transportBytes(64 * 1024 * 1024)).toBe(8 * 1024 * 1024);
    expect(transportBytes(2 ** 40)).toBe(16 * 1024 * 1024);
  });

  it("takes the ring out of the worker's share of maxBufferedBytes, once the ring is at most half of it", () => {
    const MiB = 1024 * 1024;
    expect(workerBufferedBytes(64 * MiB, transportBytes(64 * MiB))).toBe(56 * MiB);
    expect(workerBufferedBytes(8 * MiB, transportBytes(8 * MiB))).toBe(4 * MiB);
    // Below twice the smallest ring, the worker keeps the whole bound and the ring is extra.
    expect(workerBufferedBytes(8 * MiB - 1, transportBytes(8 * MiB - 1))).toBe(8 * MiB - 1);
    expect(workerBufferedBytes(MiB + 24, transportBytes(MiB + 24))).toBe(MiB + 24);
  });
});

describe('worker mode, end to end', () => {
  it('delivers what is logged, with stats exact at every moment the program looks', async () => {
    const cwl = await endpoint();
    const made = shipper(cwl);
    const batches: number[] = [];
    made.on('batch', (report) => batches.push(report.events));
    for (let i = 0; i < 25_000; i++) {
      made.log(`line ${i}`);
      if (i % 5_000 === 0) expect(invariant(made.stats())).toBe(made.stats().logged);
    }
    expect(made.stats()).toMatchObject({
      logged: 25_000,
      buffered: 25_000 - made.stats().inFlight - made.stats().sent,
    });
    expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
    const stats = made.stats();
    expect(stats).toMatchObject({ logged: 25_000, sent: 25_000, buffered: 0, inFlight: 0, destinations: 1 });
    expect(batches.reduce((a, b) => a + b, 0)).toBe(25_000);
    expect(stats.batches).toBe(batches.length);
    // Requests go in parallel: what is stored is every line once (in timestamp order, not log order).
    const stored = cwl.events('/worker', 's').map((e) => Number(e.message.slice(5)));
    expect(stored.sort((a, b) => a - b)).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
  });

  it('routes to the destinations log() names, and splits an oversized message into pieces sent whole', async () => {
    const cwl = await endpoint();
    const made = shipper(cwl, { maxEventBytes: 2_048, oversizedEvents: 'split' });
    const big = 'é'.repeat(5_000);
    made.log('to the default');
    made.log('to another', { logStreamName: 'other' });
    made.log(big, { logGroupName: '/worker-2', logStreamName: 'x' });
    made.log({ message: 'stamped', timestamp: Date.now() - 60_000 });
    // Not ASCII: copied from the ring as UTF-8 bytes, decoded once when taken.
    made.log({ message: 'héllo ✓ 🎉', timestamp: Date.now() - 30_000 });
    await made.flush();
    expect(made.stats()).toMatchObject({ logged: 5, sent: 5, split: 1 });
    expect(cwl.events('/worker', 's').map((e) => e.message)).toEqual([
      'stamped',
      'héllo ✓ 🎉',
      'to the default',
    ]);
    expect(cwl.events('/worker', 'other').map((e) => e.message)).toEqual(['to another']);
    expect(
      cwl
        .events('/worker-2', 'x')
        .map((e) => e.message)
        .join(''),
    ).toBe(big);
  });

  it('counts refused input on the program thread, and names a refused destination in one warning', async () => {
    const cwl = await endpoint();
    const captured = captureWarnings();
    try {
      const made = shipper(cwl);
      made.log('');
      made.log({ message: 'x', timestamp: Number.NaN });
      made.log('bad', { logStreamName: 'a:b' });
      made.log('bad again', { logStreamName: 'a:b' });
      await made.flush();
      expect(made.stats().dropped).toMatchObject({ empty: 1, invalidTimestamp: 1, invalidDestination: 2 });
      expect(invariant(made.stats())).toBe(4);
      expect(captured.warnings.filter((w) => w.code === 'CWS_INVALID_DESTINATION')).toHaveLength(1);
    } finally {
      captured.restore();
    }
  });

  it('answers log() and keeps the event when the check that answers it throws', async () => {
    // Prepare: the high-water mark reached at the second event, with a 'drain' listener, so that
    // log()'s last step takes a hold on the process for the 'drain' owed; that hold is made to throw.
    const cwl = await endpoint();
    const made = shipper(cwl, { maxBufferedEvents: 4, highWaterMark: 0.5 });
    made.on('drain', () => {});
    const captured = captureWarnings();
    const hold = vi.spyOn(KeepAlive.prototype, 'hold').mockImplementation(() => {
      throw new Error('planted');
    });
    let answers: boolean[];
    try {
      // Act
      answers = [made.log('one'), made.log('two')];
    } finally {
      hold.mockRestore();
    }
    await made.flush();
    captured.restore();
    // Assess: log() did not throw, did not ask the program to wait, and no event was lost.
    expect(answers).toEqual([true, true]);
    expect(captured.warnings.map((w) => w.code)).toEqual(['CWS_INTERNAL_ERROR']);
    expect(made.stats()).toMatchObject({ logged: 2, sent: 2, dropped: { internal: 0 } });
    expect(cwl.events('/worker', 's').map((e) => e.message)).toEqual(['one', 'two']);
  });

  it("answers true once closing, since no 'drain' follows a close", async () => {
    // Prepare: the high-water mark reached at the second event.
    const cwl = await endpoint();
    const made = shipper(cwl, { maxBufferedEvents: 4, highWaterMark: 0.5 });
    expect([made.log('one'), made.log('two')]).toEqual([true, false]);
    // Act
    const closing = made.close();
    const answer = made.log('after close');
    await closing;
    // Assess
    expect(answer).toBe(true);
    expect(made.stats()).toMatchObject({ logged: 3, sent: 2, dropped: { closed: 1 } });
  });

  it('counts what the worker held as internal drops when it ends in the middle of close()', async () => {
    // Prepare: an endpoint that takes connections and never answers, so that nothing is sent and
    // close() waits on the worker; 1,000 events in the worker's hands.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const made = new LogShipper({
      logGroupName: '/worker',
      logStreamName: 's',
      clientConfig: {
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      },
    });
    for (let i = 0; i < 1_000; i++) made.log(`line ${i}`);
    const { worker } = (made as unknown as { workerView: { worker: Worker } }).workerView;
    // Act: close, and the worker ends before it answers.
    const closing = made.close();
    await worker.terminate();
    const result = await closing;
    // Assess: nothing left pending for ever; the 1,000 are counted, as lost, once.
    expect(result).toEqual({ complete: false, dropped: 1_000 });
    const stats = made.stats();
    expect(stats).toMatchObject({ logged: 1_000, sent: 0, buffered: 0, inFlight: 0 });
    expect(stats.dropped.internal).toBe(1_000);
    expect(invariant(stats)).toBe(1_000);
  });

  it("emits a delivery failure to the program's 'error' listener as a DeliveryError", async () => {
    const cwl = await endpoint();
    const made = shipper(cwl, { createLogGroup: false, logGroupName: '/missing' });
    const errors: unknown[] = [];
    made.on('error', (error) => errors.push(error));
    // The worker learns of the listener on the next microtask.
    await Promise.resolve();
    made.log('nowhere to go');
    await made.flush();
    expect(made.stats().dropped.rejected).toBe(1);
    expect(errors).toHaveLength(1);
    const error = errors[0] as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      code: 'CWS_DELIVERY_REJECTED',
      reason: 'rejected',
      logGroupName: '/missing',
      events: 1,
    });
    expect(error.message).not.toContain('nowhere to go');
  });

  it('warns on the program thread, with the code, when nobody listens for errors', async () => {
    const cwl = await endpoint();
    const captured = captureWarnings();
    try {
      const made = shipper(cwl, { createLogGroup: false, logGroupName: '/missing' });
      made.log('nowhere to go');
      await made.flush();
      expect(captured.warnings.map((w) => w.code)).toContain('CWS_DELIVERY_REJECTED');
      expect(captured.warnings.map((w) => w.inspected).join('')).not.toContain('nowhere to go');
    } finally {
      captured.restore();
    }
  });

  it("answers false past the high-water mark, then emits 'drain' once below it", async () => {
    const cwl = await endpoint();
    cwl.setFaults({ latencyMs: 200 });
    const made = shipper(cwl, { maxBufferedEvents: 1_000, highWaterMark: 0.5 });
    let accepted = 0;
    while (made.log(`line ${accepted}`)) accepted++;
    expect(accepted).toBeLessThan(500);
    const drained = new Promise<void>((resolve) => made.once('drain', resolve));
    await drained;
    expect(made.log('after the drain')).toBe(true);
    await made.flush();
    expect(made.stats()).toMatchObject({ logged: accepted + 2, sent: accepted + 2 });
  });

  it('holds at most maxBufferedEvents while the endpoint is down, and counts the overflow exactly', async () => {
    const cwl = await endpoint();
    await (await endpointClient(cwl)).send(
      new (await import('@aws-sdk/client-cloudwatch-logs')).CreateLogGroupCommand({
        logGroupName: '/worker',
      }),
    );
    cwl.setFaults({ downForMs: 3_600_000 });
    const made = shipper(cwl, {
      maxBufferedEvents: 1_000,
      flushIntervalMs: 3_600_000,
      retry: { minDelayMs: 5, maxDelayMs: 10 },
    });
    for (let i = 0; i < 3_000; i++) made.log(`line ${i}`);
    // The worker fills its buffers as it reads the ring (from its start-up on), dropping the oldest.
    await until(() => made.stats().dropped.overflow >= 2_000, 'the worker has read the ring');
    const during = made.stats();
    expect(during.buffered + during.inFlight).toBeLessThanOrEqual(1_000);
    expect(during.dropped.overflow).toBe(3_000 - during.buffered - during.inFlight);
    cwl.setFaults({ downForMs: 0 });
    expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
    const stats = made.stats();
    expect(stats.sent + stats.dropped.overflow).toBe(3_000);
    // dropOldest: what arrives is the newest, in order.
    const stored = cwl.events('/worker', 's').map((e) => Number(e.message.slice(5)));
    expect(stored).toEqual(Array.from({ length: stats.sent }, (_, i) => 3_000 - stats.sent + i));
  });

  it('keeps the ring and what the worker holds within maxBufferedBytes together', async () => {
    const cwl = await endpoint();
    cwl.setFaults({ downForMs: 3_600_000 });
    // 8 MiB: a 4 MiB ring, and 4 MiB for the worker's buffers, 4,096 records of 1,000 + 24 bytes.
    const made = shipper(cwl, {
      maxBufferedBytes: 8 * 1024 * 1024,
      maxBufferedEvents: 100_000,
      onBufferFull: 'dropNewest',
      concurrency: 1,
      flushIntervalMs: 3_600_000,
      retry: { minDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
    });
    const view = () => (made as unknown as { workerView: { unreadBytes: number } }).workerView;
    // In bursts of 1,000 that the ring holds, each read by the worker before the next.
    for (let burst = 0; burst < 7; burst++) {
      for (let i = 0; i < 1_000; i++) made.log(`${burst}${String(i).padStart(4, '0')}`.padEnd(1_000, '.'));
      await until(() => view().unreadBytes === 0, 'the worker has read the ring');
    }
    // One batch is out (the endpoint is down, its retry an hour away); the rest waits in the worker,
    // whose counters follow its reading of the ring by a moment.
    await until(() => made.stats().buffered === 4_096, "the worker's counters hold 4,096 events");
    const stats = made.stats();
    expect(stats.inFlight).toBeGreaterThan(0);
    expect(stats.dropped.overflow).toBe(7_000 - 4_096 - stats.inFlight);
  });

  it('starts the worker with a small young generation', () => {
    const made = new LogShipper({
      logGroupName: 'g',
      logStreamName: 's',
      clientConfig: { region: 'eu-west-1' },
    });
    cleanups.push(() => made.close({ timeoutMs: 0 }));
    const view = (made as unknown as { workerView: { resourceLimits: object } }).workerView;
    expect(view.resourceLimits).toMatchObject({ maxYoungGenerationSizeMb: 16 });
  });

  it.runIf(process.platform === 'linux')(
    "lowers the worker thread's priority by workerNice, and the program thread's not at all",
    async () => {
      const cwl = await endpoint();
      const before = niceValues();
      const made = shipper(cwl, { workerNice: 7 });
      made.log('started');
      // A flush answers from the worker: it has run its start by then.
      expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
      const after = niceValues();
      expect(after.filter(([tid]) => !before.some(([old]) => old === tid)).map(([, nice]) => nice)).toContain(
        7,
      );
      expect(getPriority(0)).toBe(0);
      expect(after.filter(([, nice]) => nice === 7)).toHaveLength(1);
    },
  );

  it.runIf(process.platform === 'linux')('leaves every thread as it is with workerNice 0', async () => {
    const cwl = await endpoint();
    const made = shipper(cwl, { workerNice: 0 });
    made.log('started');
    expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
    expect(niceValues().every(([, nice]) => nice === 0)).toBe(true);
  });

  it('refuses a workerNice outside 0 to 19', () => {
    for (const workerNice of [-1, 20, 2.5, '10']) {
      expect(() => new LogShipper({ logGroupName: 'g', logStreamName: 's', workerNice } as never)).toThrow(
        ConfigError,
      );
    }
  });

  it('answers ready() once the worker can send, and no once it is closed', async () => {
    const cwl = await endpoint();
    const made = shipper(cwl);
    expect(await made.ready()).toBe(true);
    made.log('after ready');
    expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
    await made.close();
    expect(await made.ready()).toBe(false);
    expect(cwl.events('/worker', 's').map((e) => e.message)).toEqual(['after ready']);
  });

  it('lets destinations go unused for the idle time, and gives their ids to new ones without mixing events up', async () => {
    // Prepare: the program thread's sweeps (its flush-interval timer) stepped by hand; the worker's are its own.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    cleanups.push(async () => vi.useRealTimers());
    const cwl = await endpoint();
    const intervalMs = 60_000;
    const made = shipper(cwl, { flushIntervalMs: intervalMs });
    const linked = () => (made as unknown as { linkedDestinations: number }).linkedDestinations;
    const logTo = (prefix: string) => {
      for (let i = 0; i < 10; i++) made.log(`${prefix}${i}`, { logStreamName: `${prefix}${i}` });
    };
    expect(await made.ready()).toBe(true);
    // Act, in one job: ten destinations, two idle times of sweeps, ten new destinations under the
    // ids let go. The worker reads none of it before the job ends (the ring is published then), so
    // the a-streams' records still wait in the ring when their ids are given to the b-streams.
    logTo('a');
    // The options' own stream, and the ten.
    expect(linked()).toBe(11);
    vi.advanceTimersByTime(2 * STREAM_IDLE_MS + intervalMs);
    expect(linked()).toBe(1);
    logTo('b');
    made.log('default');
    expect(linked()).toBe(11);
    expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
    // Assess: each event in its own stream, though the ids were the same.
    for (let i = 0; i < 10; i++) {
      expect(cwl.events('/worker', `a${i}`).map((e) => e.message)).toEqual([`a${i}`]);
      expect(cwl.events('/worker', `b${i}`).map((e) => e.message)).toEqual([`b${i}`]);
    }
    expect(cwl.events('/worker', 's').map((e) => e.message)).toEqual(['default']);
  });

  it('closes: drops what is left when the bound ends, refuses what comes after, and ends its thread', async () => {
    const cwl = await endpoint();
    cwl.setFaults({ downForMs: 3_600_000 });
    const made = shipper(cwl, { retry: { minDelayMs: 5, maxDelayMs: 10 } });
    for (let i = 0; i < 100; i++) made.log(`line ${i}`);
    const closing = made.close({ timeoutMs: 200 });
    expect(made.close()).toBe(closing);
    const result = await closing;
    expect(result).toEqual({ complete: false, dropped: 100 });
    made.log('too late');
    expect(made.stats()).toMatchObject({ logged: 101, sent: 0, buffered: 0, inFlight: 0 });
    expect(made.stats().dropped.closed).toBe(101);
    expect(await made.flush()).toEqual({ complete: true, remaining: 0 });
  });
});

async function endpointClient(cwl: LocalCloudWatchLogs): Promise<CloudWatchLogsClient> {
  const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
  cleanups.push(async () => client.destroy());
  return client;
}
