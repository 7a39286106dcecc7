/**
 * The buffers: the registry of destinations, the bounds on what they hold together, the overflow
 * policy, the high-water mark and `'drain'`. The only owner of held counts; every change of an event's
 * state it makes is written to the ledger as it happens.
 *
 * Everything per `log()` and per eviction is O(1) whatever the number of destinations: the oldest
 * buffered event is found through a queue of runs (consecutive events logged to one stream), and the
 * periodic work touches only streams that hold events or were used.
 */
import { Stream } from './destination.js';
import type { LogEvent } from './event.js';
import { totalWeight } from './event.js';
import type { Ledger } from './ledger.js';
import { isFullBatch, isLogGroupName, isLogStreamName } from './rules.js';

/**
 * What one buffered event costs in memory besides its message text: the event object, its boxed
 * timestamp, its slot in the buffer and the string's header (measured on Node 20 x64 at about
 * 105 bytes; see the memory benchmark). `maxBufferedBytes` counts it for every event.
 */
export const EVENT_MEMORY_OVERHEAD_BYTES = 120;

/** A stream unused for this long, with nothing buffered or in flight, is forgotten (made again when used). */
export const STREAM_IDLE_MS = 5 * 60_000;

export interface BufferLimits {
  readonly maxBufferedEvents: number;
  readonly maxBufferedBytes: number;
  readonly highWaterMark: number;
  readonly onBufferFull: 'dropOldest' | 'dropNewest';
  readonly maxBatchEvents: number;
  readonly maxBatchBytes: number;
  /** How often `sweep()` is called, to count idle time in sweeps. */
  readonly flushIntervalMs: number;
}

export interface BufferHooks {
  /** `stream` holds a full request now: it is sent at once, without waiting for the interval. */
  full(stream: Stream): void;
  /** Events of `stream` left its buffer by the overflow policy (the ledger knows already). */
  evicted(stream: Stream): void;
  /** A group or stream name was refused: reported once per name by the caller. */
  invalidDestination(logGroupName: unknown, logStreamName: unknown): void;
  /** The buffers went below the high-water mark after a `log()` was told `false`. */
  drain(): void;
}

/**
 * The seam another buffer can stand behind: what the shipper and the scheduler ask of the buffers.
 */
export interface BufferStore {
  /** The stream of these names if the registry holds it; no check, nothing made. */
  lookup(logGroupName: string, logStreamName: string): Stream | undefined;
  /** The stream of these names, made on first use; `undefined` (and reported) when a name is invalid. */
  stream(logGroupName: string, logStreamName: string): Stream | undefined;
  /** Never lets `stream` go. */
  pin(stream: Stream): void;
  /** Buffers one event of `bytes` message bytes, made only once room is made; false if dropped. */
  holdOne(stream: Stream, timestamp: number, message: string, bytes: number): boolean;
  /** Buffers the events of one message, all or none; false if dropped. */
  holdMessage(stream: Stream, events: LogEvent[], shape: 'truncated' | 'split' | undefined): boolean;
  /** Whether a message of `events` events and `bytes` message bytes could ever fit. */
  couldHold(events: number, bytes: number): boolean;
  /** Takes the longest prefix of a stream's buffer that fits one request. */
  take(stream: Stream): LogEvent[];
  /** Whether a stream holds at least one full request. */
  hasFullBatch(stream: Stream): boolean;
  /** Streams that hold events now. */
  readonly streamsWithEvents: Iterable<Stream>;
  /** Drops everything buffered with reason `closed`; returns the streams it emptied. */
  dropAll(): Stream[];
  /** `true` while below the high-water mark; `false` also asks for a `'drain'` later. */
  accepting(): boolean;
  checkDrain(): void;
  /** Periodic upkeep: forgets streams idle for {@link STREAM_IDLE_MS}. */
  sweep(): void;
  /** Forgets every idle stream but the pinned ones (after close). */
  releaseIdle(): void;
  /** Streams known now. */
  readonly size: number;
}

export class Buffers implements BufferStore {
  readonly #limits: BufferLimits;
  readonly #ledger: Ledger<Stream>;
  readonly #hooks: BufferHooks;
  readonly #highWaterEvents: number;
  readonly #highWaterBytes: number;
  readonly #byName = new Map<string, Map<string, Stream>>();
  /** Streams never let go: the default one, whose handle the router keeps. */
  readonly #pinned = new Set<Stream>();
  #size = 0;
  readonly #withEvents = new Set<Stream>();
  #heldEvents = 0;
  #heldBytes = 0;
  /** `accepting()` answered `false` and no `'drain'` has followed yet. */
  #wantsDrain = false;

  // Runs of consecutive events logged to one stream, oldest first: run i is `#runStreams[i]` up to its
  // `#runEnds[i]`-th event. A run is stale once its stream has taken or dropped past that end.
  #runStreams: (Stream | undefined)[] = [];
  #runEnds: number[] = [];
  #runHead = 0;
  /** The stream of the newest run; its end is open (that stream's events so far). */
  #lastRunStream: Stream | undefined;

  // Streams in the order they were first used in a sweep period, for forgetting idle ones.
  #period = 0;
  #used: (Stream | undefined)[] = [];
  #usedPeriods: number[] = [];
  #usedHead = 0;
  readonly #idlePeriods: number;
  // Read on every log(): kept as fields of their own rather than looked up in the limits.
  readonly #maxBatchEvents: number;
  readonly #maxBatchBytes: number;

  constructor(limits: BufferLimits, ledger: Ledger<Stream>, hooks: BufferHooks) {
    this.#limits = limits;
    this.#ledger = ledger;
    this.#hooks = hooks;
    this.#highWaterEvents = Math.ceil(limits.maxBufferedEvents * limits.highWaterMark);
    this.#highWaterBytes = Math.ceil(limits.maxBufferedBytes * limits.highWaterMark);
    this.#idlePeriods = Math.max(2, Math.ceil(STREAM_IDLE_MS / limits.flushIntervalMs));
    this.#maxBatchEvents = limits.maxBatchEvents;
    this.#maxBatchBytes = limits.maxBatchBytes;
  }

  get size(): number {
    return this.#size;
  }

  /** Runs in the eviction queue: what its compaction keeps bounded. @internal */
  get queuedRuns(): number {
    return this.#runStreams.length - this.#runHead;
  }

  get streamsWithEvents(): Iterable<Stream> {
    return this.#withEvents;
  }

  lookup(logGroupName: string, logStreamName: string): Stream | undefined {
    return this.#byName.get(logGroupName)?.get(logStreamName);
  }

  stream(logGroupName: string, logStreamName: string): Stream | undefined {
    const known = this.#byName.get(logGroupName)?.get(logStreamName);
    if (known !== undefined) return known;
    if (!isLogGroupName(logGroupName) || !isLogStreamName(logStreamName)) {
      this.#hooks.invalidDestination(logGroupName, logStreamName);
      return undefined;
    }
    return this.#add(logGroupName, logStreamName);
  }

  pin(stream: Stream): void {
    this.#pinned.add(stream);
  }

  holdOne(stream: Stream, timestamp: number, message: string, bytes: number): boolean {
    // Room is made (or the event dropped) before the event object exists, so a full buffer costs
    // no allocation per dropped event.
    if (!this.#fits(1, bytes) && !this.#makeRoom(1, bytes)) {
      this.#ledger.droppedAtDoor('overflow', stream);
      return false;
    }
    this.#push(stream, { timestamp, message, bytes, kind: 'event' });
    this.#ledger.buffered(1);
    this.#checkFull(stream);
    return true;
  }

  holdMessage(stream: Stream, events: LogEvent[], shape: 'truncated' | 'split' | undefined): boolean {
    let bytes = 0;
    for (const event of events) bytes += event.bytes;
    if (!this.#fits(events.length, bytes) && !this.#makeRoom(events.length, bytes)) {
      this.#ledger.droppedAtDoor('overflow', stream);
      return false;
    }
    for (const event of events) this.#push(stream, event);
    this.#ledger.buffered(totalWeight(events), shape);
    this.#checkFull(stream);
    return true;
  }

  couldHold(events: number, bytes: number): boolean {
    return (
      events <= this.#limits.maxBufferedEvents &&
      bytes + events * EVENT_MEMORY_OVERHEAD_BYTES <= this.#limits.maxBufferedBytes
    );
  }

  take(stream: Stream): LogEvent[] {
    const prefix = stream.buffer.takePrefix(this.#maxBatchEvents, this.#maxBatchBytes);
    this.#markUsed(stream);
    this.#removed(stream, prefix);
    this.#ledger.taken(totalWeight(prefix));
    this.#pruneRuns();
    return prefix;
  }

  hasFullBatch(stream: Stream): boolean {
    const buffer = stream.buffer;
    return isFullBatch(buffer.heldEvents, buffer.heldBytes, this.#maxBatchEvents, this.#maxBatchBytes);
  }

  #checkFull(stream: Stream): void {
    if (this.hasFullBatch(stream)) this.#hooks.full(stream);
  }

  dropAll(): Stream[] {
    const emptied = [...this.#withEvents];
    for (const stream of emptied) {
      const left = stream.buffer.takeAll();
      this.#removed(stream, left);
      this.#ledger.droppedFromBuffer('closed', totalWeight(left), stream);
    }
    this.#runStreams = [];
    this.#runEnds = [];
    this.#runHead = 0;
    this.#lastRunStream = undefined;
    return emptied;
  }

  accepting(): boolean {
    if (this.#belowHighWater()) return true;
    this.#wantsDrain = true;
    return false;
  }

  checkDrain(): void {
    if (!this.#wantsDrain || !this.#belowHighWater()) return;
    this.#wantsDrain = false;
    this.#hooks.drain();
  }

  sweep(): void {
    this.#period++;
    this.#pruneRuns();
    // Each stream stands in the queue once, by the period it entered it; at its turn it is forgotten
    // if it went unused for the idle time, or queued again. A stream is forgotten between one and
    // two idle times after its last use, and no stream is looked at more than once per idle time.
    const cutoff = this.#period - this.#idlePeriods;
    while (this.#usedHead < this.#used.length && (this.#usedPeriods[this.#usedHead] as number) <= cutoff) {
      const stream = this.#used[this.#usedHead] as Stream;
      this.#used[this.#usedHead] = undefined;
      this.#usedHead++;
      if (stream.usedInPeriod <= cutoff && stream.idle) {
        stream.queuedForSweep = false;
        this.#forget(stream);
      } else {
        this.#used.push(stream);
        this.#usedPeriods.push(this.#period);
      }
    }
    if (this.#usedHead > 1024 && this.#usedHead * 2 > this.#used.length) {
      this.#used = this.#used.slice(this.#usedHead);
      this.#usedPeriods = this.#usedPeriods.slice(this.#usedHead);
      this.#usedHead = 0;
    }
  }

  releaseIdle(): void {
    for (const streams of [...this.#byName.values()]) {
      for (const stream of [...streams.values()]) if (stream.idle) this.#forget(stream);
    }
  }

  #add(logGroupName: string, logStreamName: string): Stream {
    const stream = new Stream({ logGroupName, logStreamName });
    let streams = this.#byName.get(logGroupName);
    if (streams === undefined) {
      streams = new Map();
      this.#byName.set(logGroupName, streams);
    }
    streams.set(logStreamName, stream);
    this.#size++;
    return stream;
  }

  #forget(stream: Stream): void {
    if (this.#pinned.has(stream)) return;
    stream.queuedForSweep = false;
    const streams = this.#byName.get(stream.logGroupName);
    if (streams?.get(stream.logStreamName) !== stream) return;
    streams.delete(stream.logStreamName);
    if (streams.size === 0) this.#byName.delete(stream.logGroupName);
    this.#size--;
  }

  #push(stream: Stream, event: LogEvent): void {
    const buffer = stream.buffer;
    buffer.push(event);
    this.#heldEvents++;
    this.#heldBytes += event.bytes;
    if (buffer.heldEvents === 1) {
      this.#withEvents.add(stream);
      this.#markUsed(stream);
    }
    // The last run's end is its stream's count of events, read when needed: a run of one stream
    // costs nothing per event.
    if (this.#lastRunStream !== stream) this.#startRun(stream);
  }

  #startRun(stream: Stream): void {
    const last = this.#lastRunStream;
    if (last !== undefined && this.#runStreams.length > this.#runHead) {
      this.#runEnds[this.#runStreams.length - 1] = last.buffer.enqueued;
    }
    this.#runStreams.push(stream);
    this.#runEnds.push(Number.POSITIVE_INFINITY);
    this.#lastRunStream = stream;
    // Stale runs behind a live one at the head (a quiet stream waiting for its tick, one being
    // retried) are not pruned from the front: past twice the events held, keep only the live ones.
    // Each live run holds at least one event, so this costs O(1) per run, amortized.
    if (this.#runStreams.length - this.#runHead > 2 * this.#heldEvents + 1024) this.#compactRuns();
  }

  #compactRuns(): void {
    const streams: (Stream | undefined)[] = [];
    const ends: number[] = [];
    for (let i = this.#runHead; i < this.#runStreams.length; i++) {
      const stream = this.#runStreams[i] as Stream;
      const end = this.#runEnds[i] as number;
      if (stream.buffer.taken < Math.min(end, stream.buffer.enqueued)) {
        streams.push(stream);
        ends.push(end);
      }
    }
    this.#runStreams = streams;
    this.#runEnds = ends;
    this.#runHead = 0;
  }

  /** A stream was used in this sweep period: buffered to, or sent from. */
  #markUsed(stream: Stream): void {
    stream.usedInPeriod = this.#period;
    if (!stream.queuedForSweep) {
      stream.queuedForSweep = true;
      this.#used.push(stream);
      this.#usedPeriods.push(this.#period);
    }
  }

  #removed(stream: Stream, events: readonly LogEvent[]): void {
    if (events.length === 0) return;
    let bytes = 0;
    for (const event of events) bytes += event.bytes;
    this.#heldEvents -= events.length;
    this.#heldBytes -= bytes;
    if (stream.buffer.heldEvents === 0) this.#withEvents.delete(stream);
  }

  #memory(events: number, bytes: number): number {
    return this.#heldBytes + bytes + (this.#heldEvents + events) * EVENT_MEMORY_OVERHEAD_BYTES;
  }

  #fits(events: number, bytes: number): boolean {
    return (
      this.#heldEvents + events <= this.#limits.maxBufferedEvents &&
      this.#memory(events, bytes) <= this.#limits.maxBufferedBytes
    );
  }

  /** Whether both bounds are below the high-water mark, counting memory as {@link EVENT_MEMORY_OVERHEAD_BYTES} does. */
  #belowHighWater(): boolean {
    return this.#heldEvents < this.#highWaterEvents && this.#memory(0, 0) < this.#highWaterBytes;
  }

  /** Drops the oldest buffered messages until `events` and `bytes` more fit; false if they cannot. */
  #makeRoom(events: number, bytes: number): boolean {
    if (this.#limits.onBufferFull === 'dropNewest' || !this.couldHold(events, bytes)) return false;
    while (!this.#fits(events, bytes)) {
      const victim = this.#oldestRun();
      if (victim === undefined) return false;
      const pieces = victim.buffer.shiftMessage();
      this.#removed(victim, pieces);
      this.#ledger.droppedFromBuffer('overflow', totalWeight(pieces), victim);
      this.#hooks.evicted(victim);
    }
    return true;
  }

  /** The stream that holds the oldest buffered event (the one logged first), skipping stale runs. */
  #oldestRun(): Stream | undefined {
    this.#pruneRuns();
    return this.#runHead < this.#runStreams.length ? this.#runStreams[this.#runHead] : undefined;
  }

  #pruneRuns(): void {
    const streams = this.#runStreams;
    while (this.#runHead < streams.length) {
      const stream = streams[this.#runHead] as Stream;
      const end = Math.min(this.#runEnds[this.#runHead] as number, stream.buffer.enqueued);
      if (stream.buffer.taken < end) break;
      streams[this.#runHead] = undefined;
      this.#runHead++;
    }
    if (this.#runHead === streams.length) {
      streams.length = 0;
      this.#runEnds.length = 0;
      this.#runHead = 0;
      this.#lastRunStream = undefined;
    } else if (this.#runHead > 1024 && this.#runHead * 2 > streams.length) {
      this.#runStreams = streams.slice(this.#runHead);
      this.#runEnds = this.#runEnds.slice(this.#runHead);
      this.#runHead = 0;
    }
  }
}
