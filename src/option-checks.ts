/** The validators the options go through; each throws a {@link ConfigError} naming the option. */
import { ConfigError } from './errors.js';

export function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

export function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(name, value, 'a boolean');
  return value;
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new ConfigError(name, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}

export function fn<T extends (...args: never[]) => unknown>(name: string, value: unknown, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw new ConfigError(name, value, 'a function');
  return value as T;
}

/**
 * Refuses an option the shipper does not know (a typo, or an option of a later version), naming the
 * nearest known one. A key whose value is `undefined` is let through: spreading a config with unset
 * optional fields is common and harmless.
 */
export function refuseUnknown(options: object, known: Record<string, true>, prefix: string): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key) || (options as Record<string, unknown>)[key] === undefined) continue;
    const nearest = nearestName(key, Object.keys(known));
    throw new ConfigError(
      `${prefix}${key}`,
      undefined,
      '',
      `Unknown option \`${prefix}${key}\`${nearest === undefined ? '' : `; did you mean \`${prefix}${nearest}\`?`}`,
    );
  }
}

/** The known name closest to `name` by edit distance, if it is close enough to be a likely typo. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance; past 64 characters, no name is a typo of another (and the cost stays small). */
export function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export function checkNumber(name: string, value: unknown): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  throw new ConfigError(name, value, 'a number');
}
