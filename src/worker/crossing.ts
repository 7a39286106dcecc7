/**
 * Which thread a shipper runs on, and what cannot cross to a worker thread: a value is copied there by
 * the structured clone, so a function, a class instance (a client, a request handler, a logger) or a
 * symbol would arrive broken or not at all. Such an option keeps the shipper on the program's thread,
 * unless `thread: 'worker'` was asked for: then it is a `ConfigError` that says why.
 */
import { isMainThread } from 'node:worker_threads';
import { ConfigError } from '../errors.js';

export type Thread = 'main' | 'worker';

/** The mode when `thread` is not given (and every option can cross): see README, "Threads". */
export const DEFAULT_THREAD: Thread = 'worker';

/** Options that are functions or objects of this process by nature. */
const NEVER_CROSS = ['client', 'now', 'random'] as const;

/** The first option (by its path) that cannot cross to a worker thread, and what it is. */
export function uncrossable(options: object): { option: string; what: string } | undefined {
  const record = options as Record<string, unknown>;
  for (const name of NEVER_CROSS) {
    if (record[name] !== undefined) return { option: name, what: describe(record[name]) };
  }
  for (const key of Object.keys(record)) {
    const found = firstUncrossable(record[key], key, 0);
    if (found !== undefined) return found;
  }
  return undefined;
}

function firstUncrossable(
  value: unknown,
  path: string,
  depth: number,
): { option: string; what: string } | undefined {
  if (value === null || value === undefined) return undefined;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return undefined;
  if (type !== 'object' || depth > 16) return { option: path, what: describe(value) };
  const prototype = Object.getPrototypeOf(value);
  const plain = prototype === Object.prototype || prototype === null || Array.isArray(value);
  if (!plain) return { option: path, what: describe(value) };
  for (const key of Object.keys(value as object)) {
    const found = firstUncrossable((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** What a value is, never what it holds (it may be a credential). */
function describe(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'object' && value !== null) {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor
      ?.name;
    return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object';
  }
  return typeof value;
}

/** The thread a shipper with these options runs on; throws a `ConfigError` for a `thread` it cannot have. */
export function chooseThread(options: { readonly thread?: unknown }): Thread {
  const asked = options.thread;
  if (asked !== undefined && asked !== 'main' && asked !== 'worker') {
    throw new ConfigError('thread', asked, "'main' or 'worker'");
  }
  if (asked === 'main') return 'main';
  const blocker = uncrossable(withoutThread(options));
  if (asked === 'worker') {
    if (blocker !== undefined) {
      throw new ConfigError(
        blocker.option,
        undefined,
        '',
        `\`${blocker.option}\` is ${blocker.what}, which cannot cross to a worker thread: with thread: 'worker', give only plain data (static credentials or none for the default chain, an endpoint URL, …), or use thread: 'main'`,
      );
    }
    return 'worker';
  }
  // Not asked: a worker inside a worker (pino's transport) gains nothing, and an option of this
  // thread's keeps the shipper here.
  if (!isMainThread || blocker !== undefined) return 'main';
  return DEFAULT_THREAD;
}

export function withoutThread(options: object): Record<string, unknown> {
  const { thread: _thread, ...rest } = options as Record<string, unknown>;
  return rest;
}
