/**
 * Shared by the end-to-end tests: a real `@aws-sdk/client-cloudwatch-logs` client, a `LogShipper`
 * and the local endpoint, over real HTTP on 127.0.0.1. Nothing here is mocked.
 */
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { expect, vi } from 'vitest';
import type { LogShipperOptions } from '../../src/options.js';
import { LogShipper } from '../../src/shipper.js';
import type { ShipperStats } from '../../src/stats.js';
import { mulberry32 } from '../../src/testing/faults.js';
import {
  type LocalCloudWatchLogs,
  type LocalCloudWatchLogsOptions,
  type LocalStats,
  type StoredEvent,
  startLocalCloudWatchLogs,
} from '../../src/testing/index.js';
import { expectBalanced, sumDropped } from '../support/balance.js';

export const GROUP = '/e2e/app';

/** Backoff small enough that a fault scenario finishes in well under a second of retries. */
export const FAST_RETRY = { minDelayMs: 1, maxDelayMs: 20 } as const;

const cleanups: (() => Promise<void> | void)[] = [];

/** Closes every shipper, client and endpoint a test made, newest first. Call it from `afterEach`. */
export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** A local endpoint, closed by {@link cleanUp}. */
export async function startEndpoint(options: LocalCloudWatchLogsOptions = {}): Promise<LocalCloudWatchLogs> {
  const cwl = await startLocalCloudWatchLogs(options);
  cleanups.push(() => cwl.close());
  return cwl;
}

/** A client for `cwl` with the SDK's own retries off, as the shipper's docs ask; destroyed by {@link cleanUp}. */
export function clientFor(cwl: LocalCloudWatchLogs): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
  cleanups.push(() => client.destroy());
  return client;
}

/**
 * Keeps the JSON body of the first `limit` requests of `operation` that `client` sends, as it
 * goes on the wire.
 */
export function captureBodies(client: CloudWatchLogsClient, operation: string, limit = 10): unknown[] {
  const bodies: unknown[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const target = request.headers?.['x-amz-target'] ?? '';
      const { body } = request;
      if (target.endsWith(`.${operation}`) && bodies.length < limit) {
        // The SDK hands over a string or, in recent versions, the UTF-8 bytes.
        const text =
          body instanceof Uint8Array
            ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
            : String(body);
        bodies.push(JSON.parse(text));
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'e2eCaptureBodies' },
  );
  return bodies;
}

export async function createGroup(cwl: LocalCloudWatchLogs, logGroupName = GROUP): Promise<void> {
  await clientFor(cwl).send(new CreateLogGroupCommand({ logGroupName }));
}

/**
 * A shipper sending to `cwl`, without drop markers unless asked. By default it builds its own
 * client from `clientConfig`; pass `client` to send with one of yours. Closed by {@link cleanUp} if the test did not close it.
 */
/**
 * `npm test` runs the end-to-end and chaos suites twice: in the default mode (a worker thread, since
 * their options can cross) and with `CWS_TEST_THREAD=main` on the program's thread.
 */
export function threadUnderTest(): { thread?: 'main' | 'worker' } {
  const thread = process.env.CWS_TEST_THREAD;
  return thread === 'main' || thread === 'worker' ? { thread } : {};
}

export function shipperFor(cwl: LocalCloudWatchLogs, options: Partial<LogShipperOptions> = {}): LogShipper {
  const shipper = new LogShipper({
    logGroupName: GROUP,
    logStreamName: 'default',
    // These tests compare every stored event with what was logged; drop markers have tests of their own.
    dropMarkers: false,
    ...(options.client === undefined ? { clientConfig: cwl.clientConfig() } : {}),
    ...threadUnderTest(),
    ...options,
  });
  cleanups.push(async () => {
    await shipper.close({ timeoutMs: 1_000 });
  });
  return shipper;
}

/**
 * What every scenario ends with: the shipper balanced and idle, the endpoint saw no request that
 * broke a PutLogEvents rule and no sequence token.
 */
export function expectSettled(
  shipper: LogShipper,
  cwl: LocalCloudWatchLogs,
): { stats: ShipperStats; local: LocalStats } {
  const stats = expectBalanced(shipper);
  expect(stats.buffered).toBe(0);
  expect(stats.inFlight).toBe(0);
  const local = cwl.stats();
  expect(local.violations).toMatchObject({ total: 0 });
  expect(local.sequenceTokensReceived).toBe(0);
  return { stats, local };
}

/** Bytes the shipper counts as sent for what the endpoint stored: message bytes plus 26 per event. */
export function expectBytesAgree(stats: ShipperStats, local: LocalStats): void {
  expect(stats.bytesSent).toBe(local.bytesAccepted + 26 * local.eventsAccepted);
}

/**
 * Records process warnings (a `DeliveryError` with no `error` listener becomes one, and so does
 * a listener leak) until `stop()`, which waits a turn for warnings emitted on the next tick. They are
 * kept for the test to assert, not printed on the test run's standard error.
 */
export function watchWarnings(): { stop: () => Promise<Error[]> } {
  const warnings: Error[] = [];
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
    const [warning, options, code] = args;
    const error = warning instanceof Error ? warning : new Error(String(warning));
    const given =
      typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : code;
    if (typeof given === 'string') Object.assign(error, { code: given });
    warnings.push(error);
  });
  return {
    stop: async () => {
      await nextTurn();
      spy.mockRestore();
      return warnings;
    },
  };
}

/** Polls `condition` every few milliseconds; fails the test if it does not hold within `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(5);
  }
}

/** Lets the event loop run (timers, sockets) between bursts of logging. */
export function yieldToLoop(): Promise<void> {
  return nextTurn();
}

/** A small seeded generator (the endpoint's own), so every run logs the same "random" input. */
export const seededRandom = mulberry32;

/** Fisher–Yates, in place, with the given source. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The sequence number tests put at the start of every message (`#123 …`). */
export function seqOf(message: string): number {
  const match = /^#(\d+) /.exec(message);
  if (!match) throw new Error(`No sequence number in message ${JSON.stringify(message.slice(0, 40))}`);
  return Number(match[1]);
}

/** Timestamp first, then the logged sequence number: the order a reader of the stream expects. */
export function byTimeThenSeq(
  a: { timestamp: number; message: string },
  b: { timestamp: number; message: string },
) {
  return a.timestamp - b.timestamp || seqOf(a.message) - seqOf(b.message);
}

export function withoutIngestionTime(events: StoredEvent[]): { timestamp: number; message: string }[] {
  return events.map(({ timestamp, message }) => ({ timestamp, message }));
}

export { expectBalanced, sumDropped };
