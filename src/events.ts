/** The typed events a `LogShipper` emits, and what each carries. */
import type { DeliveryError } from './errors.js';
import type { DropCounts } from './stats.js';

/** Emitted as `drop`, at most once per flush interval: what was dropped since the last report. */
export interface DropReport {
  /** Dropped events by reason, only the reasons that occurred. */
  readonly counts: Partial<DropCounts>;
  readonly total: number;
}

/** Emitted as `batch` for each acknowledged PutLogEvents request. */
export interface BatchReport {
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Events acknowledged (drop markers and the pieces of split messages each count one). */
  readonly events: number;
  readonly bytes: number;
  /** Attempts it took (1 when the first one succeeded). */
  readonly attempts: number;
  readonly durationMs: number;
}

export interface LogShipperEvents {
  error: [error: DeliveryError];
  drop: [report: DropReport];
  batch: [report: BatchReport];
  /** After `log()` returned `false`, the buffer is below its high-water mark again. */
  drain: [];
}
