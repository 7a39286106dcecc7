import { DROP_REASONS, type DropReason } from './event.js';

/** Dropped events by reason. */
export type DropCounts = Record<DropReason, number>;

/**
 * A snapshot of the shipper's counters. At every moment a caller can observe,
 * `logged === sent + buffered + inFlight + sum(dropped)`.
 */
export interface ShipperStats {
  /** Events given to `log()` / `logMany()` (a split message counts once). */
  logged: number;
  /** Events CloudWatch Logs acknowledged. */
  sent: number;
  /** PutLogEvents requests acknowledged. */
  batches: number;
  /** Bytes acknowledged, as the API counts them (UTF-8 message bytes + 26 per event). */
  bytesSent: number;
  /** Attempts that failed with a retryable error and were tried again. */
  retries: number;
  /** Events waiting in the buffers. */
  buffered: number;
  /** Events taken for sending and not yet acknowledged or dropped. */
  inFlight: number;
  /** Dropped events by reason. */
  dropped: DropCounts;
  /** Events shipped cut to `maxEventBytes`. */
  truncated: number;
  /** Events shipped in several pieces. */
  split: number;
  /** Drop markers written into streams (acknowledged); not counted in `logged` or `sent`. */
  markers: number;
  /** Requests allowed in flight right now (adaptive concurrency moves it within [1, `concurrency`]). */
  concurrency: number;
  /**
   * Destinations (group + stream) the shipper keeps state for. One unused for 5 minutes, with nothing
   * buffered or in flight, is let go (and made again if used), so rotating stream names do not add up.
   */
  destinations: number;
}

export function emptyDropCounts(): DropCounts {
  const counts = {} as DropCounts;
  for (const reason of DROP_REASONS) counts[reason] = 0;
  return counts;
}

export function totalDropped(counts: Partial<DropCounts>): number {
  let total = 0;
  for (const reason of DROP_REASONS) total += counts[reason] ?? 0;
  return total;
}
