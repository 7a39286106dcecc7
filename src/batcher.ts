import { ConfigError } from './errors.js';
import type { DropReason, LogEvent } from './event.js';
import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_BYTES,
  MAX_EVENT_FUTURE_MS,
} from './limits.js';

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

/** Checks a limit that may be lowered but never raised, and returns the one in force. */
export function lowerLimit(option: string, value: number | undefined, max: number, min: number): number {
  if (value === undefined) return max;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(option, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** Oldest timestamp the API accepts at `now`, given the log group's retention. */
export function oldestAccepted(now: number, retentionInDays: number | undefined): number {
  const maxAge =
    retentionInDays === undefined ? MAX_EVENT_AGE_MS : Math.min(MAX_EVENT_AGE_MS, retentionInDays * DAY_MS);
  return now - maxAge;
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
  const maxBatchBytes = lowerLimit('maxBatchBytes', options.maxBatchBytes, MAX_BATCH_BYTES, maxEventBytes);
  const maxBatchEvents = lowerLimit('maxBatchEvents', options.maxBatchEvents, MAX_BATCH_EVENTS, 1);
  const oldest = oldestAccepted(options.now, options.retentionInDays);
  const newest = options.now + MAX_EVENT_FUTURE_MS;
  const maxMessageBytes = maxEventBytes - EVENT_OVERHEAD_BYTES;

  // One pass finds out whether anything must go and whether the rest is already in order.
  let sorted = true;
  let firstDrop = -1;
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as LogEvent;
    const t = event.timestamp;
    if (t < oldest || t > newest || event.bytes > maxMessageBytes) {
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
    for (let i = firstDrop; i < events.length; i++) {
      const event = events[i] as LogEvent;
      const t = event.timestamp;
      if (t < oldest) dropped.push({ event, reason: 'tooOld' });
      else if (t > newest) dropped.push({ event, reason: 'tooNew' });
      else if (event.bytes > maxMessageBytes) dropped.push({ event, reason: 'oversized' });
      else {
        if (t < previous) sorted = false;
        previous = t;
        kept.push(event);
      }
    }
  }
  // Array.prototype.sort is stable (ES2019), which keeps arrival order among equal timestamps.
  if (!sorted) kept.sort(byTimestamp);

  return { batches: split(kept, maxBatchBytes, maxBatchEvents), dropped };
}

function split(events: LogEvent[], maxBatchBytes: number, maxBatchEvents: number): Batch[] {
  const batches: Batch[] = [];
  const n = events.length;
  let start = 0;
  while (start < n) {
    const first = events[start] as LogEvent;
    const spanEnd = first.timestamp + MAX_BATCH_SPAN_MS;
    const countEnd = Math.min(n, start + maxBatchEvents);
    let bytes = first.bytes + EVENT_OVERHEAD_BYTES;
    let end = start + 1;
    while (end < countEnd) {
      const event = events[end] as LogEvent;
      const size = event.bytes + EVENT_OVERHEAD_BYTES;
      if (bytes + size > maxBatchBytes || event.timestamp >= spanEnd) break;
      bytes += size;
      end++;
    }
    batches.push({ events: events.slice(start, end), bytes });
    start = end;
  }
  return batches;
}
