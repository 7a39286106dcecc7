import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_FUTURE_MS,
} from '../limits.js';

/** A rule of PutLogEvents a request broke; the keys of `LocalStats['violations']` but `total`. */
export type ViolationKind =
  | 'missingParameter'
  | 'emptyBatch'
  | 'tooManyEvents'
  | 'batchTooLarge'
  | 'emptyMessage'
  | 'eventTooLarge'
  | 'invalidTimestamp'
  | 'outOfOrder'
  | 'spanTooLong';

export interface InputEvent {
  readonly timestamp: number;
  readonly message: string;
}

export type BatchCheck =
  | {
      readonly ok: true;
      readonly events: readonly InputEvent[];
      /** UTF-8 bytes of every message, without the per-event overhead. */
      readonly messageBytes: number;
    }
  | { readonly ok: false; readonly kind: ViolationKind; readonly message: string };

/**
 * Checks a batch against every PutLogEvents rule but the span in one pass, reporting the first rule
 * broken (in event order). The span is checked by {@link spanTooLong} once the events rejected for
 * their age are known. Messages follow the wording of the real API where it has one.
 */
export function checkBatch(logEvents: unknown, maxEventBytes: number): BatchCheck {
  if (!Array.isArray(logEvents)) {
    return fail('missingParameter', 'Missing required parameter in input: "logEvents"');
  }
  const count = logEvents.length;
  if (count === 0) {
    return fail('emptyBatch', 'logEvents must contain at least 1 event.');
  }
  if (count > MAX_BATCH_EVENTS) {
    return fail(
      'tooManyEvents',
      `logEvents has ${count} events; a request may contain at most ${MAX_BATCH_EVENTS}.`,
    );
  }

  let messageBytes = 0;
  let previous = -1;
  for (let index = 0; index < count; index++) {
    const event: unknown = logEvents[index];
    const { timestamp, message } = (typeof event === 'object' && event !== null ? event : {}) as {
      timestamp?: unknown;
      message?: unknown;
    };
    if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
      return fail('invalidTimestamp', `Log event ${index} has an invalid timestamp: ${String(timestamp)}.`);
    }
    if (typeof message !== 'string' || message.length === 0) {
      return fail('emptyMessage', `Log event ${index} has an empty message.`);
    }
    const eventBytes = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
    // The service's words where it applies the old 256 KB limit, as clients report them (for example
    // aws/aws-sdk-js-v3#6164: "Log event too large: 315563 bytes exceeds limit of 262144"); the whole
    // request is refused.
    if (eventBytes > maxEventBytes) {
      return fail(
        'eventTooLarge',
        `Log event too large: ${eventBytes} bytes exceeds limit of ${maxEventBytes}`,
      );
    }
    if (timestamp < previous) {
      return fail(
        'outOfOrder',
        'Log events in a single PutLogEvents request must be in chronological order.',
      );
    }
    previous = timestamp;
    messageBytes += eventBytes - EVENT_OVERHEAD_BYTES;
  }

  const batchBytes = messageBytes + count * EVENT_OVERHEAD_BYTES;
  if (batchBytes > MAX_BATCH_BYTES) {
    return fail('batchTooLarge', `Upload too large: ${batchBytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  }
  const events = logEvents as InputEvent[];
  return { ok: true, events, messageBytes };
}

/**
 * Whether the events `[from, to)` of a chronological batch span more than 24 hours.
 *
 * The PutLogEvents reference (Amazon CloudWatch Logs API Reference, "PutLogEvents",
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html):
 * "For valid events (within 14 days in the past to 2 hours in future), the time span in a single
 * batch cannot exceed 24 hours" (older editions: "cannot span more than 24 hours"). So the span is
 * measured over the events that are not rejected for their age, and exactly 24 hours is accepted.
 * (The shipper's own batcher stays a millisecond short of it, which this rule accepts.)
 */
export function spanTooLong(events: readonly InputEvent[], from: number, to: number): boolean {
  if (to - from < 2) return false;
  return (
    (events[to - 1] as InputEvent).timestamp - (events[from] as InputEvent).timestamp > MAX_BATCH_SPAN_MS
  );
}

/** The answer to a batch whose valid events span more than 24 hours. */
export const SPAN_TOO_LONG_MESSAGE =
  'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.';

/**
 * Where a checked (so chronological) batch stops being too old or expired and starts being too new.
 * Events in `[storeFrom, storeTo)` are stored; the others are reported in `rejectedLogEventsInfo`.
 */
export interface EventWindow {
  /** One past the last event older than 14 days, or 0. */
  readonly tooOldEnd: number;
  /** One past the last event older than the retention (and not too old), or `tooOldEnd`. */
  readonly expiredEnd: number;
  /** The first event more than 2 hours ahead, or the batch length. */
  readonly tooNewStart: number;
}

/**
 * Finds the rejected prefix and suffix of a chronological batch. Scans only the rejected events and
 * one more at each end, so a batch with none costs two comparisons.
 */
export function findWindow(
  events: readonly InputEvent[],
  nowMs: number,
  retentionDays: number | undefined,
): EventWindow {
  const tooOldBefore = nowMs - MAX_EVENT_AGE_MS;
  const retentionMs = retentionDays === undefined ? Number.POSITIVE_INFINITY : retentionDays * DAY_MS;
  const expiredBefore = retentionMs < MAX_EVENT_AGE_MS ? nowMs - retentionMs : tooOldBefore;
  const tooNewAfter = nowMs + MAX_EVENT_FUTURE_MS;

  let tooOldEnd = 0;
  while (tooOldEnd < events.length && (events[tooOldEnd] as InputEvent).timestamp < tooOldBefore) tooOldEnd++;
  let expiredEnd = tooOldEnd;
  while (expiredEnd < events.length && (events[expiredEnd] as InputEvent).timestamp < expiredBefore) {
    expiredEnd++;
  }
  let tooNewStart = events.length;
  while (tooNewStart > expiredEnd && (events[tooNewStart - 1] as InputEvent).timestamp > tooNewAfter) {
    tooNewStart--;
  }
  return { tooOldEnd, expiredEnd, tooNewStart };
}

function fail(kind: ViolationKind, message: string): BatchCheck {
  return { ok: false, kind, message };
}
