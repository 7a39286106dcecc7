/**
 * The transport: a ring of records in shared memory, written by the program's thread only and read by
 * the worker only (one producer, one consumer, no lock). The writer never waits: a record that does
 * not fit is refused and the caller counts the drop. A record never wraps: the writer pads to the end
 * and goes on at 0. Positions are byte counts modulo 2^32 and the ring's size is a power of two, so a
 * position's place in the ring is `position & mask`.
 */
import { type NodeBuffer, nodeBuffer } from '../arena.js';
import { CONTROL_BYTES, Ctl, Rec, recordSize } from './protocol.js';

/** The smallest and largest ring: it holds a largest event (1 MiB) twice over at least. */
export const MIN_TRANSPORT_BYTES = 4 * 1024 * 1024;
export const MAX_TRANSPORT_BYTES = 16 * 1024 * 1024;

/** The ring's size for a shipper: an eighth of `maxBufferedBytes`, a power of two within the bounds. */
export function transportBytes(maxBufferedBytes: number): number {
  let size = MIN_TRANSPORT_BYTES;
  while (size < MAX_TRANSPORT_BYTES && size * 8 < maxBufferedBytes) size *= 2;
  return size;
}

/**
 * What the worker's own buffers may hold: `maxBufferedBytes` less the ring, so that the ring and the
 * worker's arena together stay within the bound. When the ring would take more than half of it (a
 * `maxBufferedBytes` under twice the smallest ring, 8 MiB), the worker keeps the whole bound and the
 * ring is memory of its own.
 */
export function workerBufferedBytes(maxBufferedBytes: number, ringBytes: number): number {
  return ringBytes * 2 <= maxBufferedBytes ? maxBufferedBytes - ringBytes : maxBufferedBytes;
}

export function createTransport(dataBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_BYTES + dataBytes);
}

class Ring {
  readonly ctl: Int32Array;
  /** 32-bit and 64-bit views over the whole memory: a record at byte `a` has its fields at `a >> 2`, `a >> 3`. */
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly bytes: NodeBuffer;
  readonly capacity: number;
  readonly mask: number;

  constructor(memory: SharedArrayBuffer) {
    this.ctl = new Int32Array(memory, 0, CONTROL_BYTES / 4);
    this.i32 = new Int32Array(memory);
    this.f64 = new Float64Array(memory);
    this.bytes = nodeBuffer(memory);
    this.capacity = memory.byteLength - CONTROL_BYTES;
    this.mask = this.capacity - 1;
  }
}

/**
 * Committed records are published (made visible to the reader) at most this many bytes late, and in
 * any case by the end of the current job: the one atomic store and the cache line it moves between
 * the threads' cores are paid once per that many bytes, not once per `log()`.
 */
export const PUBLISH_BYTES = 64 * 1024;

export class TransportWriter extends Ring {
  /** Where the next record goes (a position), ahead of `#committed` until `commit()`. */
  #cursor: number;
  /** The end of the records committed: final, published by {@link publish}. */
  #committed: number;
  /** The end of the records the reader may see (`Ctl.written`). */
  #published: number;
  /** The reader's position when last looked at: room is at least what it leaves, so it is read again only when that is not enough. */
  #read: number;
  /** A publication is queued for the end of the current job. */
  #queued = false;
  readonly #publishQueued = (): void => {
    this.#queued = false;
    this.publish();
  };
  /** Called before each publication, to write beside the records what the reader needs with them. */
  readonly #beforePublish: (() => void) | undefined;

  constructor(memory: SharedArrayBuffer, beforePublish?: () => void) {
    super(memory);
    this.#cursor = Atomics.load(this.ctl, Ctl.written) >>> 0;
    this.#committed = this.#cursor;
    this.#published = this.#cursor;
    this.#read = Atomics.load(this.ctl, Ctl.read) >>> 0;
    this.#beforePublish = beforePublish;
  }

  /** Bytes in the ring not yet read, as of the reader's position last looked at (never less). */
  get used(): number {
    return (this.#cursor - this.#read) >>> 0;
  }

  /** Looks at the reader's position again. */
  refresh(): void {
    this.#read = Atomics.load(this.ctl, Ctl.read) >>> 0;
  }

  /** Whether records of `total` bytes (each at most `largest`) fit now, whatever padding they need. */
  fits(total: number, largest: number): boolean {
    if (this.capacity - this.used >= total + largest) return true;
    this.refresh();
    return this.capacity - this.used >= total + largest;
  }

  /** Room for one record of `payload` bytes: its absolute byte offset, or -1 when it does not fit. */
  reserve(payload: number): number {
    const size = recordSize(payload);
    let at = this.#cursor & this.mask;
    const tail = this.capacity - at;
    const need = tail < size ? tail + size : size;
    if (this.capacity - this.used < need) {
      this.refresh();
      if (this.capacity - this.used < need) return -1;
    }
    if (tail < size) {
      const pad = CONTROL_BYTES + at;
      this.i32[pad >> 2] = tail;
      this.i32[(pad >> 2) + 1] = Rec.pad;
      this.#cursor = (this.#cursor + tail) >>> 0;
      at = 0;
    }
    const offset = CONTROL_BYTES + at;
    this.i32[offset >> 2] = size;
    this.#cursor = (this.#cursor + size) >>> 0;
    return offset;
  }

  /**
   * Room for one record whose payload is at most `maxPayload` bytes and is measured only as it is
   * written (a message copied as UTF-8 in one pass, rather than measured and then copied): its
   * absolute byte offset, or -1 when a record of that size would not fit before the ring's end or in
   * the room left. Nothing is taken until {@link settle}; on -1, reserve the exact size instead, so
   * the ring's use and its padding are the same as if the size had been known.
   */
  reserveUpTo(maxPayload: number): number {
    const size = recordSize(maxPayload);
    const at = this.#cursor & this.mask;
    if (this.capacity - at < size) return -1;
    if (this.capacity - this.used < size) {
      this.refresh();
      if (this.capacity - this.used < size) return -1;
    }
    return CONTROL_BYTES + at;
  }

  /** Takes the record at `offset` from {@link reserveUpTo}, now that its payload is `payload` bytes. */
  settle(offset: number, payload: number): void {
    const size = recordSize(payload);
    this.i32[offset >> 2] = size;
    this.#cursor = (this.#cursor + size) >>> 0;
  }

  /**
   * Makes the records reserved so far final: they are published at once when {@link PUBLISH_BYTES}
   * or more wait, otherwise at the end of the current job (a microtask), or by an earlier
   * {@link publish}.
   */
  commit(): void {
    this.#committed = this.#cursor;
    if ((this.#committed - this.#published) >>> 0 >= PUBLISH_BYTES) this.publish();
    else if (!this.#queued) {
      this.#queued = true;
      queueMicrotask(this.#publishQueued);
    }
  }

  /**
   * Makes the committed records visible to the reader, and wakes it if it sleeps. The one atomic
   * store publishes every plain write before it (the records, the counts beside them).
   *
   * The sleeping flag is the reader's: it sets it before it looks at `written` a last time and
   * waits, and clears it when it wakes. The writer only reads it, after its store: had it cleared it
   * too, a writer held up between its read of a 1 and its clear could clear the flag of the reader's
   * next sleep, whose wait then began after the notify, and no later publication would wake it.
   * Until the reader clears it, each publication notifies again (no system call when nobody waits).
   */
  publish(): void {
    if (this.#committed === this.#published) return;
    this.#published = this.#committed;
    this.#beforePublish?.();
    Atomics.store(this.ctl, Ctl.written, this.#committed | 0);
    if (Atomics.load(this.ctl, Ctl.sleeping) === 1) Atomics.notify(this.ctl, Ctl.written);
  }

  /** Forgets records reserved since the last commit (all of a message, or none). */
  rollback(): void {
    this.#cursor = this.#committed;
  }
}

/**
 * Writes `text` (of `bytes` UTF-8 bytes) at `offset`. A string of one-byte characters whose UTF-8
 * size is its length is ASCII: copied as Latin-1, Node's fastest path, with the same bytes.
 */
export function writeText(buffer: NodeBuffer, text: string, offset: number, bytes: number): void {
  if (bytes === text.length) buffer.latin1Write(text, offset, bytes);
  else buffer.utf8Write(text, offset, bytes);
}

/** Told of each record the reader reaches: its type and absolute byte offset. */
export type RecordHandler = (type: number, offset: number) => void;

export class TransportReader extends Ring {
  /** Reads every record committed so far; returns how many it read (pads not counted). */
  drain(handle: RecordHandler): number {
    let read = Atomics.load(this.ctl, Ctl.read) >>> 0;
    const written = Atomics.load(this.ctl, Ctl.written) >>> 0;
    let records = 0;
    while (read !== written) {
      const offset = CONTROL_BYTES + (read & this.mask);
      const size = this.i32[offset >> 2] as number;
      const type = this.i32[(offset >> 2) + 1] as number;
      if (type !== Rec.pad) {
        handle(type, offset);
        records++;
      }
      read = (read + size) >>> 0;
      // Room given back as it is read, so that a long drain does not hold the writer off.
      if ((records & 255) === 0) Atomics.store(this.ctl, Ctl.read, read | 0);
    }
    Atomics.store(this.ctl, Ctl.read, read | 0);
    return records;
  }

  /** Bytes committed and not yet read. */
  get used(): number {
    return ((Atomics.load(this.ctl, Ctl.written) >>> 0) - (Atomics.load(this.ctl, Ctl.read) >>> 0)) >>> 0;
  }

  /** Whether committed records wait to be read. */
  get pending(): boolean {
    return Atomics.load(this.ctl, Ctl.read) !== Atomics.load(this.ctl, Ctl.written);
  }
}
