import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { type LambdaContextLike, withShipper } from '../src/lambda.js';
import { LogShipper } from '../src/shipper.js';
import { startLocalCloudWatchLogs } from '../src/testing/index.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

/**
 * A CloudWatch Logs client whose every request takes `latencyMs` of (fake) time: the slow
 * endpoint. It keeps what it acknowledged, in order, and counts requests in flight.
 */
class SlowEndpoint {
  latencyMs = 100;
  inFlight = 0;
  readonly acknowledged: string[] = [];

  readonly client = {
    send: (
      command: { input: { logEvents?: { message: string }[] } },
      options?: { abortSignal?: AbortSignal },
    ) => {
      this.inFlight++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.inFlight--;
          for (const event of command.input.logEvents ?? []) this.acknowledged.push(event.message);
          resolve({});
        }, this.latencyMs);
        options?.abortSignal?.addEventListener('abort', () => {
          clearTimeout(timer);
          this.inFlight--;
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        });
      });
    },
  } as unknown as CloudWatchLogsClient;
}

/** A Lambda context whose clock runs on the (fake) `Date.now()`. */
function contextWithRemaining(remainingMs: number): LambdaContextLike & { awsRequestId: string } {
  const deadline = Date.now() + remainingMs;
  return { awsRequestId: `req-${remainingMs}`, getRemainingTimeInMillis: () => deadline - Date.now() };
}

/** Settles `promise` into a record that a test can read synchronously after advancing the clock. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown; at?: number } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value, at: Date.now() }),
    (error: unknown) => Object.assign(state, { settled: true, error, at: Date.now() }),
  );
  return state;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function totalDropped(shipper: LogShipper): number {
  return Object.values(shipper.stats().dropped).reduce((a, b) => a + b, 0);
}

describe('withShipper — a simulated invocation', () => {
  let endpoint: SlowEndpoint;
  let shipper: LogShipper;

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    endpoint = new SlowEndpoint();
    shipper = new LogShipper({
      logGroupName: '/aws/lambda/fn',
      logStreamName: 'instance-1',
      client: endpoint.client,
      flushIntervalMs: 60_000,
    });
  });

  afterEach(async () => {
    const closing = shipper.close({ timeoutMs: 0 });
    await vi.runAllTimersAsync();
    await closing;
    vi.useRealTimers();
  });

  it("flushes what the handler logged before returning the handler's result", async () => {
    // Prepare
    const handler = withShipper(async (event: { n: number }) => {
      for (let i = 0; i < event.n; i++) shipper.log(`line ${i}`);
      return { statusCode: 200 };
    }, shipper);
    // Act
    const invocation = track(handler({ n: 3 }, contextWithRemaining(3000)));
    await vi.advanceTimersByTimeAsync(99);
    // Assess: the result waits for the endpoint's acknowledgment, then comes unchanged.
    expect(invocation.settled).toBe(false);
    expect(endpoint.acknowledged).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(invocation).toMatchObject({ settled: true, value: { statusCode: 200 }, at: T0 + 100 });
    expect(endpoint.acknowledged).toEqual(['line 0', 'line 1', 'line 2']);
  });

  it('returns at the deadline minus the margin when the endpoint is slower, dropping nothing', async () => {
    // Prepare: 1 s left, a 200 ms margin, an endpoint that takes a minute.
    endpoint.latencyMs = 60_000;
    const handler = withShipper(
      async () => {
        shipper.log('late');
        return 'done';
      },
      shipper,
      { marginMs: 200 },
    );
    // Act
    const invocation = track(handler(undefined, contextWithRemaining(1000)));
    await vi.advanceTimersByTimeAsync(799);
    expect(invocation.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    // Assess
    expect(invocation).toMatchObject({ settled: true, value: 'done', at: T0 + 800 });
    expect(totalDropped(shipper)).toBe(0);
    expect(shipper.stats().inFlight).toBe(1);
  });

  it('uses a margin of 500 ms by default, and never waits past a deadline already gone', async () => {
    endpoint.latencyMs = 60_000;
    const handler = withShipper(async () => shipper.log('x'), shipper);
    const normal = track(handler(undefined, contextWithRemaining(2000)));
    const late = track(handler(undefined, contextWithRemaining(100)));
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toMatchObject({ settled: true, at: T0 });
    await vi.advanceTimersByTimeAsync(1500);
    expect(normal).toMatchObject({ settled: true, at: T0 + 1500 });
  });

  it('caps the wait at maxFlushMs, and uses it when the context has no clock', async () => {
    endpoint.latencyMs = 60_000;
    const handler = withShipper(async () => shipper.log('x'), shipper, { maxFlushMs: 300 });
    const capped = track(handler(undefined, contextWithRemaining(10_000)));
    const clockless = track(handler(undefined, {} as LambdaContextLike));
    await vi.advanceTimersByTimeAsync(300);
    expect(capped).toMatchObject({ settled: true, at: T0 + 300 });
    expect(clockless).toMatchObject({ settled: true, at: T0 + 300 });
  });

  it("rethrows the handler's own error, unchanged, after flushing", async () => {
    // Prepare
    const failure = Object.assign(new Error('payment declined'), { code: 'DECLINED' });
    const handler = withShipper(async () => {
      shipper.log('about to fail');
      throw failure;
    }, shipper);
    // Act
    const invocation = track(handler({}, contextWithRemaining(3000)));
    await vi.advanceTimersByTimeAsync(100);
    // Assess
    expect(invocation).toMatchObject({ settled: true, at: T0 + 100 });
    expect(invocation.error).toBe(failure);
    expect(endpoint.acknowledged).toEqual(['about to fail']);
  });

  it('rethrows an error thrown synchronously, and a non-Error value, as they are', async () => {
    const thrown = { reason: 'not an Error' };
    const handler = withShipper(
      (() => {
        throw thrown;
      }) as unknown as () => Promise<void>,
      shipper,
    );
    const invocation = track(handler(undefined, contextWithRemaining(3000)));
    await vi.advanceTimersByTimeAsync(0);
    expect(invocation.error).toBe(thrown);
  });

  it("keeps overlapping invocations apart: one's deadline neither drops nor holds back the other's events", async () => {
    // Prepare: A has 300 ms left (a 100 ms margin: it may flush for 200 ms), B has 5 s; every
    // request takes 500 ms.
    endpoint.latencyMs = 500;
    const aWork = deferred();
    const bWork = deferred();
    const handler = withShipper(
      async (event: { name: string; work: Promise<void>; after?: string }) => {
        shipper.log(`${event.name}: start`);
        await event.work;
        shipper.log(`${event.name}: end`);
        return event.name;
      },
      shipper,
      { marginMs: 100 },
    );
    // Act: both start; A ends first, while B's first event is buffered too.
    const a = track(handler({ name: 'A', work: aWork.promise }, contextWithRemaining(300)));
    const b = track(handler({ name: 'B', work: bWork.promise }, contextWithRemaining(5000)));
    aWork.resolve();
    await vi.advanceTimersByTimeAsync(200);
    // Assess: A returned at its own deadline, with its and B's events in flight, none dropped.
    expect(a).toMatchObject({ settled: true, value: 'A', at: T0 + 200 });
    expect(b.settled).toBe(false);
    expect(totalDropped(shipper)).toBe(0);
    expect(endpoint.acknowledged).toEqual([]);
    // Act: B ends after A has returned.
    bWork.resolve();
    await vi.advanceTimersByTimeAsync(2000);
    // Assess: B waited for everything logged before its flush, A's events included, and got it all.
    expect(b).toMatchObject({ settled: true, value: 'B' });
    expect(endpoint.acknowledged.sort()).toEqual(['A: end', 'A: start', 'B: end', 'B: start']);
    expect(totalDropped(shipper)).toBe(0);
    expect(b.at).toBeLessThanOrEqual(T0 + 1000);
  });

  it('refuses bad arguments when wrapping, not when invoked', () => {
    const handler = async () => 1;
    expect(() => withShipper(handler, shipper, { marginMs: -1 })).toThrow(ConfigError);
    expect(() => withShipper(handler, shipper, { marginMs: 1.5 })).toThrow(/marginMs/);
    expect(() => withShipper(handler, shipper, { maxFlushMs: Number.NaN })).toThrow(/maxFlushMs/);
    expect(() => withShipper(handler, {} as LogShipper)).toThrow(/`shipper`/);
    expect(() => withShipper('handler' as unknown as typeof handler, shipper)).toThrow(/`handler`/);
  });
});

describe('withShipper — against the local endpoint', () => {
  it('has delivered every line the handler logged when the invocation returns', async () => {
    // Prepare
    const cwl = await startLocalCloudWatchLogs();
    const shipper = new LogShipper({
      logGroupName: '/aws/lambda/fn',
      logStreamName: 'instance-2',
      clientConfig: cwl.clientConfig(),
      createLogGroup: true,
    });
    try {
      const handler = withShipper(
        async (event: { lines: number }, context: LambdaContextLike & { awsRequestId: string }) => {
          for (let i = 0; i < event.lines; i++) shipper.log({ message: `${context.awsRequestId} ${i}` });
          return 'ok';
        },
        shipper,
      );
      // Act
      const result = await handler(
        { lines: 2000 },
        { awsRequestId: 'r-1', getRemainingTimeInMillis: () => 10_000 },
      );
      // Assess: no wait, no flush of our own: it is there.
      expect(result).toBe('ok');
      expect(cwl.events('/aws/lambda/fn', 'instance-2')).toHaveLength(2000);
    } finally {
      await shipper.close();
      await cwl.close();
    }
  });
});
