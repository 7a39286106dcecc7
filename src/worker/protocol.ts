/**
 * What the program's thread and the worker thread share: the slots of the control block, the record
 * types of the transport ring, the layout of the published counters, and the messages they post.
 */
import { DROP_REASONS } from '../event.js';

/**
 * Slots of the control block (an Int32Array at the start of the transport's shared memory). The
 * slots each thread writes often are on cache lines of their own (64 bytes, 16 slots): a line one
 * core writes while the other reads it moves between them at every write.
 */
export const Ctl = {
  // The program's thread writes these (line 0).
  /** Bytes written to the ring and published, modulo 2^32: written by the program's thread only. */
  written: 0,
  /** Messages the program's thread has published into the ring, modulo 2^32. */
  sentIn: 1,
  /** One bit per event the program listens to (see {@link LISTENED}). */
  listening: 2,
  /** 1 while the program's thread waits for a `'drain'`: the worker tells it once below the mark. */
  wantsDrain: 3,
  // The worker writes these (line 1).
  /** Bytes read from the ring, modulo 2^32: written by the worker only. */
  read: 16,
  /** 1 while the worker waits for `written` to change: the writer wakes it. */
  sleeping: 17,
  /** The event size limit in force (`maxEventBytes`, lowered when the endpoint says so). */
  maxEventBytes: 18,
  /** 1 while the worker's buffers are below their high-water mark. */
  accepting: 19,
  /** The published counters' sequence number: odd while the worker writes them. */
  statsSeq: 20,
  /** Messages the worker has read from the ring, modulo 2^32 (its `logged`). */
  received: 21,
  /** Events the worker's buffers hold (its `buffered`). */
  held: 22,
  /** Set to 1 by the worker once it has done what the program's `'exit'` asked. */
  exitDone: 23,
  /**
   * Set to 1 by the worker as it ends by itself (its process's `'exit'`: its code threw, or
   * returned), before the program's thread hears of it: a `terminate()` leaves it at 0.
   */
  gone: 24,
} as const;

/**
 * Whether `log()` may answer `true`: the worker's buffers are below their high-water mark by bytes
 * (its own `accepting`), the events they hold plus those still in the ring are below the mark by
 * count, and the ring is less than half full. Both threads evaluate it: the program's on `log()` (with
 * `sentIn` its own count, published or not), the worker to know when to tell it `'drain'` (with the
 * count published).
 */
export function belowHighWater(
  ctl: Int32Array,
  highWaterEvents: number,
  ringUsed: number,
  ringCapacity: number,
  sentIn: number,
): boolean {
  // Plain reads: a view a moment old only moves the answer by a moment.
  if (ctl[Ctl.accepting] !== 1 || ringUsed * 2 >= ringCapacity) return false;
  const inRing = (sentIn - (ctl[Ctl.received] as number)) | 0;
  return (ctl[Ctl.held] as number) + inRing < highWaterEvents;
}

/** Bytes of the control block before the ring's data. */
export const CONTROL_BYTES = 128;

/** The events whose listeners the worker must know of, by bit. */
export const LISTENED = ['error', 'drop', 'batch', 'drain'] as const;

/** Record types in the ring. Every record starts with its size (u32) and its type (u32), 8-aligned. */
export const Rec = {
  /** The rest of the ring up to its end is unused: go on at 0. */
  pad: 1,
  /** A destination's id and names: `id` i32 @8, group bytes u32 @12, stream bytes u32 @16, names @32. */
  define: 2,
  /**
   * The first (or only) event of a message: id i32 @8, message bytes u32 @12, timestamp f64 @16,
   * pieces u32 @24 (1 unless split), shape u32 @28 (see {@link Shape}), message @32.
   */
  event: 3,
  /** A later piece of a split message: as `event`, pieces and shape unused. */
  piece: 4,
  /** Events meant for a destination were dropped on the program's thread: id @8, reason @12, weight f64 @16. */
  drop: 5,
} as const;

export const RECORD_HEADER_BYTES = 32;

export const Shape = { none: 0, truncated: 1, split: 2 } as const;

/** Added to an event record's shape when its message bytes are all ASCII. */
export const ASCII_FLAG = 0x100;

/** The bytes a record of `payload` bytes takes in the ring. */
export function recordSize(payload: number): number {
  return (RECORD_HEADER_BYTES + payload + 7) & ~7;
}

/** The published counters: a Float64Array, in this order, then one per drop reason. */
export const STAT_FIELDS = [
  'logged',
  'sent',
  'batches',
  'bytesSent',
  'retries',
  'buffered',
  'inFlight',
  'truncated',
  'split',
  'markers',
  'concurrency',
  'destinations',
] as const;

export const STATS_LENGTH = STAT_FIELDS.length + DROP_REASONS.length;

/** Bytes of shared memory for the published counters (two 32-bit halves each). */
export const STATS_BYTES = STATS_LENGTH * 8;

/** A float64 and its two 32-bit halves, to move a counter through atomic 32-bit slots (one per thread). */
const bits = new Float64Array(1);
const halves = new Int32Array(bits.buffer);

/**
 * Publishes the counters (the worker's side): between two bumps of `Ctl.statsSeq` (a seqlock), each
 * as two atomic stores of its halves. Every access of the lock, on both sides, is atomic and so in
 * one order that both threads see: with plain stores and loads around the bumps, a weakly ordered
 * processor (arm64) may show the reader a counter of the next write beside the sequence number of
 * this one.
 */
export function writeCounters(ctl: Int32Array, slots: Int32Array, values: ArrayLike<number>): void {
  Atomics.add(ctl, Ctl.statsSeq, 1);
  for (let f = 0; f < values.length; f++) {
    bits[0] = values[f] as number;
    Atomics.store(slots, 2 * f, halves[0] as number);
    Atomics.store(slots, 2 * f + 1, halves[1] as number);
  }
  Atomics.add(ctl, Ctl.statsSeq, 1);
}

/**
 * Reads the counters the worker publishes (the program's side): a whole copy, taken while the
 * sequence number stayed even and the same; when a few tries find the worker in the middle of a
 * write (it may be descheduled there, or have died there), the last whole copy, never a torn one.
 */
export class CounterReader {
  readonly #ctl: Int32Array;
  readonly #slots: Int32Array;
  readonly #last = new Float64Array(STATS_LENGTH);

  constructor(ctl: Int32Array, memory: SharedArrayBuffer) {
    this.#ctl = ctl;
    this.#slots = new Int32Array(memory);
  }

  read(): Float64Array {
    const copy = new Float64Array(STATS_LENGTH);
    for (let tries = 0; tries < 1000; tries++) {
      const before = Atomics.load(this.#ctl, Ctl.statsSeq);
      if ((before & 1) === 1) continue;
      for (let f = 0; f < STATS_LENGTH; f++) {
        halves[0] = Atomics.load(this.#slots, 2 * f);
        halves[1] = Atomics.load(this.#slots, 2 * f + 1);
        copy[f] = bits[0] as number;
      }
      if (Atomics.load(this.#ctl, Ctl.statsSeq) === before) {
        this.#last.set(copy);
        return copy;
      }
    }
    copy.set(this.#last);
    return copy;
  }
}

/** What the worker is started with (its `workerData`). */
export interface WorkerData {
  /** The worker's code, when its script compiles it from here (see `source.ts`); let go of before it runs. */
  readonly source?: string | undefined;
  /** The program's options, every one of them able to cross (see `crossing.ts`), `thread` left out. */
  readonly options: Record<string, unknown>;
  readonly transport: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  /** `workerNice`, resolved: the wrapper that starts the worker applies it before the worker's code is parsed (see `source.ts`). */
  readonly workerNice: number;
  /** `maxBufferedBytes` for the worker's buffers: the bound less the ring (see `workerBufferedBytes`). */
  readonly bufferedBytes: number;
}

/** Posted by the program's thread. */
export type ToWorker =
  | { readonly type: 'flush'; readonly id: number; readonly timeoutMs?: number }
  | { readonly type: 'close'; readonly id: number }
  | { readonly type: 'abortClose' }
  | { readonly type: 'ready'; readonly id: number }
  | { readonly type: 'exit'; readonly timeoutMs: number };

/** A `DeliveryError`'s own fields, as they cross. */
export type ErrorFields = Record<string, unknown> & { readonly message: string };

/** Posted by the worker. */
export type FromWorker =
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly result: { complete: boolean; remaining?: number; dropped?: number };
    }
  | { readonly type: 'batch'; readonly report: unknown }
  | { readonly type: 'error'; readonly error: ErrorFields }
  | { readonly type: 'drop'; readonly counts: Record<string, number> }
  | { readonly type: 'drain' }
  | {
      readonly type: 'warning';
      readonly message: string;
      readonly code: string | undefined;
      readonly name: string | undefined;
    };
