/**
 * Drop markers: after events for a stream were lost on the way, one synthetic event in that stream
 * says how many and why, such as `cloudwatch-shipper: dropped 1532 events since 2026-11-21T12:00:03.000Z
 * (overflow 1500, tooOld 32)`. A marker is never buffered (it cannot overflow anything), weighs 0,
 * and its own loss is not counted, so it cannot lead to another marker.
 */
import type { Stream } from './destination.js';
import type { DropReason, LogEvent } from './event.js';

/** The drops a stream's marker reports: lost on the way, not refused at the door or at close. */
const MARKED: Readonly<Partial<Record<DropReason, true>>> = {
  overflow: true,
  oversized: true,
  tooOld: true,
  tooNew: true,
  expired: true,
  rejected: true,
  failed: true,
};

export class Markers {
  readonly #now: () => number;
  readonly #intervalMs: number;
  /** Streams owed a marker: a stream that gets no more events still gets its marker, at a tick. */
  readonly #owed = new Set<Stream>();

  /** `intervalMs`: at most one marker per stream in this time. */
  constructor(now: () => number, intervalMs: number) {
    this.#now = now;
    this.#intervalMs = intervalMs;
  }

  /** Counts a drop of `weight` events of `stream`, when it is of a kind markers report. */
  note(stream: Stream, reason: DropReason, weight: number): void {
    if (weight === 0 || MARKED[reason] !== true) return;
    const drops = stream.drops;
    if (drops.total === 0) {
      drops.since = this.#now();
      this.#owed.add(stream);
    }
    drops.total += weight;
    drops.counts[reason] = (drops.counts[reason] ?? 0) + weight;
  }

  /** Streams owed a marker now (due or not). */
  get owed(): Iterable<Stream> {
    return this.#owed;
  }

  /** The marker owed to `stream` at `now`, if any (and at most one per interval); resets its counts. */
  take(stream: Stream, now: number): LogEvent | undefined {
    const drops = stream.drops;
    if (drops.total === 0) return undefined;
    if (now - drops.lastMarkerAt < this.#intervalMs) return undefined;
    this.#owed.delete(stream);
    const parts = Object.entries(drops.counts)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    const message =
      `cloudwatch-shipper: dropped ${drops.total} events since ` +
      `${new Date(drops.since).toISOString()} (${parts})`;
    drops.counts = {};
    drops.total = 0;
    drops.lastMarkerAt = now;
    return { timestamp: now, message, bytes: Buffer.byteLength(message, 'utf8'), kind: 'marker' };
  }
}

/** How many drop markers `events` hold. */
export function markerCount(events: readonly LogEvent[]): number {
  let count = 0;
  for (const event of events) if (event.kind === 'marker') count++;
  return count;
}
