/**
 * `flushOnExit`: one set of process listeners, whatever the number of shippers (and of copies of
 * this module: the ESM and CommonJS builds share it through `globalThis`), so that a signal waits
 * for all of them before the process ends as it would have.
 *
 * On SIGTERM or SIGINT nobody else handles, every participant is closed within its
 * `exitTimeoutMs`, then the signal is raised again for its default action. When the program
 * listens to the signal itself, its handler decides how the process ends: the participants are
 * only flushed, and stay open for what its shutdown logs. Listeners of signal-exit (a dependency of
 * many packages) are passive: they end the process only when nobody else listens, so they do not
 * count as the program handling the signal. On `beforeExit`, what is pending is flushed, a few
 * times at most, then closed, so that the process always gets to end: all of it within one
 * `exitTimeoutMs`, which counts from the moment the program may have been done (see {@link LoopHold}).
 */
import { isMainThread } from 'node:worker_threads';
import { exitWaitMs, settleWithin } from './timing.js';

/** What the exit hooks need of a shipper. */
export interface ExitParticipant {
  /** Events not yet sent or dropped; `beforeExit` passes over a participant with none. */
  pending(): number;
  /** Events logged so far: tells `beforeExit` whether anything came since it last looked. */
  logged(): number;
  /** Resolves to `{ complete }` (or anything, taken as complete). */
  flush(options: { timeoutMs: number }): Promise<unknown>;
  close(options: { timeoutMs: number }): Promise<unknown>;
  /**
   * Read as `beforeExit` comes: since when (`performance.now()`) the participant's own work alone may
   * have kept the process alive, so that `beforeExit` came late ({@link LoopHold.aloneSince}).
   */
  aloneSince?(): number | undefined;
  readonly exitTimeoutMs: number;
  /** `false`: only the program's own end (`beforeExit`) concerns it, never a signal. */
  readonly signals?: boolean;
}

export type ExitSignal = 'SIGTERM' | 'SIGINT';

/**
 * Signals reach only the main thread (a worker's `process.on('SIGTERM')` never fires), and a
 * worker must not raise one: that would end the whole process.
 */
const SIGNALS: readonly ExitSignal[] = isMainThread ? ['SIGTERM', 'SIGINT'] : [];
/** Past its own deadline, how long a close may still take before the signal is raised anyway. */
const CLOSE_GRACE_MS = 1_000;
/**
 * `beforeExit` flushes a participant at most this many times in a row (what was buffered, then
 * what the program's own `beforeExit` listeners logged); the next time, it closes it, so that a
 * program that logs on every `beforeExit` cannot keep the process alive forever.
 */
const BEFORE_EXIT_FLUSHES = 2;

/**
 * A participant's `beforeExit` sequence, from a look that finds events pending to one that finds
 * none: its flushes and its close share one `exitTimeoutMs`.
 */
interface Sequence {
  flushes: number;
  /** What the process has waited for the participant so far: its own hold before each `beforeExit`, and each flush. */
  spentMs: number;
  /** When its last flush settled (`performance.now()`). */
  settledAt: number;
}

interface ExitState {
  readonly participants: Set<ExitParticipant>;
  /** What `logged()` was when `beforeExit` last found a participant with nothing pending. */
  readonly quietAt: WeakMap<ExitParticipant, number>;
  /** The `beforeExit` sequence under way, until a participant is found with nothing pending. */
  readonly sequences: WeakMap<ExitParticipant, Sequence>;
  /** Participants a flush for a handled signal left unfinished: `beforeExit` closes them at once. */
  readonly unfinished: WeakSet<ExitParticipant>;
  readonly onBeforeExit: () => void;
  readonly onSignal: Record<ExitSignal, () => void>;
  /** Signals the program handles itself: from then on, they are left to it. */
  readonly leftToProgram: Set<ExitSignal>;
  /** The signal being handled: a second one ends the process at once. */
  handling: ExitSignal | undefined;
  /** The closes the signal being handled waits for, before it is raised again. */
  readonly closing: Promise<unknown>[];
}

// Every copy of the module runs its listeners against the state the first one made: change the
// key's version whenever the shape of ExitState or the meaning of its fields changes.
const STATE_KEY = Symbol.for('cloudwatch-shipper.exit.v2');
const shared = globalThis as Record<symbol, ExitState | undefined>;
const state: ExitState = shared[STATE_KEY] ?? createState();
shared[STATE_KEY] = state;

function createState(): ExitState {
  const created: ExitState = {
    participants: new Set(),
    quietAt: new WeakMap(),
    sequences: new WeakMap(),
    unfinished: new WeakSet(),
    onBeforeExit: () => onBeforeExit(created),
    onSignal: {
      SIGTERM: () => onSignal(created, 'SIGTERM'),
      SIGINT: () => onSignal(created, 'SIGINT'),
    },
    leftToProgram: new Set(),
    handling: undefined,
    closing: [],
  };
  return created;
}

function onBeforeExit(s: ExitState): void {
  // Read now: the turn below is the loop going on, which would end what the participants can tell
  // of their own hold on it.
  const at = performance.now();
  for (const participant of s.participants) {
    // Nothing logged since a look that found nothing pending: let the process end.
    if (
      attempt(() => participant.pending() === 0 && participant.logged() === s.quietAt.get(participant), true)
    )
      continue;
    const aloneSince = attempt(() => participant.aloneSince?.(), undefined);
    // Look once the other `beforeExit` listeners have run: a program's own may still log (a
    // goodbye), and would otherwise have nobody to send it, as Node ends when they return.
    setImmediate(() => settleBeforeExit(s, participant, at, aloneSince));
  }
}

function settleBeforeExit(
  s: ExitState,
  participant: ExitParticipant,
  at: number,
  aloneSince: number | undefined,
): void {
  if (!s.participants.has(participant)) return;
  if (attempt(() => participant.pending() === 0, true)) {
    s.quietAt.set(
      participant,
      attempt(() => participant.logged(), -1),
    );
    s.sequences.delete(participant);
    return;
  }
  const stop = (): void => void call(() => participant.close({ timeoutMs: 0 }));
  if (s.unfinished.has(participant)) {
    // A handled signal's flush already ran out of time: do not make the end wait twice.
    stop();
    return;
  }
  let sequence = s.sequences.get(participant);
  if (sequence === undefined) {
    sequence = { flushes: 0, spentMs: 0, settledAt: Number.NEGATIVE_INFINITY };
    s.sequences.set(participant, sequence);
  }
  // The process waited for the participant since its last flush settled or since its own work
  // alone held the event loop, whichever is later: `beforeExit` comes only once that lets go.
  const heldFrom = typeof aloneSince === 'number' && aloneSince < at ? aloneSince : at;
  sequence.spentMs += Math.max(0, at - Math.max(heldFrom, sequence.settledAt));
  const timeoutMs = Math.max(0, Math.floor(exitWaitMs(participant.exitTimeoutMs) - sequence.spentMs));
  sequence.flushes++;
  if (sequence.flushes > BEFORE_EXIT_FLUSHES) {
    void call(() => participant.close({ timeoutMs }));
    return;
  }
  // The flush keeps the event loop alive until it settles; `beforeExit` then comes again. One
  // that ran out of time (the endpoint is down) is followed by a close at once: a request still
  // hanging would otherwise hold the process until it times out.
  const began = performance.now();
  const current = sequence;
  void call(() => participant.flush({ timeoutMs })).then((result) => {
    const settled = performance.now();
    current.spentMs += settled - began;
    current.settledAt = settled;
    if (!isComplete(result)) stop();
  });
}

function onSignal(s: ExitState, signal: ExitSignal): void {
  // Ours runs first (it is prepended), so the program's listeners, `once` ones included, are
  // all still there to be seen.
  const handled = programHandles(s, signal);
  if (s.handling !== undefined) {
    // A second signal: as if we were not here. A listener of the program's gets it as it is;
    // with none, it ends the process at once.
    stopListening(s);
    if (!handled) process.kill(process.pid, signal);
    return;
  }
  if (handled) {
    // The program handles this signal: send what is buffered, keep the shippers open for what its
    // shutdown logs, and leave this signal to it from now on.
    s.leftToProgram.add(signal);
    process.off(signal, s.onSignal[signal]);
    for (const participant of signalParticipants(s)) {
      void call(() => participant.flush({ timeoutMs: participant.exitTimeoutMs })).then((result) => {
        if (!isComplete(result)) s.unfinished.add(participant);
      });
    }
    return;
  }
  s.handling = signal;
  for (const participant of signalParticipants(s)) closeForSignal(s, participant);
  void allClosed(s).then(() => {
    // A turn of the event loop first, so that whatever else awaited the closes (a report on
    // standard error, say) runs before the process ends.
    setImmediate(() => {
      stopListening(s);
      s.handling = undefined;
      s.closing.length = 0;
      // Ends the process, unless a listener added since takes the signal: then it is theirs.
      process.kill(process.pid, signal);
    });
  });
}

function signalParticipants(s: ExitState): ExitParticipant[] {
  return [...s.participants].filter((participant) => participant.signals !== false);
}

function closeForSignal(s: ExitState, participant: ExitParticipant): void {
  const { exitTimeoutMs } = participant;
  s.closing.push(
    // Not unref()ed: this bound is what keeps the process alive while it waits for the close.
    settleWithin(
      call(() => participant.close({ timeoutMs: exitWaitMs(exitTimeoutMs) })),
      exitTimeoutMs + CLOSE_GRACE_MS,
    ),
  );
}

/** Whether a listener other than ours and signal-exit's passive ones waits for `signal`. */
function programHandles(s: ExitState, signal: ExitSignal): boolean {
  const others = process.listeners(signal).filter((listener) => listener !== s.onSignal[signal]);
  return others.length > passiveListeners();
}

/** What a participant's promise settles as when it throws, synchronously or not. */
const FAILED = Symbol('failed');

/** A participant's promise, which never rejects: a failure settles as {@link FAILED}. */
function call(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return run().catch(() => FAILED);
  } catch {
    return Promise.resolve(FAILED);
  }
}

/** A participant's answer, or `fallback` when asking it throws. */
function attempt<T>(ask: () => T, fallback: T): T {
  try {
    return ask();
  } catch {
    return fallback;
  }
}

/** Whether a flush finished: `{ complete: false }` or a failure say not; anything else does. */
function isComplete(result: unknown): boolean {
  return result !== FAILED && (result as { complete?: unknown } | undefined)?.complete !== false;
}

/** Waits for every close, including those of participants registered while it waits. */
async function allClosed(s: ExitState): Promise<void> {
  let waited = -1;
  while (waited !== s.closing.length) {
    waited = s.closing.length;
    await Promise.allSettled(s.closing);
  }
}

/**
 * signal-exit's signal listeners (v3 and v4 count theirs in a global emitter): each ends the
 * process when it finds no other listener, so while ours is there, it waits for us.
 */
function passiveListeners(): number {
  const v4 = (globalThis as Record<symbol, { count?: unknown } | undefined>)[
    Symbol.for('signal-exit emitter')
  ];
  const v3 = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  let count = 0;
  if (typeof v4?.count === 'number') count += v4.count;
  if (typeof v3?.count === 'number') count += v3.count;
  return count;
}

/**
 * Listens to what the participants need: `beforeExit` while there are any, the signals while one
 * of them wants signals (or one is being handled). Listeners go first, so that ours sees the
 * program's before they run (and `once` ones go). Each is checked, not assumed: the program may
 * have removed it (`removeAllListeners`).
 */
function updateListeners(s: ExitState): void {
  const handling = s.handling !== undefined;
  setListening('beforeExit', s.onBeforeExit, handling || s.participants.size > 0);
  const signals = handling || signalParticipants(s).length > 0;
  for (const signal of SIGNALS) {
    setListening(signal, s.onSignal[signal], signals && !s.leftToProgram.has(signal));
  }
}

function setListening(event: 'beforeExit' | ExitSignal, listener: () => void, wanted: boolean): void {
  // Node's typings split these events across overloads; the emitter itself does not care.
  const emitter = process as NodeJS.EventEmitter;
  const present = emitter.listeners(event).includes(listener);
  if (wanted && !present) emitter.prependListener(event, listener);
  else if (!wanted && present) emitter.off(event, listener);
}

function stopListening(s: ExitState): void {
  process.off('beforeExit', s.onBeforeExit);
  for (const signal of SIGNALS) process.off(signal, s.onSignal[signal]);
}

export function registerForExit(participant: ExitParticipant): void {
  state.participants.add(participant);
  // Made while a signal is being handled: it is closed with the others before the signal is
  // raised, a turn later, so that what its maker logs at once still goes out.
  if (state.handling !== undefined && participant.signals !== false) {
    const s = state;
    s.closing.push(
      new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        closeForSignal(s, participant);
      }),
    );
  }
  updateListeners(state);
}

export function unregisterForExit(participant: ExitParticipant): void {
  state.participants.delete(participant);
  // While a signal is being handled, the listeners stay: a second signal must end the process.
  updateListeners(state);
}

/**
 * How soon after the shipper's work lets go of the event loop `beforeExit` must come for that work
 * to have been what held the process: a request's own teardown takes a turn of the loop after it
 * settles (1-2 ms here). Later, the program was still running; it ran this long at most while
 * counted as the shipper's, which is what a `beforeExit` flush may lose of its budget to it.
 */
const LET_GO_MS = 10;

/**
 * The shipper's own hold on the event loop: loading the SDK (Node keeps the loop alive while it
 * reads a module) and its requests under way. `beforeExit` comes only once nothing holds the loop,
 * so a program that is done while this work goes on hears it late (one that ends as the SDK loads:
 * 100 ms or more), and that wait is the shipper's: the `beforeExit` sequence counts it in
 * `exitTimeoutMs`. The program's end cannot be seen; its calls into the shipper can, and whether
 * `beforeExit` came as soon as this work let go. {@link aloneSince} is never later than the end
 * was, so that the end stays within `exitTimeoutMs`; it is earlier by what the program ran, silent,
 * while this work held the loop without a break.
 */
export class LoopHold {
  /** The program's calls into the shipper so far (events logged). */
  readonly #calls: () => number;
  #holds = 0;
  /** When the current stretch of holding began: holds with gaps shorter than {@link LET_GO_MS} are one. */
  #since = Number.NEGATIVE_INFINITY;
  /** When the last hold was released with none left. */
  #releasedAt = Number.NEGATIVE_INFINITY;
  /** The latest moment the program is known to have been running (it called after it). */
  #seen = Number.NEGATIVE_INFINITY;
  #callsAtLook = 0;
  #lookedAt = Number.NEGATIVE_INFINITY;

  constructor(calls: () => number) {
    this.#calls = calls;
  }

  /** Marks work that keeps the event loop alive; returns its release (once). */
  hold(): () => void {
    const now = this.#look();
    if (this.#holds++ === 0 && !(now - this.#releasedAt <= LET_GO_MS)) this.#since = now;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const at = this.#look();
      if (--this.#holds === 0) this.#releasedAt = at;
    };
  }

  /**
   * For `beforeExit`: the earliest moment the program may have been done, when this work held the
   * loop alone from then on; `undefined` when it did not (`beforeExit` came well after it let go),
   * or when it is still holding (then what it counts is not what held the loop: a client's
   * promise, say).
   */
  aloneSince(): number | undefined {
    if (this.#holds > 0) return undefined;
    const now = this.#look();
    if (!(now - this.#releasedAt <= LET_GO_MS)) return undefined;
    return Math.max(this.#since, this.#seen);
  }

  #look(): number {
    const now = performance.now();
    const calls = this.#calls();
    if (calls !== this.#callsAtLook) {
      this.#callsAtLook = calls;
      this.#seen = this.#lookedAt;
    }
    this.#lookedAt = now;
    return now;
  }
}
