/**
 * Forgetting what went unused: the entries (streams, or worker mode's destinations on the program's
 * thread) in the order they were first used in a sweep period. Each entry stands in the queue once,
 * by the period it entered it; at its turn it is forgotten if it went unused for the idle time, or
 * queued again. An entry is forgotten between one and two idle times after its last use, and none is
 * looked at more than once per idle time: a sweep costs what is due, however many entries exist.
 */

/** What the queue keeps on each entry: written by {@link IdleQueue} only. */
export interface IdleEntry {
  /** The last sweep period in which it was used. */
  usedInPeriod: number;
  /** Whether the queue holds it. */
  queuedForSweep: boolean;
}

export class IdleQueue<T extends IdleEntry> {
  #period = 0;
  #used: (T | undefined)[] = [];
  #usedPeriods: number[] = [];
  #usedHead = 0;
  readonly #idlePeriods: number;

  /** Entries unused for `idleMs` are let go, counted in sweeps `intervalMs` apart (at least two). */
  constructor(idleMs: number, intervalMs: number) {
    this.#idlePeriods = Math.max(2, Math.ceil(idleMs / intervalMs));
  }

  /** `entry` was used in this sweep period. */
  used(entry: T): void {
    entry.usedInPeriod = this.#period;
    if (!entry.queuedForSweep) {
      entry.queuedForSweep = true;
      this.#used.push(entry);
      this.#usedPeriods.push(this.#period);
    }
  }

  /**
   * Ends a sweep period. Each entry unused for the idle time is handed to `forget`, which answers
   * whether it let it go: one it kept (busy, or not to be let go yet) is queued again. `forget` may
   * answer `undefined` to stop the sweep there: that entry and the ones after it wait for the next.
   */
  sweep(forget: (entry: T) => boolean | undefined): void {
    this.#period++;
    const cutoff = this.#period - this.#idlePeriods;
    while (this.#usedHead < this.#used.length && (this.#usedPeriods[this.#usedHead] as number) <= cutoff) {
      const entry = this.#used[this.#usedHead] as T;
      if (entry.usedInPeriod <= cutoff) {
        const forgotten = forget(entry);
        if (forgotten === undefined) break;
        if (forgotten) {
          entry.queuedForSweep = false;
          this.#used[this.#usedHead++] = undefined;
          continue;
        }
      }
      this.#used[this.#usedHead++] = undefined;
      this.#used.push(entry);
      this.#usedPeriods.push(this.#period);
    }
    if (this.#usedHead > 1024 && this.#usedHead * 2 > this.#used.length) {
      this.#used = this.#used.slice(this.#usedHead);
      this.#usedPeriods = this.#usedPeriods.slice(this.#usedHead);
      this.#usedHead = 0;
    }
  }
}
