import { ConfigError } from '../errors.js';
import type { Faults } from './types.js';

/** Fault settings with every default filled in. */
export type FaultSettings = { readonly [K in keyof Faults]-?: number };

export const DEFAULT_FAULTS: FaultSettings = {
  throttleRate: 0,
  unavailableRate: 0,
  resetRate: 0,
  resetAfterStoreRatio: 0.5,
  latencyMs: 0,
  downForMs: 0,
  tpsLimit: Number.POSITIVE_INFINITY,
  createLogStreamTpsLimit: Number.POSITIVE_INFINITY,
  clockSkewMs: 0,
};

/** What happens to one PutLogEvents request, decided before it is processed. */
export type PutFault = 'tpsThrottled' | 'throttled' | 'unavailable' | 'reset' | 'resetAfterStore' | undefined;

/**
 * mulberry32: a 32-bit seeded generator, plenty for picking faults and small enough to read.
 * Returns numbers in [0, 1), so a rate of 1 always fires and a rate of 0 never does.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Decides the faults. Rates draw from the seeded source in a fixed order (throttle, unavailable, reset,
 * then before/after store), and only when non-zero, so the same seed and settings give the same
 * sequence of faults. Timing (`downForMs`, `tpsLimit`, `createLogStreamTpsLimit`) uses `clockMs`, a
 * monotonic real clock.
 * `clockSkewMs` draws nothing: it shifts the clock the endpoint checks signing times against.
 */
export class FaultInjector {
  #settings: FaultSettings = DEFAULT_FAULTS;
  #downUntilMs = Number.NEGATIVE_INFINITY;
  /** Start times of the PutLogEvents admitted in the last second, oldest first. */
  #admittedMs: number[] = [];
  /** Likewise for CreateLogStream. */
  #createsAdmittedMs: number[] = [];
  readonly #random: () => number;
  readonly #clockMs: () => number;

  constructor(faults: Faults | undefined, seed: number, clockMs: () => number) {
    this.#random = mulberry32(seed);
    this.#clockMs = clockMs;
    if (faults !== undefined) this.set(faults);
  }

  get latencyMs(): number {
    return this.#settings.latencyMs;
  }

  /** How far ahead of the real clock (behind, when negative) the endpoint pretends its clock is. */
  get clockSkewMs(): number {
    return this.#settings.clockSkewMs;
  }

  /** Merges `faults` into the settings; a key given as `undefined` returns to its default. */
  set(faults: Faults): void {
    if (typeof faults !== 'object' || faults === null) {
      throw new ConfigError('faults', faults, 'an object');
    }
    const next: Record<string, number> = { ...this.#settings };
    for (const key of Object.keys(faults) as (keyof Faults)[]) {
      // Own keys only: `toString` or `__proto__` is no fault.
      if (!Object.hasOwn(DEFAULT_FAULTS, key)) {
        throw new ConfigError(
          `faults.${key}`,
          faults[key],
          `one of ${Object.keys(DEFAULT_FAULTS).join(', ')}`,
        );
      }
      const value = faults[key];
      next[key] = value === undefined ? DEFAULT_FAULTS[key] : checkFault(key, value);
    }
    this.#settings = next as FaultSettings;
    if ('downForMs' in faults) this.#downUntilMs = this.#clockMs() + this.#settings.downForMs;
  }

  isDown(): boolean {
    return this.#clockMs() < this.#downUntilMs;
  }

  decidePutLogEvents(): PutFault {
    const { tpsLimit, throttleRate, unavailableRate, resetRate, resetAfterStoreRatio } = this.#settings;
    if (!this.#admit(this.#admittedMs, tpsLimit)) return 'tpsThrottled';
    if (this.#fires(throttleRate)) return 'throttled';
    if (this.#fires(unavailableRate)) return 'unavailable';
    if (this.#fires(resetRate)) return this.#fires(resetAfterStoreRatio) ? 'resetAfterStore' : 'reset';
    return undefined;
  }

  /** Whether a CreateLogStream starting now is within `createLogStreamTpsLimit`. Draws nothing. */
  admitCreateLogStream(): boolean {
    return this.#admit(this.#createsAdmittedMs, this.#settings.createLogStreamTpsLimit);
  }

  /** A rolling-second limit: admits (and records) a request starting now if fewer than `limit` were. */
  #admit(admitted: number[], limit: number): boolean {
    if (limit === Number.POSITIVE_INFINITY) return true;
    const nowMs = this.#clockMs();
    let expired = 0;
    while (expired < admitted.length && (admitted[expired] as number) <= nowMs - 1000) expired++;
    if (expired > 0) admitted.splice(0, expired);
    if (admitted.length >= limit) return false;
    admitted.push(nowMs);
    return true;
  }

  #fires(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }
}

function checkFault(key: keyof Faults, value: unknown): number {
  const isNumber = typeof value === 'number' && !Number.isNaN(value);
  switch (key) {
    case 'throttleRate':
    case 'unavailableRate':
    case 'resetRate':
    case 'resetAfterStoreRatio':
      if (isNumber && value >= 0 && value <= 1) return value;
      throw new ConfigError(`faults.${key}`, value, 'a number from 0 to 1');
    case 'latencyMs':
      // setTimeout cannot wait longer than 2^31 - 1 ms.
      if (isNumber && value >= 0 && value <= 2_147_483_647) return value;
      throw new ConfigError(`faults.${key}`, value, 'a number from 0 to 2147483647');
    case 'downForMs':
      if (isNumber && value >= 0 && Number.isFinite(value)) return value;
      throw new ConfigError(`faults.${key}`, value, 'a finite number >= 0');
    case 'clockSkewMs':
      if (isNumber && Number.isFinite(value)) return value;
      throw new ConfigError(`faults.${key}`, value, 'a finite number');
    case 'tpsLimit':
    case 'createLogStreamTpsLimit':
      if (isNumber && value >= 0 && (Number.isInteger(value) || value === Number.POSITIVE_INFINITY)) {
        return value;
      }
      throw new ConfigError(`faults.${key}`, value, 'an integer >= 0 or Infinity');
  }
}
