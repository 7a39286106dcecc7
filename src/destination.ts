import { NIL } from './arena.js';
import type { Batch } from './batcher.js';
import type { DropReason } from './event.js';

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
 * A stream's buffered events: its list of records in the buffers' arena (see `Arena`), in arrival
 * order, and its own counts; the bounds across streams are the `Buffers'`. Written by the arena only.
 */
export class StreamBuffer {
  /** Events buffered (split pieces count one each). */
  heldEvents = 0;
  /** Message bytes buffered. */
  heldBytes = 0;
  /** Events appended since the start, and events removed from the front (taken or dropped). */
  enqueued = 0;
  taken = 0;
  /** Offsets of its first and last record in the arena (NIL, 0xffffffff, when it holds none). */
  head = NIL;
  tail = NIL;
  /** Its slot in the arena while it holds records, or -1. */
  slot = -1;
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
