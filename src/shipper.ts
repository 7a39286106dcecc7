import { EventEmitter } from 'node:events';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Destination } from './destination.js';
import { LocalEngine } from './engine.js';
import type { CloseResult, Engine, FlushOptions, FlushResult } from './engine-api.js';
import type { LogShipperEvents } from './events.js';
import { type ExitParticipant, registerForExit, unregisterForExit } from './exit.js';
import { type LogShipperOptions, resolveOptions } from './options.js';
import type { Scheduler } from './scheduler.js';
import type { ShipperStats } from './stats.js';
import { chooseThread } from './worker/crossing.js';
import { RemoteEngine } from './worker/remote.js';

export type { CloseResult, FlushOptions, FlushResult } from './engine-api.js';

/**
 * Takes log events from a running program and gets every one of them into CloudWatch Logs, or
 * counts, by reason, the ones it could not send. A facade over the pipeline (see README,
 * "Architecture"), which runs on the program's thread or in a worker thread (option `thread`).
 */
export class LogShipper extends EventEmitter<LogShipperEvents> {
  readonly #engine: Engine;
  readonly #exitHooks: ExitParticipant;

  constructor(options: LogShipperOptions) {
    super();
    const resolved = resolveOptions(options);
    const thread = chooseThread(options);
    this.#engine =
      thread === 'worker' ? new RemoteEngine(options, resolved, this) : new LocalEngine(resolved, this);
    this.#exitHooks = {
      pending: () => this.#engine.pending(),
      logged: () => this.#engine.logged(),
      flush: (wait) => this.flush(wait),
      close: (wait) => this.close(wait),
      // In worker mode, the SDK and the requests are the worker's: they hold its event loop, not this one.
      aloneSince: () => (this.#engine instanceof LocalEngine ? this.#engine.aloneSince() : undefined),
      exitTimeoutMs: resolved.exitTimeoutMs,
    };
    if (resolved.flushOnExit) registerForExit(this.#exitHooks);
  }

  /** Where the pipeline runs: `'main'` (the program's thread) or `'worker'`. */
  get thread(): 'main' | 'worker' {
    return this.#engine instanceof LocalEngine ? 'main' : 'worker';
  }

  /** For a test that checks the client a main-thread shipper makes. */
  private get client(): Promise<CloudWatchLogsClient> | undefined {
    return this.#engine instanceof LocalEngine ? this.#engine.client.current() : undefined;
  }

  /** For a test that counts the destinations a worker-mode shipper's program thread holds. */
  private get linkedDestinations(): number | undefined {
    return this.#engine instanceof RemoteEngine ? this.#engine.linkedDestinations : undefined;
  }

  /** For a test that looks at a worker-mode shipper's ring, its worker's resource limits, or the worker. */
  private get workerView(): RemoteEngine['workerView'] | undefined {
    return this.#engine instanceof RemoteEngine ? this.#engine.workerView : undefined;
  }

  /** For a test that plants a fault in a main-thread shipper's scheduler. */
  private get scheduler(): Scheduler | undefined {
    return this.#engine instanceof LocalEngine ? this.#engine.scheduler : undefined;
  }

  /**
   * Buffers one event; O(1), never throws, never waits. `input` is a message (string, Error, or
   * any value, serialized as JSON) or `{ message, timestamp }`; without a timestamp, the event is
   * stamped now. Returns `false` when the buffer is past its high-water mark, so that stream-like
   * callers can pause; `'drain'` follows once it is below the mark again.
   */
  log(input: unknown, destination?: Partial<Destination>): boolean {
    return this.#engine.log(input, destination);
  }

  /** Buffers many events, as `log()` does for each. */
  logMany(inputs: Iterable<unknown>, destination?: Partial<Destination>): boolean {
    let ok = true;
    try {
      for (const input of inputs) ok = this.#engine.log(input, destination);
    } catch {
      // A throwing iterator ends the call, never the host program.
    }
    return ok;
  }

  /**
   * Resolves `true` once the shipper could send at once: the AWS SDK is loaded and its client made
   * (and, in worker mode, the worker has started and done the same). It loads when the shipper is
   * made, without being waited for; this is for a program that wants it done before it goes on: a
   * Lambda function's init (so that the first invocation does not pay for it), a test that steps
   * fake timers. Resolves `false`, never rejects, when it never will be (the SDK could not be
   * loaded, the shipper is closed, the worker ended): the reason is reported as the sends would.
   */
  ready(): Promise<boolean> {
    return this.#engine.ready();
  }

  /**
   * Sends everything logged before the call. Resolves when all of it is sent or dropped with a
   * reason, or when `timeoutMs` passes or `signal` aborts; what is left then stays buffered.
   */
  flush(options: FlushOptions = {}): Promise<FlushResult> {
    return this.#engine.flush(options);
  }

  /**
   * Flushes, stops the timer and refuses further events (they are counted as dropped, `closed`).
   * With `timeoutMs` or `signal`, what is still unsent when the wait ends is dropped as `closed`.
   * Calling it again returns the same promise; a `timeoutMs` or `signal` given then bounds the
   * close under way as well (whichever bound ends first ends the wait).
   */
  close(options: FlushOptions = {}): Promise<CloseResult> {
    const closing = this.#engine.close(options);
    // Still registered while it closes: a signal meanwhile bounds the close by exitTimeoutMs.
    closing.then(
      () => unregisterForExit(this.#exitHooks),
      () => {},
    );
    return closing;
  }

  /** A snapshot of the counters. */
  stats(): ShipperStats {
    return this.#engine.stats();
  }
}
