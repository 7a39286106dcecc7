/** What `LogShipper` asks of the pipeline it fronts, on this thread or in a worker thread. */
import type { Destination } from './destination.js';
import type { ShipperStats } from './stats.js';
import type { WaitBounds } from './timing.js';

/** Bounds a wait in `flush()` and `close()`. */
export interface FlushOptions extends WaitBounds {
  /** Stop waiting when this signal aborts. */
  readonly signal?: AbortSignal;
  /** Stop waiting after this many milliseconds. */
  readonly timeoutMs?: number;
}

export interface FlushResult {
  /** `true` when everything logged before the call was sent or dropped with a reason. */
  readonly complete: boolean;
  /** Events still buffered or in flight when the wait ended (0 when complete). */
  readonly remaining: number;
}

export interface CloseResult {
  /** `true` when everything was sent or dropped with a reason before the wait ended. */
  readonly complete: boolean;
  /** Events dropped with reason `closed` because the wait ended first. */
  readonly dropped: number;
}

export interface Engine {
  log(input: unknown, destination: Partial<Destination> | undefined): boolean;
  flush(options: FlushOptions): Promise<FlushResult>;
  close(options: FlushOptions): Promise<CloseResult>;
  /** Resolves `true` once a request could go out at once (see `LogShipper.ready`), `false` if none ever will. */
  ready(): Promise<boolean>;
  stats(): ShipperStats;
  /** Events not yet sent or dropped. */
  pending(): number;
  /** Events logged so far. */
  logged(): number;
}
