import type { Batch } from './batcher.js';
import type { DropReason, LogEvent } from './event.js';
import { EVENT_OVERHEAD_BYTES } from './limits.js';
import type { Destination } from './options.js';

/**
 * One log group + stream: its buffer of events in arrival order, and what is being sent to it.
 * The buffer is an array with a moving head, compacted now and then, so that taking from the front
 * and appending at the back are both O(1) amortized.
 */
export class DestinationState implements Destination {
  readonly logGroupName: string;
  readonly logStreamName: string;

  private events: (LogEvent | undefined)[] = [];
  private head = 0;
  /** Physical events buffered (split pieces count one each), for the buffer bounds. */
  heldEvents = 0;
  /** Message bytes held, for the buffer bounds. */
  heldBytes = 0;
  /** Held events weighted by `count`, as `stats().buffered` counts them. */
  heldWeight = 0;

  /** Events appended since the start, and events removed from the front (taken or dropped). */
  enqueued = 0;
  taken = 0;
  /** The buffer is drained while `taken` is below this. */
  drainTarget = 0;

  /**
   * Batches made from a taken prefix that did not fit one request, sent before the buffer. Their
   * events were taken from the buffer: they count as in flight, not buffered.
   */
  readonly carry: Batch[] = [];
  /** Requests queued or running for this stream. */
  active = 0;
  /**
   * Bumped each time the stream (or its group) is created, so a send that failed with
   * ResourceNotFound before the creation knows to resend rather than create again.
   */
  generation = 0;
  creating: Promise<void> | undefined;

  /** Drops since the last drop marker, by reason, and when the first of them happened. */
  markerCounts: Partial<Record<DropReason, number>> = {};
  markerTotal = 0;
  markerSince = 0;
  lastMarkerAt = Number.NEGATIVE_INFINITY;

  constructor(destination: Destination) {
    this.logGroupName = destination.logGroupName;
    this.logStreamName = destination.logStreamName;
  }

  push(event: LogEvent): void {
    this.events.push(event);
    this.heldEvents++;
    this.heldBytes += event.bytes;
    this.heldWeight += event.count;
    this.enqueued++;
  }

  /** Removes and returns the oldest buffered event (not one in `carry`), if any. */
  shift(): LogEvent | undefined {
    if (this.head >= this.events.length) return undefined;
    const event = this.events[this.head] as LogEvent;
    this.events[this.head] = undefined;
    this.head++;
    this.taken++;
    this.release(event);
    this.compact();
    return event;
  }

  /**
   * Removes and returns the oldest buffered message: one event, or every piece of a split one, so
   * that no fragment of a dropped message is sent on its own.
   */
  shiftMessage(): LogEvent[] {
    const first = this.shift();
    if (first === undefined) return [];
    const pieces = [first];
    while (this.head < this.events.length && (this.events[this.head] as LogEvent).count === 0) {
      pieces.push(this.shift() as LogEvent);
    }
    return pieces;
  }

  /** Oldest buffered event's timestamp, for choosing whom to drop first; Infinity when none. */
  get oldestTimestamp(): number {
    const event = this.events[this.head];
    return event === undefined ? Number.POSITIVE_INFINITY : event.timestamp;
  }

  /**
   * Takes the longest prefix of the buffer that fits one request by count and bytes, and the rest
   * of a split message it ends inside. The batcher still checks the limits, the time window, the
   * order and the 24-hour span of what this returns.
   */
  takePrefix(maxEvents: number, maxBytes: number): LogEvent[] {
    const start = this.head;
    const limit = Math.min(this.events.length, start + maxEvents);
    let end = start;
    let bytes = 0;
    while (end < limit) {
      const size = (this.events[end] as LogEvent).bytes + EVENT_OVERHEAD_BYTES;
      if (bytes + size > maxBytes) break;
      bytes += size;
      end++;
    }
    // The rest of a split message leaves with its first piece, even past the limits (the batcher
    // splits what is taken into requests that fit): a piece left behind weighs 0, and the overflow
    // policy would drop it uncounted while the message counts as sent.
    while (end < this.events.length && (this.events[end] as LogEvent).count === 0) end++;
    const prefix = this.events.slice(start, end) as LogEvent[];
    for (let i = start; i < end; i++) this.events[i] = undefined;
    this.head = end;
    this.taken += prefix.length;
    for (const event of prefix) this.release(event);
    this.compact();
    return prefix;
  }

  private release(event: LogEvent): void {
    this.heldEvents--;
    this.heldBytes -= event.bytes;
    this.heldWeight -= event.count;
  }

  /** Everything still buffered, emptied out (on close). Carried batches are not included. */
  takeAll(): LogEvent[] {
    const queued = this.events.slice(this.head) as LogEvent[];
    this.taken += queued.length;
    for (const event of queued) this.release(event);
    this.events = [];
    this.head = 0;
    return queued;
  }

  /** Whether the buffer holds a full request's worth. */
  hasFullBatch(maxEvents: number, maxBytes: number): boolean {
    return (
      this.heldEvents >= maxEvents || this.heldBytes + this.heldEvents * EVENT_OVERHEAD_BYTES >= maxBytes
    );
  }

  private compact(): void {
    // Drop the consumed front once it is both large and most of the array.
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
