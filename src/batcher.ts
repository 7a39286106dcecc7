import type { DropReason, LogEvent } from './event.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_EVENT_BYTES } from './limits.js';
import {
  acceptedWindow,
  eventSize,
  fitsInBatch,
  lowerLimit,
  maxMessageBytes,
  outsideWindow,
  withinSpan,
} from './rules.js';

/** One PutLogEvents request's worth of events, in chronological order. */
export interface Batch {
  readonly events: LogEvent[];
  /** Bytes as the API counts them: message UTF-8 bytes plus 26 per event. */
  readonly bytes: number;
}

export interface DroppedEvent {
  readonly event: LogEvent;
  readonly reason: DropReason;
}

export interface BatchOptions {
  /** The time the batch is checked against, in epoch milliseconds. */
  readonly now: number;
  /** The log group's retention; events older than it (or 14 days, whichever is shorter) are dropped. */
  readonly retentionInDays?: number | undefined;
  /** Largest event, message UTF-8 bytes + 26. Larger events are dropped as `oversized`. */
  readonly maxEventBytes?: number | undefined;
  /** Lowers the 1,048,576-byte request limit; cannot raise it. */
  readonly maxBatchBytes?: number | undefined;
  /** Lowers the 10,000-event request limit; cannot raise it. */
  readonly maxBatchEvents?: number | undefined;
}

export interface BatchResult {
  readonly batches: Batch[];
  /** Events that cannot be sent, in input order, each with its reason. */
  readonly dropped: DroppedEvent[];
}

const byTimestamp = (a: LogEvent, b: LogEvent): number => a.timestamp - b.timestamp;

/**
 * Splits events into PutLogEvents requests. Pure: no I/O, no clock but `now`, input untouched.
 *
 * Every input event comes back exactly once, in a batch or in `dropped`. Batches are filled
 * greedily in timestamp order (stable: equal timestamps keep their arrival order), so a batch
 * ends only where the next event would break a limit: 10,000 events, 1,048,576 bytes, or a span
 * of 24 hours. Input already in order, the common case, costs one pass and no sort.
 */
export function createBatches(events: readonly LogEvent[], options: BatchOptions): BatchResult {
  const maxEventBytes = lowerLimit('maxEventBytes', options.maxEventBytes, MAX_EVENT_BYTES, 1024);
  return batchEvents(events, {
    now: options.now,
    retentionInDays: options.retentionInDays,
    maxEventBytes,
    maxBatchBytes: lowerLimit('maxBatchBytes', options.maxBatchBytes, MAX_BATCH_BYTES, maxEventBytes),
    maxBatchEvents: lowerLimit('maxBatchEvents', options.maxBatchEvents, MAX_BATCH_EVENTS, 1),
  });
}

/** {@link BatchOptions} with every limit resolved and validated. @internal */
export interface BatchLimits {
  readonly now: number;
  readonly retentionInDays: number | undefined;
  readonly maxEventBytes: number;
  readonly maxBatchBytes: number;
  readonly maxBatchEvents: number;
}

/** {@link createBatches} for limits validated once, at construction: the shipper's path. @internal */
export function batchEvents(events: readonly LogEvent[], limits: BatchLimits): BatchResult {
  const { maxBatchBytes, maxBatchEvents } = limits;
  const window = acceptedWindow(limits.now, limits.retentionInDays);
  const { oldest, newest } = window;
  const maxBytes = maxMessageBytes(limits.maxEventBytes);

  // One pass finds out whether anything must go and whether the rest is already in order.
  let sorted = true;
  let firstDrop = -1;
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as LogEvent;
    const t = event.timestamp;
    if (t < oldest || t > newest || event.bytes > maxBytes) {
      firstDrop = i;
      break;
    }
    if (t < previous) sorted = false;
    previous = t;
  }

  const dropped: DroppedEvent[] = [];
  let kept: LogEvent[];
  if (firstDrop === -1) {
    kept = sorted ? (events as LogEvent[]) : events.slice();
  } else {
    kept = events.slice(0, firstDrop);
    // The pieces of a split message follow their first: a message is sent whole or dropped whole.
    let headDropped: DropReason | undefined;
    for (let i = firstDrop; i < events.length; i++) {
      const event = events[i] as LogEvent;
      const t = event.timestamp;
      if (event.kind === 'piece' && headDropped !== undefined) {
        dropped.push({ event, reason: headDropped });
        continue;
      }
      const outside = outsideWindow(t, window);
      const reason = outside ?? (event.bytes > maxBytes ? 'oversized' : undefined);
      if (event.kind !== 'piece') headDropped = reason;
      else if (reason !== undefined) {
        // The pieces share their first's timestamp, but not its size: a cut steps back to a
        // character boundary, so a later piece can be up to 3 bytes larger than the first, and alone
        // over a limit lowered since the split. The message's first piece and the pieces since,
        // kept already, go with it.
        headDropped = reason;
        unkeep(kept, dropped, reason, t);
        previous = kept.length > 0 ? (kept[kept.length - 1] as LogEvent).timestamp : Number.NEGATIVE_INFINITY;
      }
      if (reason !== undefined) dropped.push({ event, reason });
      else {
        if (t < previous) sorted = false;
        previous = t;
        kept.push(event);
      }
    }
  }
  // Array.prototype.sort is stable (ES2019), which keeps arrival order among equal timestamps.
  if (!sorted) kept.sort(byTimestamp);

  return { batches: intoBatches(kept, maxBatchBytes, maxBatchEvents), dropped };
}

/**
 * Moves the message of `timestamp` that `kept` ends in (its first piece and the pieces after it) to
 * `dropped`, in order. Nothing moves when `kept` does not end in one (a piece whose first piece was
 * not in the input).
 */
function unkeep(kept: LogEvent[], dropped: DroppedEvent[], reason: DropReason, timestamp: number): void {
  let first = kept.length - 1;
  while (first >= 0 && (kept[first] as LogEvent).kind === 'piece') first--;
  const head = kept[first];
  if (head === undefined || head.kind !== 'event' || head.timestamp !== timestamp) return;
  for (const event of kept.splice(first)) dropped.push({ event, reason });
}

/**
 * Cuts events sorted by timestamp into requests, filled greedily: a request ends only where the next
 * event would break the count, byte or 24-hour limit. Also the sender's, for events it sends again
 * once pieces in them were cut again (see `bisect.ts`). @internal
 */
export function intoBatches(events: LogEvent[], maxBatchBytes: number, maxBatchEvents: number): Batch[] {
  const batches: Batch[] = [];
  const n = events.length;
  let start = 0;
  while (start < n) {
    const first = (events[start] as LogEvent).timestamp;
    let bytes = eventSize((events[start] as LogEvent).bytes);
    let end = start + 1;
    while (end < n) {
      const event = events[end] as LogEvent;
      if (
        !fitsInBatch(end - start, bytes, event.bytes, maxBatchEvents, maxBatchBytes) ||
        !withinSpan(first, event.timestamp)
      )
        break;
      bytes += eventSize(event.bytes);
      end++;
    }
    batches.push({ events: events.slice(start, end), bytes });
    start = end;
  }
  return batches;
}
