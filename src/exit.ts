/**
 * `flushOnExit`: one set of process listeners, whatever the number of shippers, so that a signal
 * waits for all of them before the process ends as it would have.
 */
import { isMainThread } from 'node:worker_threads';

/** What the exit hooks need of a shipper. */
export interface ExitParticipant {
  /** Events not yet sent or dropped. */
  pending(): number;
  flush(options: { timeoutMs: number }): Promise<unknown>;
  close(options: { timeoutMs: number }): Promise<unknown>;
  readonly exitTimeoutMs: number;
}

const participants = new Set<ExitParticipant>();
/** Shippers already flushed once on `beforeExit`: a second round would loop on a dead endpoint. */
const flushedBeforeExit = new WeakSet<ExitParticipant>();
/**
 * Signals reach only the main thread (a worker's `process.on('SIGTERM')` never fires), and a
 * worker must not re-raise one: that would end the whole process.
 */
const SIGNALS = isMainThread ? (['SIGTERM', 'SIGINT'] as const) : [];
export type ExitSignal = 'SIGTERM' | 'SIGINT';
let installed = false;

function onBeforeExit(): void {
  for (const participant of participants) {
    if (participant.pending() === 0) continue;
    if (flushedBeforeExit.has(participant)) {
      // Flushed once and still not done (the endpoint is down): stop, so that the process ends.
      void participant.close({ timeoutMs: 0 });
      continue;
    }
    flushedBeforeExit.add(participant);
    // The flush keeps the event loop alive until it settles; `beforeExit` then fires again.
    void participant.flush({ timeoutMs: participant.exitTimeoutMs });
  }
}

function onSignal(signal: ExitSignal): void {
  // A second signal acts as if we were not here (a second Ctrl-C ends the process at once).
  uninstall();
  const closing = [...participants].map((participant) =>
    participant.close({ timeoutMs: participant.exitTimeoutMs }),
  );
  participants.clear();
  void Promise.allSettled(closing).then(() => reraise(signal));
}

/**
 * Raises `signal` again for its default action (the process ends by it), unless the program
 * listens to it itself. It waits a turn of the event loop first, so that whatever else awaited
 * the shutdown (a report on standard error, say) runs before the process ends.
 */
export function reraise(signal: ExitSignal): void {
  setImmediate(() => {
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

const signalHandlers: Record<ExitSignal, () => void> = {
  SIGTERM: () => onSignal('SIGTERM'),
  SIGINT: () => onSignal('SIGINT'),
};

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.on(signal, signalHandlers[signal]);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('beforeExit', onBeforeExit);
  for (const signal of SIGNALS) process.off(signal, signalHandlers[signal]);
}

export function registerForExit(participant: ExitParticipant): void {
  participants.add(participant);
  install();
}

export function unregisterForExit(participant: ExitParticipant): void {
  participants.delete(participant);
  if (participants.size === 0) uninstall();
}
