/**
 * The PutLogEvents rules as functions, each written once, beside the limit it applies (the numbers
 * are named in `limits.ts`). Every stage that needs a rule calls it from here: intake (event size),
 * the buffers (batch fit), the batcher (fit, window, span), the sender (window again before each
 * attempt, and the service's own verdict in `rejectedLogEventsInfo`).
 */
import { ConfigError } from './errors.js';
import type { LogEvent } from './event.js';
import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  LOG_GROUP_NAME_PATTERN,
  LOG_STREAM_NAME_PATTERN,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_FUTURE_MS,
} from './limits.js';

/** Bytes an event of `messageBytes` UTF-8 bytes weighs in a request: the message plus 26. */
export function eventSize(messageBytes: number): number {
  return messageBytes + EVENT_OVERHEAD_BYTES;
}

/** Largest message (UTF-8 bytes) an event may carry under `maxEventBytes`. */
export function maxMessageBytes(maxEventBytes: number): number {
  return maxEventBytes - EVENT_OVERHEAD_BYTES;
}

/** Total request size of `events`, as the API counts it. */
export function batchSize(events: readonly LogEvent[]): number {
  let bytes = 0;
  for (const event of events) bytes += eventSize(event.bytes);
  return bytes;
}

/**
 * Whether one more event of `messageBytes` fits a request that holds `count` events weighing
 * `bytes` (sizes as {@link eventSize} counts them).
 */
export function fitsInBatch(
  count: number,
  bytes: number,
  messageBytes: number,
  maxBatchEvents: number,
  maxBatchBytes: number,
): boolean {
  return count < maxBatchEvents && bytes + eventSize(messageBytes) <= maxBatchBytes;
}

/** Whether `count` events of `messageBytes` in all make at least one full request. */
export function isFullBatch(
  count: number,
  messageBytes: number,
  maxBatchEvents: number,
  maxBatchBytes: number,
): boolean {
  return count >= maxBatchEvents || messageBytes + count * EVENT_OVERHEAD_BYTES >= maxBatchBytes;
}

/**
 * Whether an event at `timestamp` may share a request whose earliest event is at `first`: a request
 * may not span 24 hours or more.
 */
export function withinSpan(first: number, timestamp: number): boolean {
  return timestamp - first < MAX_BATCH_SPAN_MS;
}

/** The times PutLogEvents accepts at a moment: from `oldest` to `newest`, both inclusive. */
export interface AcceptedWindow {
  readonly oldest: number;
  readonly newest: number;
}

/**
 * The accepted window at `now`: no older than 14 days (or the group's retention, if shorter), no
 * more than 2 hours ahead.
 */
export function acceptedWindow(now: number, retentionInDays: number | undefined): AcceptedWindow {
  const maxAge =
    retentionInDays === undefined ? MAX_EVENT_AGE_MS : Math.min(MAX_EVENT_AGE_MS, retentionInDays * DAY_MS);
  return { oldest: now - maxAge, newest: now + MAX_EVENT_FUTURE_MS };
}

/** Where `timestamp` stands against the window: `tooOld`, `tooNew`, or `undefined` inside it. */
export function outsideWindow(timestamp: number, window: AcceptedWindow): 'tooOld' | 'tooNew' | undefined {
  if (timestamp < window.oldest) return 'tooOld';
  if (timestamp > window.newest) return 'tooNew';
  return undefined;
}

/** What the service said of a request's events, from `rejectedLogEventsInfo`. */
export interface RejectedInfo {
  readonly tooOldLogEventEndIndex?: number | undefined;
  readonly expiredLogEventEndIndex?: number | undefined;
  readonly tooNewLogEventStartIndex?: number | undefined;
}

export interface RejectedSplit<T> {
  readonly stored: T[];
  readonly tooOld: T[];
  readonly expired: T[];
  readonly tooNew: T[];
}

/**
 * Splits a request's events by the service's verdict. Index semantics from the PutLogEvents reference
 * (RejectedLogEventsInfo): the too-old and expired ends are exclusive, the too-new start inclusive.
 */
export function splitRejected<T>(events: readonly T[], info: RejectedInfo): RejectedSplit<T> {
  const tooOldEnd = info.tooOldLogEventEndIndex ?? 0;
  const expiredEnd = info.expiredLogEventEndIndex ?? 0;
  const tooNewStart = info.tooNewLogEventStartIndex ?? events.length;
  const split: RejectedSplit<T> = { stored: [], tooOld: [], expired: [], tooNew: [] };
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as T;
    if (i < tooOldEnd) split.tooOld.push(event);
    else if (i < expiredEnd) split.expired.push(event);
    else if (i >= tooNewStart) split.tooNew.push(event);
    else split.stored.push(event);
  }
  return split;
}

/** Checks a limit that may be lowered but never raised, and returns the one in force. */
export function lowerLimit(option: string, value: unknown, max: number, min: number): number {
  if (value === undefined) return max;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(option, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** A log group name: 1 to 512 characters of `[A-Za-z0-9_\-/.#]` (CreateLogGroup reference). */
export function isLogGroupName(value: unknown): value is string {
  return typeof value === 'string' && LOG_GROUP_NAME_PATTERN.test(value);
}

/** A log stream name: 1 to 512 characters, none of them `:` or `*` (CreateLogStream reference). */
export function isLogStreamName(value: unknown): value is string {
  return typeof value === 'string' && LOG_STREAM_NAME_PATTERN.test(value);
}
