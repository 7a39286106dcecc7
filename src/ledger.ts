/**
 * The ledger: every counter of the shipper, and the only place where an event changes state. An event
 * is logged, then either dropped at the door, or buffered; a buffered event is taken for sending (in
 * flight) or dropped from the buffer; an event in flight is sent or dropped. At every moment a caller
 * can observe, `logged == sent + buffered + inFlight + Σ dropped`.
 *
 * Counts are weights, as the program logged them: the later pieces of a split message and drop
 * markers weigh 0, so they move through the ledger without changing it (markers have a counter of
 * their own). Nothing here allocates per event.
 */
import type { DropReason } from './event.js';
import { type DropCounts, emptyDropCounts, type ShipperStats, totalDropped } from './stats.js';

/** Where a dropped event was when it was dropped. */
export type DropStage = 'door' | 'buffer' | 'flight';

/** Told of every drop, with the destination when the caller knew it: for the drop markers. */
export type DropListener<D> = (reason: DropReason, weight: number, stage: DropStage, destination?: D) => void;

/** `D` is whatever names a destination; the ledger only hands it to its drop listener. */
export class Ledger<D = unknown> {
  #logged = 0;
  #sent = 0;
  #batches = 0;
  #bytesSent = 0;
  #retries = 0;
  #buffered = 0;
  #inFlight = 0;
  #truncated = 0;
  #split = 0;
  #markers = 0;
  readonly #dropped: DropCounts = emptyDropCounts();
  /** Drops since the last {@link takeDropsSinceReport}. */
  #sinceReport: Partial<DropCounts> = {};
  /** Events the ledger has placed (buffered or dropped at the door): tells whether a log() was counted. */
  #placed = 0;
  readonly #onDrop: DropListener<D> | undefined;
  /** Called after any counter changed but `logged` (worker mode publishes the counters then). */
  changed: (() => void) | undefined;

  constructor(onDrop?: DropListener<D>) {
    this.#onDrop = onDrop;
  }

  /** An event was handed to `log()`. */
  logged(): void {
    this.#logged++;
  }

  /** How many logged events have been placed so far (buffered or dropped at the door). */
  get placed(): number {
    return this.#placed;
  }

  /** A logged event of `weight` entered a buffer; `shape` says whether it was cut to fit. */
  buffered(weight: number, shape?: 'truncated' | 'split'): void {
    this.#buffered += weight;
    this.#placed++;
    if (shape === 'truncated') this.#truncated++;
    else if (shape === 'split') this.#split++;
    this.changed?.();
  }

  /** A logged event never entered a buffer. */
  droppedAtDoor(reason: DropReason, destination?: D): void {
    this.#placed++;
    this.#drop(reason, 1, 'door', destination);
  }

  /** Buffered events of `weight` left the buffer without being sent (overflow, close). */
  droppedFromBuffer(reason: DropReason, weight: number, destination?: D): void {
    this.#buffered -= weight;
    this.#drop(reason, weight, 'buffer', destination);
  }

  /** Buffered events of `weight` were taken for sending. */
  taken(weight: number): void {
    this.#buffered -= weight;
    this.#inFlight += weight;
    this.changed?.();
  }

  /** Events in flight of `weight` were dropped. */
  droppedInFlight(reason: DropReason, weight: number, destination?: D): void {
    this.#inFlight -= weight;
    this.#drop(reason, weight, 'flight', destination);
  }

  /** A request was acknowledged: `weight` events stored, `bytes` as the API counts them, `markers` with them. */
  sent(weight: number, bytes: number, markers: number): void {
    this.#inFlight -= weight;
    this.#sent += weight;
    this.#batches++;
    this.#bytesSent += bytes;
    this.#markers += markers;
    this.changed?.();
  }

  retried(): void {
    this.#retries++;
    this.changed?.();
  }

  /** Events not yet sent or dropped. */
  get pending(): number {
    return this.#buffered + this.#inFlight;
  }

  get loggedCount(): number {
    return this.#logged;
  }

  /** The drops since the last call, only the reasons that occurred, and their total. */
  takeDropsSinceReport(): { counts: Partial<DropCounts>; total: number } | undefined {
    const counts = this.#sinceReport;
    const total = totalDropped(counts);
    if (total === 0) return undefined;
    this.#sinceReport = {};
    return { counts, total };
  }

  droppedCount(reason: DropReason): number {
    return this.#dropped[reason];
  }

  snapshot(concurrency: number, destinations: number): ShipperStats {
    return {
      logged: this.#logged,
      sent: this.#sent,
      batches: this.#batches,
      bytesSent: this.#bytesSent,
      retries: this.#retries,
      buffered: this.#buffered,
      inFlight: this.#inFlight,
      dropped: { ...this.#dropped },
      truncated: this.#truncated,
      split: this.#split,
      markers: this.#markers,
      concurrency,
      destinations,
    };
  }

  #drop(reason: DropReason, weight: number, stage: DropStage, destination: D | undefined): void {
    if (weight === 0) return;
    this.#dropped[reason] += weight;
    this.#sinceReport[reason] = (this.#sinceReport[reason] ?? 0) + weight;
    this.#onDrop?.(reason, weight, stage, destination);
    this.changed?.();
  }
}
