/**
 * Waiting, bounded: the one place where timers, abort signals and deadlines meet. Every timer here
 * is `unref()`ed (a wait never keeps the host process alive by itself); {@link KeepAlive} is the one
 * deliberate exception, for a program that awaits a flush.
 */
import { ConfigError, RequestTimeoutError } from './errors.js';

export function noop(): void {}

/**
 * Runs `listener` once when `signal` aborts; returns the function that stops listening. However many
 * callers wait on one signal, it carries a single listener of ours: eleven `flush({ signal })` calls
 * sharing a signal would otherwise print `MaxListenersExceededWarning` on the host's stderr.
 */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  if (signal.aborted) {
    listener();
    return noop;
  }
  let listeners = abortListeners.get(signal);
  if (listeners === undefined) {
    const set = new Set<() => void>();
    listeners = set;
    abortListeners.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        abortListeners.delete(signal);
        for (const each of set) each();
      },
      { once: true },
    );
  }
  // Each registration is its own entry, so one listener passed twice is called twice.
  const entry = (): void => listener();
  listeners.add(entry);
  const set = listeners;
  return () => {
    set.delete(entry);
  };
}

const abortListeners = new WeakMap<AbortSignal, Set<() => void>>();

/** A wait that never keeps the process alive and ends early, rejecting, when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const stop = onAbort(signal, () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
    const timer = setTimeout(() => {
      stop();
      resolve();
    }, ms);
    timer.unref();
  });
}

/**
 * The promise's own outcome, or a rejection with the signal's reason as soon as `signal` aborts: a
 * request whose client ignores its abort signal cannot hold anything up.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody waits for the promise now: its rejection must not go unhandled.
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const stop = onAbort(signal, () => reject(signal.reason));
    promise.then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}

/**
 * One request, given its own abort signal: it follows `signal` (the close), and aborts by itself after
 * `timeoutMs` with a {@link RequestTimeoutError} (retried like a network error). The promise settles
 * when either aborts, even if the client ignores its signal. `timeoutMs` 0 waits as long as it takes.
 */
export function requestWithin<T>(
  send: (abortSignal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<T> {
  // Given up on already (a close during a wait that ended at once): not sent at all.
  if (signal.aborted) return Promise.reject(signal.reason);
  if (timeoutMs === 0) return untilAborted(send(signal), signal);
  const controller = new AbortController();
  const stop = onAbort(signal, () => controller.abort(signal.reason));
  const timer = setTimeout(() => controller.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
  timer.unref();
  return untilAborted(send(controller.signal), controller.signal).finally(() => {
    clearTimeout(timer);
    stop();
  });
}

/**
 * What ending the process may take once a wait for delivery at its end is over (a worker stopped,
 * handles closed, the process torn down: 10–17 ms after the `'exit'` wait here, up to 27 ms after
 * a `beforeExit` flush), kept out of `exitTimeoutMs`, so that the process ends within it.
 */
export const EXIT_TEARDOWN_MS = 50;

/** How long a wait for delivery at the end of the process may take of `exitTimeoutMs`: the rest is the teardown's. */
export function exitWaitMs(exitTimeoutMs: number): number {
  return Math.max(0, exitTimeoutMs - EXIT_TEARDOWN_MS);
}

/** How a caller bounds a wait: `flush()` and `close()` take these. */
export interface WaitBounds {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
}

/**
 * A deadline made of `timeoutMs` and `signal`, whichever ends first. `ended` resolves (never rejects)
 * when it ends; it is `undefined` when neither bound was given. `clear()` lets go of its timer and
 * listener. A bad `timeoutMs` throws a {@link ConfigError}.
 */
export interface Deadline {
  readonly ended: Promise<void> | undefined;
  /** Whether the deadline has passed already. */
  readonly passed: boolean;
  clear(): void;
}

export function deadline(bounds: WaitBounds): Deadline {
  const { signal, timeoutMs } = bounds;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new ConfigError('timeoutMs', timeoutMs, 'a number >= 0');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfigError('signal', signal, 'an AbortSignal');
  }
  if (signal === undefined && timeoutMs === undefined) {
    return { ended: undefined, passed: false, clear: noop };
  }
  let timer: NodeJS.Timeout | undefined;
  let stop = noop;
  let passed = false;
  const ended = new Promise<void>((resolve) => {
    const end = (): void => {
      passed = true;
      resolve();
    };
    if (timeoutMs !== undefined) {
      timer = setTimeout(end, timeoutMs);
      timer.unref();
    }
    if (signal !== undefined) stop = onAbort(signal, end);
  });
  return {
    ended,
    get passed() {
      return passed;
    },
    clear: () => {
      if (timer !== undefined) clearTimeout(timer);
      stop();
    },
  };
}

/** `true` when `work` resolves first, `false` when the deadline ends first. */
export function beforeDeadline(work: Promise<unknown>, bound: Deadline): Promise<boolean> {
  const done = work.then(yes);
  return bound.ended === undefined ? done : Promise.race([done, bound.ended.then(no)]);
}

/** `promise` (its failure ignored), or a resolution after `ms`, whichever comes first. */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([promise.catch(noop), bound]).finally(() => clearTimeout(timer));
}

/**
 * Keeps the event loop alive while anyone holds it: a program that awaits a flush must not end
 * because every timer of ours (a retry's backoff, say) is unreferenced. `hold()` returns the release.
 */
export class KeepAlive {
  #holders = 0;
  #timer: NodeJS.Timeout | undefined;

  hold(): () => void {
    this.#holders++;
    this.#timer ??= setInterval(noop, 60_000);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holders--;
      if (this.#holders === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }
}

function yes(): true {
  return true;
}

function no(): false {
  return false;
}
