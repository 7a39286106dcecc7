// What the winston and pino adapters (and the command) share: taking a shipper or the options to
// make one, reading a record's own time, and flushing when the program ends by itself. Internal:
// only the option types are re-exported, by the subpaths that use them.
import { ConfigError } from './errors.js';
import { toTimestamp } from './event.js';
import { type ExitParticipant, registerForExit, unregisterForExit } from './exit.js';
import type { LogShipperOptions } from './options.js';
import { LogShipper } from './shipper.js';
import { noop } from './timing.js';

/** Options every adapter takes besides the shipper's. */
export interface AdapterOptions {
  /**
   * When the program ends by itself (Node emits `beforeExit`: the event loop has nothing left to
   * do), send what is still buffered, waiting at most this long. `0` turns it off. A program that
   * ends with `process.exit()` skips `beforeExit`: flush or close before calling it. The pino
   * transport, in the main thread, hands this to its shipper's `flushOnExit`, which also covers
   * SIGTERM and SIGINT.
   * @default 10000
   */
  readonly exitFlushTimeoutMs?: number;
}

/** Either the options of the shipper an adapter makes and owns, or a shipper made elsewhere. */
export type ShipperSource = LogShipperOptions | { readonly shipper: LogShipper };

/** The parts of a shipper the adapters call. */
type ShipperLike = Pick<LogShipper, 'log' | 'flush' | 'close' | 'stats' | 'on' | 'off'>;

const DEFAULT_EXIT_FLUSH_TIMEOUT_MS = 10_000;

/**
 * The shipper an adapter sends with: the one given as `shipper`, or a new one made from the rest
 * of `options` (which the adapter then owns and closes). Never mutates `options`.
 */
export function takeShipper(options: Record<string, unknown> & { shipper?: unknown }): {
  shipper: LogShipper;
  owned: boolean;
} {
  const { shipper } = options;
  if (shipper === undefined) {
    return { shipper: new LogShipper(options as unknown as LogShipperOptions), owned: true };
  }
  // A duck check: the ESM and CommonJS builds each have their own LogShipper class.
  const candidate = shipper as Partial<ShipperLike> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.log !== 'function' ||
    typeof candidate.flush !== 'function' ||
    typeof candidate.close !== 'function'
  ) {
    throw new ConfigError('shipper', shipper, 'a LogShipper');
  }
  return { shipper: shipper as LogShipper, owned: false };
}

export function exitFlushTimeout(value: unknown, option = 'exitFlushTimeoutMs'): number {
  if (value === undefined) return DEFAULT_EXIT_FLUSH_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new ConfigError(option, value, 'an integer >= 0');
  }
  return value;
}

/**
 * The time a record carries, in epoch milliseconds, or `undefined` when it has none or it cannot
 * be read (the shipper then stamps the event with the current time instead of dropping it).
 */
export function recordTime(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let ms: number;
  try {
    ms = toTimestamp(value, Number.NaN);
  } catch {
    return undefined;
  }
  if (Number.isNaN(ms)) return undefined;
  // pino's `unixTime` writes seconds. A time in milliseconds below 1e11 would be from 1973, which
  // CloudWatch Logs refuses anyway (older than 14 days), so such a number can only mean seconds.
  if (typeof value === 'number' && value < SECONDS_BELOW) return Math.floor(value * 1000);
  return ms;
}

const SECONDS_BELOW = 1e11;

/**
 * On `beforeExit`, flushes what is still buffered, for at most `timeoutMs`, the way `flushOnExit`
 * does (it shares that mechanism), but for the program's own end only: signals are left to the
 * program. A last flush lets go of the shipper instead of closing it (its owner closes it).
 * Returns the function that removes the hook.
 */
export function flushBeforeExit(shipper: ShipperLike, timeoutMs: number): () => void {
  if (timeoutMs === 0) return noop;
  const participant: ExitParticipant = {
    signals: false,
    pending: () => {
      const { buffered, inFlight } = shipper.stats();
      return buffered + inFlight;
    },
    logged: () => shipper.stats().logged,
    flush: (wait) => shipper.flush(wait),
    close: (wait) => {
      unregisterForExit(participant);
      return shipper.flush(wait);
    },
    exitTimeoutMs: timeoutMs,
  };
  registerForExit(participant);
  return () => unregisterForExit(participant);
}

/**
 * Hands an error to `emit('error')` when something listens, else to `process.emitWarning`, and
 * never lets a throwing listener reach the caller: delivery errors arrive from the shipper's
 * internals, where a throw would become an unhandled rejection.
 */
export function reportError(
  target: { emit(event: 'error', error: Error): unknown; listenerCount(event: 'error'): number },
  error: Error,
): void {
  const code = (error as { code?: unknown }).code;
  const warn = (): void => {
    process.emitWarning(error.message, typeof code === 'string' ? { code } : undefined);
  };
  if (target.listenerCount('error') === 0) {
    warn();
    return;
  }
  try {
    target.emit('error', error);
  } catch {
    warn();
  }
}
