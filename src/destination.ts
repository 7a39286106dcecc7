import type { Batch } from './batcher.js';
import type { DropReason, LogEvent } from './event.js';
import { eventSize, fitsInBatch } from './rules.js';

/** Where events go: a log group and a log stream. */
export interface Destination {
  readonly logGroupName: string;
  readonly logStreamName: string;
}

/**
 * One log group + stream, as the shipper keeps it: its names, and one part of state per owner. Each
 * part has one writer, named on it; the others only read it.
 */
export class Stream implements Destination {
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Written by the buffers only. */
  readonly buffer = new StreamBuffer();
  /** Written by the scheduler only. */
  readonly sending = new StreamSending();
  /** Written by the markers only. */
  readonly drops = new StreamDrops();
  /** Written by the creation of groups and streams only. */
  readonly creation = new StreamCreation();
  /** The last sweep period (see `Buffers`) in which an event was buffered for it, and whether the sweep queue holds it. */
  usedInPeriod = -1;
  queuedForSweep = false;

  /** Its stream name holds a brace (a template's `{{` or `}}`): the router never takes it for one. */
  readonly braces: boolean;

  constructor(destination: Destination) {
    this.logGroupName = destination.logGroupName;
    this.logStreamName = destination.logStreamName;
    this.braces = /[{}]/.test(destination.logStreamName);
  }

  /** Whether nothing of this stream is buffered, in flight, owed a marker or being created. */
  get idle(): boolean {
    return (
      this.buffer.heldEvents === 0 &&
      this.sending.idle &&
      this.drops.total === 0 &&
      this.creation.creating === undefined
    );
  }
}

/**
 * A stream's buffered events in arrival order: an array with a moving head, compacted now and then,
 * so that taking from the front and appending at the back are both O(1) amortized. It keeps its own
 * counts; the bounds across streams are the `Buffers`'.
 */
export class StreamBuffer {
  #events: (LogEvent | undefined)[] = [];
  #head = 0;
  /** Events buffered (split pieces count one each). */
  heldEvents = 0;
  /** Message bytes buffered. */
  heldBytes = 0;
  /** Events appended since the start, and events removed from the front (taken or dropped). */
  enqueued = 0;
  taken = 0;

  push(event: LogEvent): void {
    this.#events.push(event);
    this.heldEvents++;
    this.heldBytes += event.bytes;
    this.enqueued++;
  }

  /**
   * Removes and returns the oldest buffered message: one event, or every piece of a split one, so
   * that no fragment of a dropped message is sent on its own.
   */
  shiftMessage(): LogEvent[] {
    if (this.#head >= this.#events.length) return [];
    let end = this.#head + 1;
    while (end < this.#events.length && (this.#events[end] as LogEvent).kind === 'piece') end++;
    return this.#removeTo(end);
  }

  /**
   * Takes the longest prefix that fits one request by count and bytes, and the rest of a split
   * message it ends inside. The batcher still applies every rule to what this returns.
   */
  takePrefix(maxEvents: number, maxBytes: number): LogEvent[] {
    const events = this.#events;
    const start = this.#head;
    let end = start;
    let bytes = 0;
    while (end < events.length) {
      const size = (events[end] as LogEvent).bytes;
      if (!fitsInBatch(end - start, bytes, size, maxEvents, maxBytes)) break;
      bytes += eventSize(size);
      end++;
    }
    // The rest of a split message leaves with its first piece, even past the limits (the batcher
    // splits what is taken into requests that fit): a piece left behind weighs 0, and the overflow
    // policy would drop it uncounted while the message counts as sent.
    while (end < events.length && (events[end] as LogEvent).kind === 'piece') end++;
    return this.#removeTo(end);
  }

  /** Everything buffered, emptied out (on close). */
  takeAll(): LogEvent[] {
    return this.#removeTo(this.#events.length);
  }

  #removeTo(end: number): LogEvent[] {
    const start = this.#head;
    const removed = this.#events.slice(start, end) as LogEvent[];
    for (let i = start; i < end; i++) {
      const event = this.#events[i] as LogEvent;
      this.heldBytes -= event.bytes;
      this.#events[i] = undefined;
    }
    this.heldEvents -= end - start;
    this.taken += end - start;
    this.#head = end;
    // Drop the consumed front once it is both large and most of the array (or all of it).
    if (this.#head === this.#events.length) {
      this.#events = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#events.length) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
    return removed;
  }
}

/** A flush waiting for a stream to be taken up to `target`. */
export interface DrainTarget {
  readonly target: number;
  readonly waiter: { remaining: number; cancelled: boolean; resolve(): void };
}

/** What the scheduler keeps of a stream. */
export class StreamSending {
  /**
   * Batches made from a taken prefix that did not fit one request, sent before the buffer. Their
   * events were taken from the buffer: they count as in flight, not buffered.
   */
  readonly carry: Batch[] = [];
  /** Requests under way for this stream. */
  active = 0;
  /** The buffer is sent, full batches or not, while `taken` is below this. */
  drainTarget = 0;
  /** Flushes waiting for this stream, by ascending target. */
  readonly targets: DrainTarget[] = [];
  /** In the scheduler's ready queue, or parked until one of its requests settles. */
  queued = false;
  parked = false;
  /** Queued at a tick for the drop marker it is owed, having no events to carry it. */
  markerDue = false;

  get idle(): boolean {
    return this.carry.length === 0 && this.active === 0 && this.targets.length === 0;
  }
}

/** Drops since a stream's last drop marker, by reason. */
export class StreamDrops {
  counts: Partial<Record<DropReason, number>> = {};
  total = 0;
  /** When the first of them happened. */
  since = 0;
  lastMarkerAt = Number.NEGATIVE_INFINITY;
}

/** A stream's creation: the one under way, and how many times it was created. */
export class StreamCreation {
  /**
   * Bumped each time the stream (or its group) is created, so that a send that failed with
   * ResourceNotFound before the creation knows to resend rather than create again.
   */
  generation = 0;
  creating: Promise<void> | undefined;
}
