import type { CloudWatchLogsClient, CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { lowerLimit } from './batcher.js';
import { ConfigError } from './errors.js';
import type { OversizedEventPolicy } from './event.js';
import {
  LOG_GROUP_NAME_PATTERN,
  LOG_STREAM_NAME_PATTERN,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BYTES,
  RETENTION_DAYS,
} from './limits.js';

/**
 * What one buffered event costs in memory besides its message text: the event object, its boxed
 * timestamp, its slot in the buffer and the string's header (measured on Node 20 x64 at about
 * 105 bytes; see the memory benchmark). `maxBufferedBytes` counts it for every event.
 */
export const EVENT_MEMORY_OVERHEAD_BYTES = 120;

/** Where events go: a log group and a log stream. */
export interface Destination {
  readonly logGroupName: string;
  readonly logStreamName: string;
}

export interface RetryOptions {
  /**
   * Ceiling of the first backoff; each retry doubles it (full jitter: the wait is a random
   * fraction of the ceiling).
   * @default 100
   */
  readonly minDelayMs?: number;
  /**
   * Largest ceiling a backoff may reach.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * How long one batch may be retried before it is dropped with reason `failed`.
   * @default 300000 (5 minutes)
   */
  readonly maxRetryTimeMs?: number;
}

export interface LogShipperOptions {
  /** Log group of the default destination, 1–512 characters of `[A-Za-z0-9_\-/.#]`. */
  readonly logGroupName: string;
  /** Log stream of the default destination, 1–512 characters, no `:` or `*`. */
  readonly logStreamName: string;
  /**
   * The client to send with. When given, its own retry settings stay as they are: set its
   * `maxAttempts: 1` so that retries are not multiplied (the shipper retries every batch itself).
   * @default a client made from `clientConfig`, with `maxAttempts: 1`
   */
  readonly client?: CloudWatchLogsClient;
  /**
   * Configuration for the client the shipper makes (region, credentials, endpoint, …). Its
   * `maxAttempts` is replaced by 1: retrying happens in one place, the shipper.
   * @default {} (the SDK's default region and credential chain)
   */
  readonly clientConfig?: CloudWatchLogsClientConfig;
  /**
   * Largest event, message UTF-8 bytes + 26. The current PutLogEvents reference allows 1 MB;
   * set 262144 for endpoints that still apply the older 256 KB limit.
   * @default 1048576
   */
  readonly maxEventBytes?: number;
  /**
   * What to do with a message over `maxEventBytes`: `'truncate'` it (marking the cut),
   * `'split'` it into consecutive events, or `'drop'` it (reason `oversized`).
   * @default 'truncate'
   */
  readonly oversizedEvents?: OversizedEventPolicy;
  /**
   * Lowers the request size limit (at most, and by default, 1,048,576 bytes).
   * @default 1048576
   */
  readonly maxBatchBytes?: number;
  /**
   * Lowers the events-per-request limit (at most, and by default, 10,000).
   * @default 10000
   */
  readonly maxBatchEvents?: number;
  /**
   * Most events held in memory (buffered, not yet taken for sending) across all destinations.
   * @default 100000
   */
  readonly maxBufferedEvents?: number;
  /**
   * Most memory the buffers may hold across all destinations (events not yet taken for sending),
   * counted as each message's UTF-8 bytes plus 120 bytes of bookkeeping per event.
   * @default 67108864 (64 MiB)
   */
  readonly maxBufferedBytes?: number;
  /**
   * Fraction of either buffer bound past which `log()` returns `false`, asking stream-like
   * callers to pause.
   * @default 0.8
   */
  readonly highWaterMark?: number;
  /**
   * Which event to drop when the buffer is full: the oldest buffered one, or the one being logged.
   * Either way it is counted with reason `overflow`.
   * @default 'dropOldest'
   */
  readonly onBufferFull?: 'dropOldest' | 'dropNewest';
  /**
   * How often buffered events are sent even when no batch is full. The timer never keeps the
   * process alive.
   * @default 1000
   */
  readonly flushIntervalMs?: number;
  /**
   * Most PutLogEvents requests in flight at once, across all streams.
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Most PutLogEvents requests in flight at once for one stream.
   * @default 4
   */
  readonly perStreamConcurrency?: number;
  /**
   * Adapt the requests in flight to throttling: add one per round of successes, halve on a
   * `ThrottlingException`, always within [1, `concurrency`]. `stats().concurrency` shows the limit.
   * Off, the limit stays at `concurrency`.
   * @default true
   */
  readonly adaptiveConcurrency?: boolean;
  /** Backoff and give-up time for retried requests. */
  readonly retry?: RetryOptions;
  /**
   * How long one request may go unanswered before it is abandoned and retried, like a network
   * error (the service may have stored it, so its events may arrive twice). A hung connection then
   * holds a request slot for this long at most. `0` waits for as long as the connection lasts.
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Create a missing log group when a send finds it missing.
   * @default true
   */
  readonly createLogGroup?: boolean;
  /**
   * Create a missing log stream when a send finds it missing.
   * @default true
   */
  readonly createLogStream?: boolean;
  /**
   * The log group's retention. Events older than it are dropped before sending (as `tooOld`),
   * and a group the shipper creates gets this retention policy.
   * @default undefined (no retention policy set; events up to 14 days old are sent)
   */
  readonly retentionInDays?: number;
  /**
   * After events for a stream were dropped (overflow, oversized, out of the time window, rejected,
   * failed), write one synthetic event into that stream with the next request, such as
   * `cloudwatch-shipper: dropped 1532 events since 2026-11-21T12:00:03.000Z (overflow 1500, tooOld 32)`;
   * at most one per stream per `flushIntervalMs`. Markers are not counted in `logged` or `sent`
   * (see `stats().markers`) and are never dropped in turn.
   * @default true
   */
  readonly dropMarkers?: boolean;
  /**
   * On `beforeExit`, SIGTERM and SIGINT, flush within `exitTimeoutMs`, then let the process end as
   * it would have (a signal is raised again once the shipper is done, unless the program listens to
   * it itself). Meant for programs, such as the CLI; off by default for library use.
   * @default false
   */
  readonly flushOnExit?: boolean;
  /**
   * How long `flushOnExit` may delay the end of the process.
   * @default 5000
   */
  readonly exitTimeoutMs?: number;
  /**
   * The clock, in epoch milliseconds. Tests inject one.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Source of randomness for backoff jitter, returning [0, 1). Tests inject one.
   * @default Math.random
   */
  readonly random?: () => number;
}

/** Options with every default applied, validated. */
export interface ResolvedOptions {
  readonly destination: Destination;
  readonly maxEventBytes: number;
  readonly oversizedEvents: OversizedEventPolicy;
  readonly maxBatchBytes: number;
  readonly maxBatchEvents: number;
  readonly maxBufferedEvents: number;
  readonly maxBufferedBytes: number;
  readonly highWaterMark: number;
  readonly onBufferFull: 'dropOldest' | 'dropNewest';
  readonly flushIntervalMs: number;
  readonly concurrency: number;
  readonly perStreamConcurrency: number;
  readonly adaptiveConcurrency: boolean;
  readonly requestTimeoutMs: number;
  readonly dropMarkers: boolean;
  readonly flushOnExit: boolean;
  readonly exitTimeoutMs: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryTimeMs: number;
  readonly createLogGroup: boolean;
  readonly createLogStream: boolean;
  readonly retentionInDays: number | undefined;
  readonly now: () => number;
  readonly random: () => number;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(name, value, 'a boolean');
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(name, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

function fn<T extends (...args: never[]) => unknown>(name: string, value: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new ConfigError(name, value, 'a function');
  return value as T;
}

export function isLogGroupName(value: unknown): value is string {
  return typeof value === 'string' && LOG_GROUP_NAME_PATTERN.test(value);
}

export function isLogStreamName(value: unknown): value is string {
  return typeof value === 'string' && LOG_STREAM_NAME_PATTERN.test(value);
}

export function validateLogGroupName(name: string, value: unknown): string {
  if (!isLogGroupName(value)) {
    throw new ConfigError(name, value, 'a log group name of 1 to 512 characters from [A-Za-z0-9_-/.#]');
  }
  return value;
}

export function validateLogStreamName(name: string, value: unknown): string {
  if (!isLogStreamName(value)) {
    throw new ConfigError(name, value, 'a log stream name of 1 to 512 characters without `:` or `*`');
  }
  return value;
}

const MiB = 1024 * 1024;

/** Applies defaults and validates every option; throws a {@link ConfigError} naming the first bad one. */
export function resolveOptions(options: LogShipperOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', options, 'an object');
  }
  const destination: Destination = {
    logGroupName: validateLogGroupName('logGroupName', options.logGroupName),
    logStreamName: validateLogStreamName('logStreamName', options.logStreamName),
  };
  const maxEventBytes = lowerLimit(
    'maxEventBytes',
    checkNumber('maxEventBytes', options.maxEventBytes),
    MAX_EVENT_BYTES,
    1024,
  );
  const maxBatchBytes = lowerLimit(
    'maxBatchBytes',
    checkNumber('maxBatchBytes', options.maxBatchBytes),
    MAX_BATCH_BYTES,
    maxEventBytes,
  );
  const maxBatchEvents = lowerLimit(
    'maxBatchEvents',
    checkNumber('maxBatchEvents', options.maxBatchEvents),
    MAX_BATCH_EVENTS,
    1,
  );
  const retry = options.retry ?? {};
  if (typeof retry !== 'object' || retry === null) throw new ConfigError('retry', retry, 'an object');
  const minDelayMs = integer('retry.minDelayMs', retry.minDelayMs, 100, 0, 3_600_000);
  const maxDelayMs = integer(
    'retry.maxDelayMs',
    retry.maxDelayMs,
    10_000,
    Math.max(1, minDelayMs),
    3_600_000,
  );
  const concurrency = integer('concurrency', options.concurrency, 8, 1, 1000);
  const retentionInDays = options.retentionInDays;
  if (retentionInDays !== undefined && !(RETENTION_DAYS as readonly unknown[]).includes(retentionInDays)) {
    throw new ConfigError('retentionInDays', retentionInDays, `one of ${RETENTION_DAYS.join(', ')}`);
  }
  const highWaterMark = options.highWaterMark ?? 0.8;
  if (typeof highWaterMark !== 'number' || !(highWaterMark > 0 && highWaterMark <= 1)) {
    throw new ConfigError('highWaterMark', highWaterMark, 'a number greater than 0 and at most 1');
  }
  return {
    destination,
    maxEventBytes,
    oversizedEvents: oneOf(
      'oversizedEvents',
      options.oversizedEvents,
      ['truncate', 'split', 'drop'],
      'truncate',
    ),
    maxBatchBytes,
    maxBatchEvents,
    maxBufferedEvents: integer('maxBufferedEvents', options.maxBufferedEvents, 100_000, 1, 100_000_000),
    maxBufferedBytes: integer(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      64 * MiB,
      maxEventBytes + EVENT_MEMORY_OVERHEAD_BYTES,
      2 ** 40,
    ),
    highWaterMark,
    onBufferFull: oneOf('onBufferFull', options.onBufferFull, ['dropOldest', 'dropNewest'], 'dropOldest'),
    flushIntervalMs: integer('flushIntervalMs', options.flushIntervalMs, 1000, 1, 3_600_000),
    concurrency,
    perStreamConcurrency: integer(
      'perStreamConcurrency',
      options.perStreamConcurrency,
      Math.min(4, concurrency),
      1,
      concurrency,
    ),
    adaptiveConcurrency: boolean('adaptiveConcurrency', options.adaptiveConcurrency, true),
    requestTimeoutMs: integer('requestTimeoutMs', options.requestTimeoutMs, 30_000, 0, 3_600_000),
    dropMarkers: boolean('dropMarkers', options.dropMarkers, true),
    flushOnExit: boolean('flushOnExit', options.flushOnExit, false),
    exitTimeoutMs: integer('exitTimeoutMs', options.exitTimeoutMs, 5_000, 0, 3_600_000),
    minDelayMs,
    maxDelayMs,
    maxRetryTimeMs: integer('retry.maxRetryTimeMs', retry.maxRetryTimeMs, 300_000, 0, 7 * 24 * 3_600_000),
    createLogGroup: boolean('createLogGroup', options.createLogGroup, true),
    createLogStream: boolean('createLogStream', options.createLogStream, true),
    retentionInDays,
    now: fn('now', options.now, () => Date.now()),
    random: fn('random', options.random, () => Math.random()),
  };
}

function checkNumber(name: string, value: unknown): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  throw new ConfigError(name, value, 'a number');
}
