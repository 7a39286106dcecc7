/**
 * The buffers: the registry of destinations, the bounds on what they hold together, the overflow
 * policy, the high-water mark and `'drain'`. The only owner of held counts; every change of an event's
 * state it makes is written to the ledger as it happens.
 *
 * The events are held as UTF-8 bytes in one arena outside the V8 heap (see `Arena`), allocated when
 * the buffers are made: `maxBufferedBytes` bounds it, headers included, and no buffered event is a
 * JS object until it is taken for sending.
 *
 * Everything per `log()` and per eviction is O(1) whatever the number of destinations: the oldest
 * buffered event is the arena's oldest record, and the periodic work touches only streams that hold
 * events or were used.
 */
import {
  ARENA_MAX_BYTES,
  Arena,
  type ArenaMemory,
  arenaCapacity,
  privateMemory,
  RECORD_HEADER_BYTES,
} from './arena.js';
import { Stream } from './destination.js';
import { ConfigError } from './errors.js';
import type { LogEvent } from './event.js';
import { totalWeight } from './event.js';
import { IdleQueue } from './idle.js';
import type { Ledger } from './ledger.js';
import { isFullBatch, isLogGroupName, isLogStreamName, maxMessageBytes } from './rules.js';

/**
 * What one buffered event costs in memory besides its message bytes: its record's header in the
 * arena (timestamp, length, its stream's list links, slot and kind). `maxBufferedBytes` counts it
 * for every event, so it bounds the arena's records exactly.
 */
export const EVENT_MEMORY_OVERHEAD_BYTES = RECORD_HEADER_BYTES;

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
  /** The largest event, overhead included: sizes the arena's slack. Defaults to `maxBatchBytes`. */
  readonly maxEventBytes?: number;
  /** Where the arena lives: memory outside the V8 heap by default, or a `SharedArrayBuffer` ({@link sharedMemory}). */
  readonly memory?: ArenaMemory;
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
  /**
   * Buffers one event whose message is at most `maxBytes` UTF-8 bytes, measured as it is copied,
   * when that takes no room to be made: true if held; false, with nothing changed, otherwise (the
   * caller then measures it and calls `holdOne`).
   */
  holdUnmeasured(stream: Stream, timestamp: number, message: string, maxBytes: number): boolean;
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

/** The largest record: a whole message of the largest event, or the whole bound if less. */
function largestRecord(limits: BufferLimits): number {
  const largest = RECORD_HEADER_BYTES + maxMessageBytes(limits.maxEventBytes ?? limits.maxBatchBytes);
  return Math.min(largest, limits.maxBufferedBytes);
}

/** The bound on held bytes: `maxBufferedBytes`, as far as one arena can hold it. */
function heldBytesBound(limits: BufferLimits): number {
  return Math.min(limits.maxBufferedBytes, ARENA_MAX_BYTES - arenaCapacity(0, largestRecord(limits)));
}

/**
 * Whether a message of `events` events and `bytes` message bytes could ever fit buffers of these
 * limits, however empty: decided before a message is split, by the buffers and by worker mode's
 * program thread alike.
 */
export function couldEverHold(limits: BufferLimits, events: number, bytes: number): boolean {
  return (
    events <= limits.maxBufferedEvents &&
    bytes + events * EVENT_MEMORY_OVERHEAD_BYTES <= heldBytesBound(limits)
  );
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
  readonly #arena: Arena<Stream>;
  /** `maxBufferedBytes`, or less when that would not fit the largest arena. */
  readonly #maxBytes: number;

  /** Streams by their last use, for forgetting idle ones. */
  readonly #idle: IdleQueue<Stream>;
  // Read on every log(): kept as fields of their own rather than looked up in the limits.
  readonly #maxBatchEvents: number;
  readonly #maxBatchBytes: number;

  constructor(limits: BufferLimits, ledger: Ledger<Stream>, hooks: BufferHooks) {
    this.#limits = limits;
    this.#ledger = ledger;
    this.#hooks = hooks;
    const maxRecord = largestRecord(limits);
    this.#maxBytes = heldBytesBound(limits);
    const capacity = arenaCapacity(this.#maxBytes, maxRecord);
    try {
      this.#arena = new Arena(capacity, limits.memory ?? privateMemory);
    } catch (error) {
      // The system would not give the memory (a RangeError): a bound the process cannot hold.
      throw new ConfigError(
        'maxBufferedBytes',
        limits.maxBufferedBytes,
        'a bound this process can allocate',
        `\`maxBufferedBytes\` of ${limits.maxBufferedBytes} needs a buffer of ${capacity} bytes, which could not be allocated (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    this.#highWaterEvents = Math.ceil(limits.maxBufferedEvents * limits.highWaterMark);
    this.#highWaterBytes = Math.ceil(this.#maxBytes * limits.highWaterMark);
    this.#idle = new IdleQueue(STREAM_IDLE_MS, limits.flushIntervalMs);
    this.#maxBatchEvents = limits.maxBatchEvents;
    this.#maxBatchBytes = limits.maxBatchBytes;
  }

  get size(): number {
    return this.#size;
  }

  /** The arena the events are held in. @internal */
  get arena(): Arena<Stream> {
    return this.#arena;
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
    this.#arena.append(stream, timestamp, message, bytes, 'event');
    this.#added(stream, 1, bytes);
    this.#ledger.buffered(1);
    this.#checkFull(stream);
    return true;
  }

  holdUnmeasured(stream: Stream, timestamp: number, message: string, maxBytes: number): boolean {
    // Fits at its largest: fits at its size, as holdOne would find without making room.
    if (!this.#fits(1, maxBytes)) return false;
    const bytes = this.#arena.appendText(stream, timestamp, message, maxBytes);
    if (bytes < 0) return false;
    this.#added(stream, 1, bytes);
    this.#ledger.buffered(1);
    this.#checkFull(stream);
    return true;
  }

  /** Worker mode: as `holdOne`, for a message that is UTF-8 bytes already (see `Arena.appendBytes`). */
  holdBytes(
    stream: Stream,
    timestamp: number,
    source: Buffer,
    start: number,
    bytes: number,
    ascii: boolean,
  ): boolean {
    if (!this.#fits(1, bytes) && !this.#makeRoom(1, bytes)) {
      this.#ledger.droppedAtDoor('overflow', stream);
      return false;
    }
    this.#arena.appendBytes(stream, timestamp, source, start, bytes, ascii, 'event');
    this.#added(stream, 1, bytes);
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
    const arena = this.#arena;
    for (const event of events) arena.append(stream, event.timestamp, event.message, event.bytes, event.kind);
    this.#added(stream, events.length, bytes);
    this.#ledger.buffered(totalWeight(events), shape);
    this.#checkFull(stream);
    return true;
  }

  couldHold(events: number, bytes: number): boolean {
    return couldEverHold(this.#limits, events, bytes);
  }

  take(stream: Stream): LogEvent[] {
    const buffer = stream.buffer;
    const events = buffer.heldEvents;
    const bytes = buffer.heldBytes;
    const prefix = this.#arena.take(buffer, this.#maxBatchEvents, this.#maxBatchBytes);
    this.#markUsed(stream);
    this.#removed(stream, events, bytes);
    this.#ledger.taken(totalWeight(prefix));
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
      const buffer = stream.buffer;
      const events = buffer.heldEvents;
      const bytes = buffer.heldBytes;
      const weight = this.#arena.dropAll(buffer);
      this.#removed(stream, events, bytes);
      this.#ledger.droppedFromBuffer('closed', weight, stream);
    }
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
    this.#idle.sweep((stream) => {
      if (!stream.idle) return false;
      this.#forget(stream);
      return true;
    });
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

  #added(stream: Stream, events: number, bytes: number): void {
    this.#heldEvents += events;
    this.#heldBytes += bytes;
    if (stream.buffer.heldEvents === events) {
      this.#withEvents.add(stream);
      this.#markUsed(stream);
    }
  }

  /** A stream was used in this sweep period: buffered to, or sent from. */
  #markUsed(stream: Stream): void {
    this.#idle.used(stream);
  }

  /** `stream` held `events` events of `bytes` bytes before some left it. */
  #removed(stream: Stream, events: number, bytes: number): void {
    const buffer = stream.buffer;
    this.#heldEvents -= events - buffer.heldEvents;
    this.#heldBytes -= bytes - buffer.heldBytes;
    if (buffer.heldEvents === 0) this.#withEvents.delete(stream);
  }

  #memory(events: number, bytes: number): number {
    return this.#heldBytes + bytes + (this.#heldEvents + events) * EVENT_MEMORY_OVERHEAD_BYTES;
  }

  #fits(events: number, bytes: number): boolean {
    return (
      this.#heldEvents + events <= this.#limits.maxBufferedEvents &&
      this.#memory(events, bytes) <= this.#maxBytes
    );
  }

  /** Whether both bounds are below the high-water mark, counting memory as {@link EVENT_MEMORY_OVERHEAD_BYTES} does. */
  #belowHighWater(): boolean {
    return this.#heldEvents < this.#highWaterEvents && this.#memory(0, 0) < this.#highWaterBytes;
  }

  /**
   * Drops the oldest buffered messages until `events` and `bytes` more fit; false if they cannot.
   * Allocates nothing: the oldest record is the arena's, and dropping it only moves offsets.
   */
  #makeRoom(events: number, bytes: number): boolean {
    if (this.#limits.onBufferFull === 'dropNewest' || !this.couldHold(events, bytes)) return false;
    const arena = this.#arena;
    while (!this.#fits(events, bytes)) {
      const victim = arena.front();
      if (victim === undefined) return false;
      const buffer = victim.buffer;
      const held = buffer.heldEvents;
      const heldBytes = buffer.heldBytes;
      const weight = arena.dropMessage(buffer);
      this.#removed(victim, held, heldBytes);
      this.#ledger.droppedFromBuffer('overflow', weight, victim);
      this.#hooks.evicted(victim);
    }
    return true;
  }
}
