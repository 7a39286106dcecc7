/**
 * The scheduler: decides which stream sends next. It takes a batch from a stream's buffer (or a batch
 * carried from an earlier take), adds a drop marker when one is owed, and hands it to the sender
 * through a narrow port: "capacity?", "schedule", and "capacity freed" back. Streams take turns
 * round-robin through ready queues, so the work per pump is proportional to the requests it starts,
 * never to the number of streams. A stream sends a partial batch only while it is being drained (at
 * each flush interval, and by `flush()`); a full one at once.
 *
 * Requests, not bytes, are what the account's quota and the request slots count, so streams with a
 * backlog (a full batch, or carried batches) take turns in a queue of their own, and the two queues
 * alternate: a busy stream keeps at least half of the request starts however many streams hold a few
 * events (thousands of new ones, say), and neither queue waits when the other is empty. A stream
 * whose creation is under way is parked until the request that waits for it settles.
 */
import { type Batch, batchEvents } from './batcher.js';
import type { BufferStore } from './buffers.js';
import type { DrainTarget, Stream } from './destination.js';
import { type LogEvent, leadingPieces, totalWeight } from './event.js';
import type { Ledger } from './ledger.js';
import type { Markers } from './markers.js';
import { batchSize, eventSize, fitsInBatch, withinSpan } from './rules.js';
import type { SenderPort } from './sender.js';

export interface SchedulerOptions {
  readonly perStreamConcurrency: number;
  readonly maxEventBytes: number;
  readonly maxBatchBytes: number;
  readonly maxBatchEvents: number;
  readonly retentionInDays: number | undefined;
  readonly now: () => number;
}

/** A flush's wait: resolves once every stream it named was taken up to its target. */
interface Waiter {
  remaining: number;
  cancelled: boolean;
  resolve(): void;
}

export class Scheduler {
  readonly #buffers: BufferStore;
  readonly #sender: SenderPort;
  readonly #ledger: Ledger<Stream>;
  readonly #markers: Markers | undefined;
  readonly #options: SchedulerOptions;
  /**
   * Streams that may have a batch to send, in turn order; a stream stands in one of them once at
   * most: those with a backlog, and the others.
   */
  readonly #backlogged = new ReadyQueue();
  readonly #ready = new ReadyQueue();
  /** Whose turn it is first at the next start: the backlogged queue, or the other. */
  #backlogFirst = true;
  /** Streams holding carried batches. */
  readonly #carrying = new Set<Stream>();
  /** Batches scheduled and not yet settled. */
  readonly #tasks = new Set<Promise<void>>();
  /** A carried batch that begins with pieces, and the event its message goes on from. */
  readonly #continues = new WeakMap<Batch, LogEvent>();
  #pumpScheduled = false;
  /** Called at the end of every pump: the buffers may be below the high-water mark again. */
  readonly #afterPump: () => void;
  /** A step that threw (an injected clock, or a bug): reported, never thrown out of a timer. */
  readonly #fault: (error: unknown) => void;

  constructor(
    buffers: BufferStore,
    sender: SenderPort,
    ledger: Ledger<Stream>,
    markers: Markers | undefined,
    options: SchedulerOptions,
    afterPump: () => void,
    fault: (error: unknown) => void,
  ) {
    this.#fault = fault;
    this.#buffers = buffers;
    this.#sender = sender;
    this.#ledger = ledger;
    this.#markers = markers;
    this.#options = options;
    this.#afterPump = afterPump;
  }

  /** Batches scheduled and not yet settled. */
  get tasks(): ReadonlySet<Promise<void>> {
    return this.#tasks;
  }

  /** `stream` holds a full batch: it is sent at once. */
  held(stream: Stream): void {
    this.#enqueue(stream);
    this.schedulePump();
  }

  /** Events of `stream` left its buffer otherwise than by a take (overflow): flushes may be done. */
  progressed(stream: Stream): void {
    this.#settleTargets(stream);
  }

  /** Sends whatever every stream holds now, full batches or not (the flush interval's tick). */
  drainAll(): void {
    for (const stream of this.#buffers.streamsWithEvents) {
      stream.sending.drainTarget = stream.buffer.enqueued;
      this.#enqueue(stream);
    }
    // A stream that lost events and got none since still gets its marker, in a request of its own.
    if (this.#markers !== undefined) {
      for (const stream of this.#markers.owed) {
        if (stream.buffer.heldEvents === 0 && stream.sending.carry.length === 0) this.#enqueueMarker(stream);
      }
    }
    this.pump();
  }

  /**
   * Drains everything buffered now; resolves once all of it has been taken for sending (or dropped),
   * with `cancel` to stop waiting. Touches only the streams that hold events or carried batches.
   */
  drainForFlush(): { taken: Promise<void>; cancel: () => void } {
    let resolve = (): void => {};
    const taken = new Promise<void>((r) => {
      resolve = r;
    });
    const waiter: Waiter = { remaining: 0, cancelled: false, resolve };
    const add = (stream: Stream): void => {
      const sending = stream.sending;
      const target = stream.buffer.enqueued;
      if (target > sending.drainTarget) sending.drainTarget = target;
      if (stream.buffer.taken >= target && sending.carry.length === 0) return;
      const targets = sending.targets;
      // A cancelled flush's entry waits for nothing: drop those behind which this one would queue.
      while (targets.length > 0 && (targets[targets.length - 1] as DrainTarget).waiter.cancelled)
        targets.pop();
      targets.push({ target, waiter });
      waiter.remaining++;
      this.#enqueue(stream);
    };
    for (const stream of this.#buffers.streamsWithEvents) add(stream);
    for (const stream of this.#carrying) if (stream.buffer.heldEvents === 0) add(stream);
    if (waiter.remaining === 0) resolve();
    else this.pump();
    return {
      taken,
      cancel: () => {
        waiter.cancelled = true;
      },
    };
  }

  /**
   * `events` of `stream` were dropped on the way (refused, failed, out of the window, closed): the
   * pieces of a split message they end in, carried for later requests, go with them, so that no
   * fragment of a dropped message is stored. The pieces weigh nothing: the ledger counted the
   * message with its first piece. A piece the sender cut again stands in for the event it was cut
   * from (`cutFrom`): dropping any of it drops what goes on from that event.
   */
  dropContinuation(stream: Stream, events: readonly LogEvent[]): void {
    const carry = stream.sending.carry;
    // A drop marker may stand between the message's batches: look through the carry, which is short.
    const at = carry.findIndex((batch) => {
      const anchor = this.#continues.get(batch);
      return anchor !== undefined && events.some((event) => (event.cutFrom ?? event) === anchor);
    });
    while (at !== -1 && at < carry.length) {
      const next = carry[at] as Batch;
      const pieces = leadingPieces(next.events);
      const removed = next.events.slice(0, pieces);
      if (pieces < next.events.length) {
        carry[at] = { events: next.events.slice(pieces), bytes: next.bytes - batchSize(removed) };
        break;
      }
      // Wholly pieces: the batch after it may go on with the same message.
      carry.splice(at, 1);
      const last = removed[removed.length - 1];
      const following = carry[at];
      if (following === undefined || this.#continues.get(following) !== last) break;
    }
    if (carry.length === 0) this.#carrying.delete(stream);
    this.#settleTargets(stream);
  }

  /** Drops every carried batch with reason `closed` (on a close that ran out of time). */
  dropCarried(): void {
    for (const stream of this.#carrying) {
      for (const batch of stream.sending.carry.splice(0)) {
        this.#ledger.droppedInFlight('closed', totalWeight(batch.events), stream);
      }
      this.#settleTargets(stream);
    }
    this.#carrying.clear();
  }

  schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => this.pump());
  }

  /** Starts as many requests as the sender has capacity for, streams taking turns. */
  pump(): void {
    this.#pumpScheduled = false;
    try {
      while (this.#sender.hasCapacity) {
        const stream = this.#nextReady();
        if (stream === undefined) break;
        const batch = this.#takeBatch(stream);
        // Round-robin: back of the queue, if it has more to send. A take whose events were all
        // dropped (out of the window, too large) sent nothing, but the stream may hold more.
        if (batch !== undefined) this.#send(stream, batch);
        if (this.#hasWork(stream)) this.#enqueue(stream);
      }
      this.#afterPump();
    } catch (error) {
      // Every step takes the clock before it changes anything, so a throw leaves the accounts whole.
      this.#fault(error);
    }
  }

  #send(stream: Stream, batch: Batch): void {
    const sending = stream.sending;
    sending.active++;
    const task = this.#sender.schedule(stream, batch);
    this.#tasks.add(task);
    void task.then(() => {
      this.#tasks.delete(task);
      sending.active--;
      if (sending.parked) {
        sending.parked = false;
        this.#enqueue(stream);
      }
      this.schedulePump();
    });
  }

  #enqueue(stream: Stream): void {
    const sending = stream.sending;
    if (sending.queued || sending.parked) return;
    sending.queued = true;
    const backlogged = sending.carry.length > 0 || this.#buffers.hasFullBatch(stream);
    (backlogged ? this.#backlogged : this.#ready).push(stream);
  }

  /** The next stream with a batch it may send now, the two queues taking turns. */
  #nextReady(): Stream | undefined {
    const first = this.#backlogFirst ? this.#backlogged : this.#ready;
    const second = this.#backlogFirst ? this.#ready : this.#backlogged;
    const stream = this.#nextFrom(first) ?? this.#nextFrom(second);
    if (stream !== undefined) this.#backlogFirst = !this.#backlogFirst;
    return stream;
  }

  /** The next stream of `queue` with a batch it may send now; streams that must wait are parked. */
  #nextFrom(queue: ReadyQueue): Stream | undefined {
    for (let stream = queue.shift(); stream !== undefined; stream = queue.shift()) {
      const sending = stream.sending;
      sending.queued = false;
      if (!this.#hasWork(stream)) continue;
      // A batch that goes on with a split message waits for the requests before it, so that a
      // retry of an earlier piece cannot land after a later one: the pieces share a timestamp, and
      // only arrival order keeps them in order.
      const blocked = sending.active > 0 && sending.carry[0]?.events[0]?.kind === 'piece';
      // A stream being created: its next request would find it missing too, and use a request slot
      // (and the account's PutLogEvents quota) for nothing.
      const creating = sending.active > 0 && stream.creation.creating !== undefined;
      if (sending.active >= this.#options.perStreamConcurrency || blocked || creating) {
        sending.parked = true;
        continue;
      }
      return stream;
    }
    return undefined;
  }

  #hasWork(stream: Stream): boolean {
    const { sending, buffer } = stream;
    return (
      sending.carry.length > 0 ||
      sending.markerDue ||
      (buffer.heldEvents > 0 && (buffer.taken < sending.drainTarget || this.#buffers.hasFullBatch(stream)))
    );
  }

  /** Queues a stream with nothing but an owed marker, for one marker-only request. */
  #enqueueMarker(stream: Stream): void {
    stream.sending.markerDue = true;
    this.#enqueue(stream);
  }

  /** The next request for a stream: a carried batch, or one made from the buffer's front. */
  #takeBatch(stream: Stream): Batch | undefined {
    // The clock first: nothing has changed yet if it throws.
    const now = this.#options.now();
    const sending = stream.sending;
    const carry = sending.carry;
    const carried = carry.shift();
    if (carried !== undefined) {
      if (carry.length === 0) this.#carrying.delete(stream);
      this.#settleTargets(stream);
      return carried;
    }
    if (sending.markerDue) {
      sending.markerDue = false;
      if (stream.buffer.heldEvents === 0) {
        const marker = this.#markers?.take(stream, now);
        return marker && { events: [marker], bytes: eventSize(marker.bytes) };
      }
    }
    const prefix = this.#buffers.take(stream);
    const { batches, dropped } = batchEvents(prefix, {
      now,
      retentionInDays: this.#options.retentionInDays,
      maxEventBytes: this.#options.maxEventBytes,
      maxBatchBytes: this.#options.maxBatchBytes,
      maxBatchEvents: this.#options.maxBatchEvents,
    });
    for (const { event, reason } of dropped) {
      if (event.kind === 'event') this.#ledger.droppedInFlight(reason, 1, stream);
    }
    const first = batches.shift();
    if (batches.length > 0) {
      // A carried batch that begins with a piece goes on with the message the batch before it ends
      // in: remember where, so that the rest is dropped with that message's first piece.
      let previous = first as Batch;
      for (const batch of batches) {
        if (batch.events[0]?.kind === 'piece')
          this.#continues.set(batch, previous.events[previous.events.length - 1] as LogEvent);
        previous = batch;
      }
      carry.push(...batches);
      this.#carrying.add(stream);
    }
    const batch = first && this.#withMarker(stream, first, now);
    this.#settleTargets(stream);
    return batch;
  }

  /**
   * Adds the drop marker a stream is owed: in the request itself when it has room, else as a request
   * of its own right after.
   */
  #withMarker(stream: Stream, batch: Batch, now: number): Batch {
    const marker = this.#markers?.take(stream, now);
    if (marker === undefined) return batch;
    const { maxBatchEvents, maxBatchBytes } = this.#options;
    const events = batch.events;
    const first = events[0];
    const last = events[events.length - 1];
    if (
      first !== undefined &&
      last !== undefined &&
      fitsInBatch(events.length, batch.bytes, marker.bytes, maxBatchEvents, maxBatchBytes) &&
      marker.timestamp >= last.timestamp &&
      withinSpan(first.timestamp, marker.timestamp)
    ) {
      return { events: [...events, marker], bytes: batch.bytes + eventSize(marker.bytes) };
    }
    stream.sending.carry.unshift({ events: [marker], bytes: eventSize(marker.bytes) });
    this.#carrying.add(stream);
    return batch;
  }

  /** Tells the flushes waiting on `stream` that it was taken up to their target. */
  #settleTargets(stream: Stream): void {
    const { targets, carry } = stream.sending;
    if (targets.length === 0 || carry.length > 0) return;
    const taken = stream.buffer.taken;
    let settled = 0;
    while (settled < targets.length && (targets[settled] as DrainTarget).target <= taken) {
      const { waiter } = targets[settled] as DrainTarget;
      settled++;
      if (--waiter.remaining === 0 && !waiter.cancelled) waiter.resolve();
    }
    if (settled > 0) targets.splice(0, settled);
  }
}

/** A FIFO of streams, O(1) at each end, compacted as its front is consumed. */
class ReadyQueue {
  #items: (Stream | undefined)[] = [];
  #head = 0;

  push(stream: Stream): void {
    this.#items.push(stream);
  }

  shift(): Stream | undefined {
    if (this.#head >= this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
      return undefined;
    }
    const stream = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return stream;
  }
}
