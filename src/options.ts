import type {
  CloudWatchLogsClient,
  CloudWatchLogsClientConfig,
  Entity,
} from '@aws-sdk/client-cloudwatch-logs';
import { EVENT_MEMORY_OVERHEAD_BYTES } from './buffers.js';
import { type EntityOption, resolveEntity } from './entity.js';
import { ConfigError } from './errors.js';
import type { OversizedEventPolicy } from './event.js';
import { type LogGroupOptions, type ResolvedLogGroupOptions, resolveLogGroupOptions } from './group.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES, RETENTION_DAYS } from './limits.js';
import { boolean, checkNumber, fn, integer, oneOf, refuseUnknown } from './option-checks.js';
import { lowerLimit } from './rules.js';
import {
  compileNameTemplate,
  createTemplateContext,
  type NameTemplate,
  type TemplateContext,
} from './template.js';

export type { Destination } from './destination.js';

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

export interface LogShipperOptions extends LogGroupOptions {
  /**
   * Log group of the default destination, 1–512 characters of `[A-Za-z0-9_\-/.#]`; may hold the
   * tokens `{hostname}`, `{pid}`, `{uuid}` and `{env.NAME}` (see README, "Destination name templates").
   */
  readonly logGroupName: string;
  /**
   * Log stream of the default destination, 1–512 characters, no `:` or `*`; may hold the tokens of
   * `logGroupName` and the event's own UTC `{date}` (YYYY-MM-DD) or `{hour}` (YYYY-MM-DDTHH).
   */
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
   * counted as each message's UTF-8 bytes plus a 24-byte header per event. In worker mode the ring
   * between the threads comes out of it once it is at least 8 MiB.
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
   * Create a missing log group when a send finds it missing, with `logGroupClass`, `kmsKeyId`, `tags`
   * and `deletionProtection` in its one CreateLogGroup call, then `retentionInDays`.
   * @default true
   */
  readonly createLogGroup?: boolean;
  /**
   * Sent with every PutLogEvents, so that the logs join CloudWatch's related telemetry: 2 to 4
   * `keyAttributes` (`Type`, `ResourceType`, `Identifier`, `Name`, `Environment`) and at most 10
   * `attributes`.
   * @default undefined (no entity)
   */
  readonly entity?: EntityOption;
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
   * How long `flushOnExit`, and in worker mode `deliverOnExit`, may delay the end of the process. The
   * wait for delivery takes all of it but 50 ms, which ending the process takes after it; at 50 ms or
   * less nothing waits.
   * @default 5000
   */
  readonly exitTimeoutMs?: number;
  /**
   * Where batching and sending run: `'worker'`, a worker thread of the shipper's own, with the
   * buffered events in memory shared with it (the program's thread only reads and encodes each event);
   * or `'main'`, the program's thread. A `client`, `now`, `random` or any function or class instance in
   * `clientConfig` cannot cross to a worker: left unset, `thread` is then `'main'`; set to `'worker'`,
   * it is a `ConfigError`. Inside a worker thread (pino's transports), unset means `'main'`.
   * @default 'worker' (see README, "Threads")
   */
  readonly thread?: 'worker' | 'main';
  /**
   * Worker mode only: at the process's `'exit'` (`process.exit()`, an uncaught exception, an unhandled
   * rejection, the end of the event loop), the program's thread waits, at most `exitTimeoutMs`, while
   * the worker sends what is buffered.
   * @default true
   */
  readonly deliverOnExit?: boolean;
  /**
   * Worker mode, on Linux: how much lower the worker thread's scheduling priority is than the thread
   * that made it, as a nice increment (0 to 19; 0 leaves it as it is). The program's thread then
   * gets the CPU first when both want it, and the worker uses what the program leaves. Elsewhere a
   * nice value is the whole process's, and it is left alone.
   * @default 10
   */
  readonly workerNice?: number;
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
  /** The default destination's names, compiled (the group's is always a constant). */
  readonly groupTemplate: NameTemplate;
  readonly streamTemplate: NameTemplate;
  /** The fixed token values of this shipper, for the names given to `log()` as well. */
  readonly templateContext: TemplateContext;
  /** What a group the shipper creates gets. */
  readonly group: ResolvedLogGroupOptions;
  readonly entity: Readonly<Entity> | undefined;
  /** The client given, checked; `undefined` when the shipper makes its own from `clientConfig`. */
  readonly client: CloudWatchLogsClient | undefined;
  readonly clientConfig: CloudWatchLogsClientConfig;
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
  readonly deliverOnExit: boolean;
  readonly workerNice: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryTimeMs: number;
  readonly createLogGroup: boolean;
  readonly createLogStream: boolean;
  readonly retentionInDays: number | undefined;
  readonly now: () => number;
  readonly random: () => number;
}

const MiB = 1024 * 1024;

/** Every option `LogShipperOptions` knows: the compiler checks that none is missing. */
const KNOWN_OPTIONS: Record<keyof LogShipperOptions, true> = {
  logGroupName: true,
  logStreamName: true,
  client: true,
  clientConfig: true,
  maxEventBytes: true,
  oversizedEvents: true,
  maxBatchBytes: true,
  maxBatchEvents: true,
  maxBufferedEvents: true,
  maxBufferedBytes: true,
  highWaterMark: true,
  onBufferFull: true,
  flushIntervalMs: true,
  concurrency: true,
  perStreamConcurrency: true,
  adaptiveConcurrency: true,
  retry: true,
  requestTimeoutMs: true,
  createLogGroup: true,
  logGroupClass: true,
  kmsKeyId: true,
  tags: true,
  deletionProtection: true,
  entity: true,
  createLogStream: true,
  retentionInDays: true,
  dropMarkers: true,
  flushOnExit: true,
  exitTimeoutMs: true,
  thread: true,
  deliverOnExit: true,
  workerNice: true,
  now: true,
  random: true,
};

const KNOWN_RETRY_OPTIONS: Record<keyof RetryOptions, true> = {
  minDelayMs: true,
  maxDelayMs: true,
  maxRetryTimeMs: true,
};

/**
 * The `client` option: a CloudWatchLogsClient of this process's SDK, or anything with its `send` (a
 * client of another copy of the SDK, or a test double). Told apart by `send` alone, so that checking
 * it does not load the SDK.
 */
export function validateClient(client: unknown): CloudWatchLogsClient | undefined {
  if (client === undefined) return undefined;
  if (
    typeof client === 'object' &&
    client !== null &&
    typeof (client as { send?: unknown }).send === 'function'
  ) {
    return client as CloudWatchLogsClient;
  }
  throw new ConfigError('client', client, 'a CloudWatchLogsClient');
}

/** Applies defaults and validates every option; throws a {@link ConfigError} naming the first bad one. */
export function resolveOptions(options: LogShipperOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', options, 'an object');
  }
  refuseUnknown(options, KNOWN_OPTIONS, '');
  const templateContext = createTemplateContext();
  const groupTemplate = compileNameTemplate('group', 'logGroupName', options.logGroupName, templateContext);
  const streamTemplate = compileNameTemplate(
    'stream',
    'logStreamName',
    options.logStreamName,
    templateContext,
  );
  const createLogGroup = boolean('createLogGroup', options.createLogGroup, true);
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
  refuseUnknown(retry, KNOWN_RETRY_OPTIONS, 'retry.');
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
  const clientConfig = options.clientConfig ?? {};
  if (typeof clientConfig !== 'object' || clientConfig === null) {
    throw new ConfigError('clientConfig', clientConfig, 'an object');
  }
  return {
    groupTemplate,
    streamTemplate,
    templateContext,
    group: resolveLogGroupOptions(options, createLogGroup),
    entity: resolveEntity(options.entity),
    client: validateClient(options.client),
    clientConfig,
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
    deliverOnExit: boolean('deliverOnExit', options.deliverOnExit, true),
    workerNice: integer('workerNice', options.workerNice, 10, 0, 19),
    minDelayMs,
    maxDelayMs,
    maxRetryTimeMs: integer('retry.maxRetryTimeMs', retry.maxRetryTimeMs, 300_000, 0, 7 * 24 * 3_600_000),
    createLogGroup,
    createLogStream: boolean('createLogStream', options.createLogStream, true),
    retentionInDays,
    now: fn('now', options.now, () => Date.now()),
    random: fn('random', options.random, () => Math.random()),
  };
}
