/**
 * The worker's first statement: it yields the CPU to the program's thread before anything else in
 * the worker runs, the SDK's own start-up included (about 100 ms of CPU, while the program is
 * already logging). Imported first by `thread.ts`; what it could not do is told once the worker can
 * tell the program ({@link priorityFailure}).
 *
 * On Linux a nice value belongs to each thread, and `setPriority(0, …)` sets the calling thread's
 * (elsewhere it would set the whole process's: left alone). Raising one's own nice value needs no
 * privilege.
 */
import { getPriority, setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import type { WorkerData } from './protocol.js';

/** Why the priority could not be lowered (an error code), or undefined. */
export let priorityFailure: string | undefined;

function lowerPriority(increment: number): void {
  if (!(increment > 0) || process.platform !== 'linux') return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + increment));
  } catch (error) {
    priorityFailure = (error as { code?: string }).code ?? 'unknown error';
  }
}

lowerPriority((workerData as WorkerData | undefined)?.workerNice ?? 0);
