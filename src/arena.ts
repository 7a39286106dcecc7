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
 * Each stream's records form a list (head and tail kept in its `StreamBuffer`). The read position
 * is always on the oldest live record, which is the head of its stream's list as long as no record
 * was moved: so the overflow policy finds the event logged first in O(1), and a record taken from a
 * stream's head is only marked free until the read position passes over it. A record never wraps:
 * one that does not fit before the end starts again at offset 0, leaving the end unused.
 *
 * When the holes left by taken records keep a record from being placed though the bytes held are
 * within the bound, the oldest live records are moved to the write end one at a time (each move
 * frees the space it leaves, and the read position skips the holes behind it); past a small budget
 * of moves, the ring is compacted in place, in ring order. The caller sizes the arena with the
 * slack that makes the compaction always succeed (see `arenaCapacity`).
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
  readonly #bytes: Buffer;
  readonly #view: DataView;
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
  /** Records moved to the write end, and compactions: for tests. @internal */
  moved = 0;
  compactions = 0;

  constructor(capacity: number, memory: ArenaMemory = privateMemory) {
    if (!(capacity > 0 && capacity <= ARENA_MAX_BYTES)) throw new RangeError(`arena capacity ${capacity}`);
    const backing = memory(capacity);
    this.capacity = capacity;
    this.#bytes = Buffer.from(backing, 0, capacity);
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

  /** The owner of the oldest record in the ring (the one logged first unless records were moved). */
  front(): O | undefined {
    if (this.#records === 0) return undefined;
    return this.#owners[this.#view.getUint32(this.#read + TAG, true) >>> 3];
  }

  /** Appends a record to `owner`'s list. The caller keeps the bound: it must fit `capacity` as sized. */
  append(owner: O, timestamp: number, message: string, bytes: number, kind: EventKind): void {
    const size = RECORD_HEADER_BYTES + bytes;
    let at = this.#place(size);
    if (at === NIL) at = this.#makeRoom(size);
    const buffer = owner.buffer;
    if (buffer.slot < 0) this.#attach(owner);
    const view = this.#view;
    // Byte length equal to string length means every character is ASCII: latin1 is the fast copy.
    const ascii = bytes === message.length;
    view.setFloat64(at + TIMESTAMP, timestamp, true);
    view.setUint32(at + LENGTH, bytes, true);
    view.setUint32(at + NEXT, NIL, true);
    view.setUint32(at + PREV, buffer.tail, true);
    view.setUint32(
      at + TAG,
      buffer.slot * FLAGS + (kind === 'piece' ? PIECE : 0) + (ascii ? ASCII : 0),
      true,
    );
    this.#bytes.write(message, at + RECORD_HEADER_BYTES, bytes, ascii ? 'latin1' : 'utf8');
    if (buffer.tail === NIL) buffer.head = at;
    else view.setUint32(buffer.tail + NEXT, at, true);
    buffer.tail = at;
    buffer.heldEvents++;
    buffer.heldBytes += bytes;
    buffer.enqueued++;
    this.#records++;
    this.#used += size;
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
        message: bytes.toString(tag & ASCII ? 'latin1' : 'utf8', start, start + length),
        bytes: length,
        kind: piece ? 'piece' : 'event',
      });
      batchBytes += eventSize(length);
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
    return tag;
  }

  #reset(): void {
    this.#read = 0;
    this.#write = 0;
    this.#wrapped = false;
    this.#wrapEnd = 0;
    this.#records = 0;
    this.#used = 0;
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

  /** Makes room for `size` bytes that the bound says fit: moves the oldest records, or compacts. */
  #makeRoom(size: number): number {
    const view = this.#view;
    // Moving records one at a time costs what it moves; past a few times the record placed, a
    // compaction (which touches every record held) is the cheaper way.
    let budget = 4 * size;
    for (;;) {
      const front = RECORD_HEADER_BYTES + view.getUint32(this.#read + LENGTH, true);
      if (front > budget || !this.#moveFront(front)) break;
      budget -= front;
      const at = this.#place(size);
      if (at !== NIL) return at;
    }
    this.#compact();
    const at = this.#place(size);
    if (at === NIL) throw new Error(`the buffer arena has no room for ${size} bytes after compaction`);
    return at;
  }

  /** Moves the oldest live record (of `size` bytes) to the write end; false if there is no room. */
  #moveFront(size: number): boolean {
    const from = this.#read;
    const to = this.#place(size);
    if (to === NIL) return false;
    this.#bytes.copyWithin(to, from, from + size);
    const view = this.#view;
    const tag = view.getUint32(to + TAG, true);
    this.#relink(to, tag);
    view.setUint32(from + TAG, tag | FREE, true);
    this.#advance();
    this.moved++;
    return true;
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
   * Slides every live record back over the holes, in ring order, from the read position. A record
   * never moves forward past one not yet moved, so each copy overlaps only its own old place.
   */
  #compact(): void {
    const view = this.#view;
    let from = this.#read;
    let to = from;
    let sourceWrapped = this.#wrapped;
    let wrapped = false;
    let wrapEnd = 0;
    let remaining = this.#records;
    while (remaining > 0) {
      if (sourceWrapped && from === this.#wrapEnd) {
        from = 0;
        sourceWrapped = false;
        continue;
      }
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
        remaining--;
      }
      from += size;
    }
    this.#write = to;
    this.#wrapped = wrapped;
    this.#wrapEnd = wrapEnd;
    this.compactions++;
  }
}
