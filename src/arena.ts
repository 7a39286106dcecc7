/**
 * The arena: every buffered event as UTF-8 bytes in one block of memory outside the V8 heap, so that
 * `maxBufferedBytes` bounds what the process really holds, and a full buffer evicts without making
 * garbage.
 *
 * Records are written in arrival order into a ring. Each is a 24-byte header and the message bytes:
 *
 * | offset | type | what |
 * | --- | --- | --- |
 * | 0 | f64 | timestamp, epoch ms |
 * | 8 | u32 | message bytes |
 * | 12 | u32 | next record of the same stream, or NIL |
 * | 16 | u32 | previous record of the same stream, or NIL |
 * | 20 | u32 | stream slot × 8 + flags (free, piece of a split message, ASCII) |
 *
 * Each stream's records form a list (head and tail kept in its `StreamBuffer`). Ring order is
 * arrival order, always: so the read position, on the oldest live record, is on the event logged
 * first, which is the head of its stream's list; the overflow policy finds and frees it in O(1),
 * without making garbage. A record taken from a stream's head is only marked free until the read
 * position passes over it. A record never wraps: one that does not fit before the end starts again
 * at offset 0, leaving the end unused.
 *
 * When the holes left by taken records keep a record from being placed though the bytes held are
 * within the bound (a quiet stream holds the oldest record while others come and go), the ring is
 * compacted in place from its first hole: the live records after it slide back, in ring order, so
 * arrival order is kept. The caller sizes the arena with the slack that makes a compaction always
 * succeed (see `arenaCapacity`); a compaction walks the records written since the last one and the
 * live ones behind the first hole, not the whole arena.
 */
import type { StreamBuffer } from './destination.js';
import type { EventKind, LogEvent } from './event.js';
import { eventSize, fitsInBatch } from './rules.js';

/** Bytes of a record's header: what each buffered event costs besides its message bytes. */
export const RECORD_HEADER_BYTES = 24;

/** No record: the end of a stream's list. Offsets are u32, so an arena is smaller than 4 GiB. */
export const NIL = 0xffff_ffff;

/** The largest arena: offsets are u32, NIL excluded, and a Buffer on Node 20 holds at most 4 GiB. */
export const ARENA_MAX_BYTES = 2 ** 32 - 16;

/** Up to this many bytes, {@link Arena.appendBytes} copies a message in JavaScript rather than with `Buffer#copy`. */
const SMALL_COPY_BYTES = 512;

const TIMESTAMP = 0;
const LENGTH = 8;
const NEXT = 12;
const PREV = 16;
const TAG = 20;

const FREE = 1;
const PIECE = 2;
const ASCII = 4;
/** The tag is slot × FLAGS + flags. */
const FLAGS = 8;

/**
 * Node's own copy and decode methods, which `write()` and `toString()` call after checking their
 * arguments (undocumented, present in every Node release; `write` and `toString` when absent).
 * Called directly they halve the cost of copying a message into the arena. Called as methods:
 * `utf8Write.call(buffer, …)` saves the property lookup but, in optimized code, goes through V8's
 * slower way of calling into C++, a net loss (about 250 instructions per call on Node 20).
 */
export interface NodeBuffer extends Buffer {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

const proto = Buffer.prototype as Partial<NodeBuffer>;
const nodeMethods =
  typeof proto.latin1Write === 'function' &&
  typeof proto.utf8Write === 'function' &&
  typeof proto.latin1Slice === 'function' &&
  typeof proto.utf8Slice === 'function';

/** `memory` as a Buffer with Node's own copy and decode methods (made from `write` and `toString` when absent). */
export function nodeBuffer(memory: ArrayBufferLike, byteLength = memory.byteLength): NodeBuffer {
  const bytes = Buffer.from(memory, 0, byteLength) as NodeBuffer;
  if (!nodeMethods) {
    bytes.latin1Write = (text, offset, length) => bytes.write(text, offset, length, 'latin1');
    bytes.utf8Write = (text, offset, length) => bytes.write(text, offset, length, 'utf8');
    bytes.latin1Slice = (start, end) => bytes.toString('latin1', start, end);
    bytes.utf8Slice = (start, end) => bytes.toString('utf8', start, end);
  }
  return bytes;
}

/** Where an arena's bytes live: any `ArrayBuffer` or `SharedArrayBuffer` of at least `bytes` bytes. */
export type ArenaMemory = (bytes: number) => ArrayBufferLike;

/** Memory outside the V8 heap, not shared, not zeroed (pages are taken from the system as written). */
export const privateMemory: ArenaMemory = (bytes) => Buffer.allocUnsafeSlow(bytes).buffer;

/** A `SharedArrayBuffer`: the same layout, readable from another thread. */
export const sharedMemory: ArenaMemory = (bytes) => new SharedArrayBuffer(bytes);

/** What the arena needs of a record's owner: the list it keeps in the stream's buffer. */
export interface ArenaOwner {
  readonly buffer: StreamBuffer;
}

/**
 * The size of an arena that can always place a record of at most `maxRecordBytes` while the records
 * held, headers included, stay within `maxHeldBytes`: after a compaction the free space is at least
 * twice the largest record, in at most two pieces, so one of them holds it.
 */
export function arenaCapacity(maxHeldBytes: number, maxRecordBytes: number): number {
  return maxHeldBytes + 3 * maxRecordBytes;
}

export class Arena<O extends ArenaOwner> {
  readonly capacity: number;
  readonly #bytes: NodeBuffer;
  readonly #view: DataView;
  /** The last buffer {@link appendBytes} copied from, and a view of it. */
  #source: Buffer | undefined;
  #sourceView: DataView | undefined;
  /** The owner of each slot in use; a stream holds a slot while it holds records. */
  readonly #owners: (O | undefined)[] = [];
  readonly #freeSlots: number[] = [];
  /** The oldest live record (when any), and where the next one goes. */
  #read = 0;
  #write = 0;
  /** The write position went back to 0: records are in [read, wrapEnd) and [0, write). */
  #wrapped = false;
  #wrapEnd = 0;
  #records = 0;
  #used = 0;
  /** A freed record between the read and write positions, no later in ring order than any other; NIL when none or unknown. */
  #firstHole = NIL;
  /**
   * Whether holes may lie where `#firstHole` does not say: once the read position passes the first
   * hole, the next is not known, and a hole made later must not be taken for the first. A
   * compaction then starts from the read position, and leaves no hole behind.
   */
  #holesUnknown = false;
  /** Compactions so far, and records decoded into events: for tests. @internal */
  compactions = 0;
  decoded = 0;

  constructor(capacity: number, memory: ArenaMemory = privateMemory) {
    if (!(capacity > 0 && capacity <= ARENA_MAX_BYTES)) throw new RangeError(`arena capacity ${capacity}`);
    const backing = memory(capacity);
    this.capacity = capacity;
    this.#bytes = nodeBuffer(backing, capacity);
    this.#view = new DataView(backing, 0, capacity);
  }

  /** Records held. */
  get records(): number {
    return this.#records;
  }

  /** Bytes of the records held, headers included. */
  get usedBytes(): number {
    return this.#used;
  }

  /** Bytes from the oldest live record to the write position, holes included. */
  get spanBytes(): number {
    if (this.#records === 0) return 0;
    return this.#wrapped ? this.#wrapEnd - this.#read + this.#write : this.#write - this.#read;
  }

  /** The owner of the oldest record held: the stream of the event logged first. */
  front(): O | undefined {
    if (this.#records === 0) return undefined;
    return this.#owners[this.#view.getUint32(this.#read + TAG, true) >>> 3];
  }

  /** Appends a record to `owner`'s list. The caller keeps the bound: it must fit `capacity` as sized. */
  append(owner: O, timestamp: number, message: string, bytes: number, kind: EventKind): void {
    // Byte length equal to string length means every character is ASCII: latin1 is the fast copy.
    const ascii = bytes === message.length;
    const at = this.#open(owner, timestamp, bytes, kind, ascii);
    if (ascii) this.#bytes.latin1Write(message, at + RECORD_HEADER_BYTES, bytes);
    else this.#bytes.utf8Write(message, at + RECORD_HEADER_BYTES, bytes);
  }

  /**
   * Appends a record of an event whose message is at most `maxBytes` UTF-8 bytes, measured as it is
   * copied, in one pass rather than two (measuring costs as much as copying): returns its size, or
   * -1, with nothing changed, when the record would not go where one of its exact size goes. Then
   * the caller measures the message and calls {@link append}, so the records' places, and so the
   * arena's wrapping and compactions, are the same as if the size had been known.
   */
  appendText(owner: O, timestamp: number, message: string, maxBytes: number): number {
    const at = this.#write;
    // Where #place puts a record of any size from the smallest (every character one byte) to the
    // largest: at the write position, without wrapping or compacting.
    const largest = at + RECORD_HEADER_BYTES + maxBytes;
    if (
      this.#wrapped
        ? largest > this.#read
        : largest > this.capacity || this.#read >= at - this.#read + RECORD_HEADER_BYTES + message.length
    )
      return -1;
    const bytes = this.#bytes.utf8Write(message, at + RECORD_HEADER_BYTES, maxBytes);
    this.#write = at + RECORD_HEADER_BYTES + bytes;
    // As many bytes as UTF-16 units: every character is ASCII.
    this.#link(owner, at, timestamp, bytes, 'event', bytes === message.length);
    return bytes;
  }

  /**
   * Appends a record whose message is already UTF-8 bytes (`bytes` of them in `source` from `start`):
   * copied as they are, never made a string. Worker mode reads the ring so. `ascii` says the bytes are
   * all below 0x80.
   */
  appendBytes(
    owner: O,
    timestamp: number,
    source: Buffer,
    start: number,
    bytes: number,
    ascii: boolean,
    kind: EventKind,
  ): void {
    const at = this.#open(owner, timestamp, bytes, kind, ascii);
    const to = at + RECORD_HEADER_BYTES;
    if (bytes > SMALL_COPY_BYTES) {
      source.copy(this.#bytes, to, start, start + bytes);
      return;
    }
    // Copied here, four bytes at a time: on Node 20 `Buffer#copy` makes a Uint8Array for every call
    // with an offset, garbage for each event the worker reads (and the young generation it grows).
    let from = this.#sourceView;
    if (from === undefined || this.#source !== source) {
      from = new DataView(source.buffer, source.byteOffset, source.byteLength);
      this.#source = source;
      this.#sourceView = from;
    }
    const view = this.#view;
    let i = 0;
    for (; i + 4 <= bytes; i += 4) view.setInt32(to + i, from.getInt32(start + i, true), true);
    for (; i < bytes; i++) view.setUint8(to + i, from.getUint8(start + i));
  }

  /** Places a record's header at the end of `owner`'s list; the caller writes its message. */
  #open(owner: O, timestamp: number, bytes: number, kind: EventKind, ascii: boolean): number {
    const size = RECORD_HEADER_BYTES + bytes;
    let at = this.#place(size);
    if (at === NIL) at = this.#makeRoom(size);
    this.#link(owner, at, timestamp, bytes, kind, ascii);
    return at;
  }

  /** Writes the header of the record placed at `at` and links it at the end of `owner`'s list. */
  #link(owner: O, at: number, timestamp: number, bytes: number, kind: EventKind, ascii: boolean): void {
    const buffer = owner.buffer;
    if (buffer.slot < 0) this.#attach(owner);
    const view = this.#view;
    view.setFloat64(at + TIMESTAMP, timestamp, true);
    view.setUint32(at + LENGTH, bytes, true);
    view.setUint32(at + NEXT, NIL, true);
    view.setUint32(at + PREV, buffer.tail, true);
    view.setUint32(
      at + TAG,
      buffer.slot * FLAGS + (kind === 'piece' ? PIECE : 0) + (ascii ? ASCII : 0),
      true,
    );
    if (buffer.tail === NIL) buffer.head = at;
    else view.setUint32(buffer.tail + NEXT, at, true);
    buffer.tail = at;
    buffer.heldEvents++;
    buffer.heldBytes += bytes;
    buffer.enqueued++;
    this.#records++;
    this.#used += RECORD_HEADER_BYTES + bytes;
  }

  /**
   * Removes the oldest message of `buffer`: its first record and the pieces after it. Returns how
   * many logged events it stood for (1, or 0 for a lone piece). Allocates nothing.
   */
  dropMessage(buffer: StreamBuffer): number {
    if (buffer.head === NIL) return 0;
    const weight = this.#removeHead(buffer) & PIECE ? 0 : 1;
    while (buffer.head !== NIL && this.#view.getUint32(buffer.head + TAG, true) & PIECE)
      this.#removeHead(buffer);
    return weight;
  }

  /** Removes everything `buffer` holds; returns how many logged events it stood for. */
  dropAll(buffer: StreamBuffer): number {
    let weight = 0;
    while (buffer.head !== NIL) if ((this.#removeHead(buffer) & PIECE) === 0) weight++;
    return weight;
  }

  /**
   * Takes the longest prefix of `buffer` that fits one request by count and bytes, and the rest of
   * a split message it ends inside, decoded into events: the strings are made here, once.
   */
  take(buffer: StreamBuffer, maxEvents: number, maxBytes: number): LogEvent[] {
    const events: LogEvent[] = [];
    const view = this.#view;
    const bytes = this.#bytes;
    let batchBytes = 0;
    while (buffer.head !== NIL) {
      const at = buffer.head;
      const length = view.getUint32(at + LENGTH, true);
      const tag = view.getUint32(at + TAG, true);
      // The rest of a split message leaves with its first piece, even past the limits (the batcher
      // splits what is taken into requests that fit): a piece left behind weighs 0, and the overflow
      // policy would drop it uncounted while the message counts as sent.
      const piece = (tag & PIECE) !== 0;
      if (!piece && !fitsInBatch(events.length, batchBytes, length, maxEvents, maxBytes)) break;
      const start = at + RECORD_HEADER_BYTES;
      events.push({
        timestamp: view.getFloat64(at + TIMESTAMP, true),
        message:
          tag & ASCII ? bytes.latin1Slice(start, start + length) : bytes.utf8Slice(start, start + length),
        bytes: length,
        kind: piece ? 'piece' : 'event',
      });
      batchBytes += eventSize(length);
      this.decoded++;
      this.#removeHead(buffer);
    }
    return events;
  }

  /** Forgets every record (after `dropAll` of each owner, or to start again). */
  clear(): void {
    this.#reset();
  }

  #attach(owner: O): void {
    const slot = this.#freeSlots.length > 0 ? (this.#freeSlots.pop() as number) : this.#owners.length;
    this.#owners[slot] = owner;
    owner.buffer.slot = slot;
  }

  /** Unlinks and frees `buffer`'s first record; returns its tag. */
  #removeHead(buffer: StreamBuffer): number {
    const view = this.#view;
    const at = buffer.head;
    const length = view.getUint32(at + LENGTH, true);
    const tag = view.getUint32(at + TAG, true);
    const next = view.getUint32(at + NEXT, true);
    buffer.head = next;
    if (next === NIL) buffer.tail = NIL;
    else view.setUint32(next + PREV, NIL, true);
    buffer.heldEvents--;
    buffer.heldBytes -= length;
    buffer.taken++;
    if (buffer.head === NIL) {
      this.#owners[buffer.slot] = undefined;
      this.#freeSlots.push(buffer.slot);
      buffer.slot = -1;
    }
    view.setUint32(at + TAG, tag | FREE, true);
    this.#records--;
    this.#used -= RECORD_HEADER_BYTES + length;
    if (this.#records === 0) this.#reset();
    else if (at === this.#read) this.#advance();
    else if (
      !this.#holesUnknown &&
      (this.#firstHole === NIL || this.#ringOrder(at) < this.#ringOrder(this.#firstHole))
    )
      this.#firstHole = at;
    return tag;
  }

  #reset(): void {
    this.#read = 0;
    this.#write = 0;
    this.#wrapped = false;
    this.#wrapEnd = 0;
    this.#records = 0;
    this.#used = 0;
    this.#firstHole = NIL;
    this.#holesUnknown = false;
  }

  /** How far `at`, a record held between the read and write positions, is from the read position. */
  #ringOrder(at: number): number {
    return at >= this.#read ? at - this.#read : at + this.#wrapEnd - this.#read;
  }

  /** Moves the read position over freed records, to the oldest live one (there is one). */
  #advance(): void {
    const view = this.#view;
    let read = this.#read;
    for (;;) {
      if (this.#wrapped && read === this.#wrapEnd) {
        read = 0;
        this.#wrapped = false;
        continue;
      }
      if ((view.getUint32(read + TAG, true) & FREE) === 0) break;
      // Passing the first hole: the next one is not known (a compaction starts from the read position).
      if (read === this.#firstHole) {
        this.#firstHole = NIL;
        this.#holesUnknown = true;
      }
      read += RECORD_HEADER_BYTES + view.getUint32(read + LENGTH, true);
    }
    this.#read = read;
  }

  /** Room for `size` bytes at the write end, or NIL. */
  #place(size: number): number {
    const write = this.#write;
    const read = this.#read;
    if (this.#wrapped) {
      if (write + size > read) return NIL;
      this.#write = write + size;
      return write;
    }
    // Wrap once the room before the oldest record holds everything from it to the write position
    // and the new record: the pages written stay near what is held, rather than the whole arena's.
    if (write + size > this.capacity || read >= write - read + size) {
      if (size > read) return write + size > this.capacity ? NIL : this.#claim(write, size);
      this.#wrapEnd = write;
      this.#wrapped = true;
      this.#write = size;
      return 0;
    }
    return this.#claim(write, size);
  }

  #claim(at: number, size: number): number {
    this.#write = at + size;
    return at;
  }

  /** Makes room for `size` bytes that the bound says fit, by compacting. */
  #makeRoom(size: number): number {
    this.#compact();
    const at = this.#place(size);
    if (at === NIL) throw new Error(`the buffer arena has no room for ${size} bytes after compaction`);
    return at;
  }

  /** Points a moved record's neighbours (or its owner's head and tail) at its new place. */
  #relink(at: number, tag: number): void {
    const view = this.#view;
    const buffer = (this.#owners[tag >>> 3] as O).buffer;
    const prev = view.getUint32(at + PREV, true);
    const next = view.getUint32(at + NEXT, true);
    if (prev === NIL) buffer.head = at;
    else view.setUint32(prev + NEXT, at, true);
    if (next === NIL) buffer.tail = at;
    else view.setUint32(next + PREV, at, true);
  }

  /**
   * Slides the live records after the first hole back over the holes, in ring order. A record never
   * moves forward, nor past one not yet moved, so each copy overlaps only its own old place.
   */
  #compact(): void {
    const view = this.#view;
    // From the first hole; but from the read position when that hole is past the wrap, so that the
    // unused end before the wrap is reclaimed too (it can be large: see the early wrap in #place).
    const hole = this.#firstHole;
    const start = hole === NIL || (this.#wrapped && hole < this.#read) ? this.#read : hole;
    let from = start;
    let to = start;
    // Whether `from` is still in the part before the wrap, and the same for `to`.
    let sourceWrapped = this.#wrapped && start >= this.#read;
    let wrapped = this.#wrapped && start < this.#read;
    let wrapEnd = wrapped ? this.#wrapEnd : 0;
    const end = this.#write;
    for (;;) {
      if (sourceWrapped && from === this.#wrapEnd) {
        from = 0;
        sourceWrapped = false;
      }
      if (!sourceWrapped && from === end) break;
      const size = RECORD_HEADER_BYTES + view.getUint32(from + LENGTH, true);
      const tag = view.getUint32(from + TAG, true);
      if ((tag & FREE) === 0) {
        if (!wrapped && to + size > this.capacity) {
          wrapped = true;
          wrapEnd = to;
          to = 0;
        }
        if (to !== from) {
          this.#bytes.copyWithin(to, from, from + size);
          this.#relink(to, tag);
        }
        to += size;
      }
      from += size;
    }
    this.#write = to;
    this.#wrapped = wrapped;
    this.#wrapEnd = wrapEnd;
    this.#firstHole = NIL;
    this.#holesUnknown = false;
    this.compactions++;
  }
}
