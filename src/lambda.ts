import { ConfigError } from './errors.js';
import type { FlushOptions, FlushResult } from './shipper.js';

/**
 * What the wrapper needs of the Lambda context: the `Context` of `@types/aws-lambda` has it, and
 * so does any object with this method.
 */
export interface LambdaContextLike {
  /** Milliseconds left before Lambda stops the invocation. */
  getRemainingTimeInMillis(): number;
}

/** What the wrapper needs of the shipper: a `LogShipper` has it. */
export interface Flushable {
  flush(options?: FlushOptions): Promise<FlushResult>;
}

export interface WithShipperOptions {
  /**
   * Time kept back from the invocation's remaining time: the flush after the handler stops
   * waiting `marginMs` before Lambda's deadline, leaving that long to return the result.
   * @default 500
   */
  readonly marginMs?: number;
  /**
   * Longest the flush may wait, whatever time is left, so that an unreachable endpoint costs each
   * invocation at most this long. Unsent events stay buffered for the next invocation's flush.
   * @default undefined (only the deadline bounds it)
   */
  readonly maxFlushMs?: number;
}

/** The wrapped handler: Lambda's async handler signature, the result type kept. */
export type WrappedHandler<TEvent, TResult, TContext> = (
  event: TEvent,
  context: TContext,
) => Promise<TResult>;

const DEFAULT_MARGIN_MS = 500;
const MAX_MS = 15 * 60 * 1000;

/**
 * Wraps an async Lambda handler so that what it logged is sent before the invocation ends: when
 * the handler settles, the wrapper awaits `shipper.flush()`, bounded by the invocation's remaining
 * time minus `marginMs`, then returns the handler's result or throws its error, unchanged.
 *
 * Invocations may overlap in one process (Lambda's concurrent invocations): each flush waits for
 * what was logged before it, up to its own invocation's deadline, and never drops anything: what
 * one deadline leaves unsent stays buffered, and a later flush sends it.
 *
 * Handlers using Lambda's callback (instead of returning a promise) are not supported.
 *
 * @example
 * export const handler = withShipper(async (event, context) => {
 *   shipper.log({ message: 'handled', requestId: context.awsRequestId });
 *   return { statusCode: 200 };
 * }, shipper);
 */
export function withShipper<TEvent, TResult, TContext extends LambdaContextLike = LambdaContextLike>(
  // `void |` and `callback`: so that a function typed with @types/aws-lambda's `Handler` (which
  // returns `void | Promise<R>` and takes a callback) can be wrapped as it is.
  // biome-ignore lint/suspicious/noConfusingVoidType: it mirrors `Handler`'s own return type.
  handler: (event: TEvent, context: TContext, callback: never) => void | PromiseLike<TResult>,
  shipper: Flushable,
  options: WithShipperOptions = {},
): WrappedHandler<TEvent, TResult, TContext> {
  if (typeof handler !== 'function') throw new ConfigError('handler', handler, 'a function');
  if (typeof (shipper as Partial<Flushable> | null)?.flush !== 'function') {
    throw new ConfigError('shipper', shipper, 'a LogShipper');
  }
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options', options, 'an object');
  }
  const marginMs = milliseconds('marginMs', options.marginMs, DEFAULT_MARGIN_MS);
  const maxFlushMs = milliseconds('maxFlushMs', options.maxFlushMs, undefined);
  const flush = (context: TContext): Promise<void> =>
    flushWithin(shipper, flushTimeout(context, marginMs, maxFlushMs));

  return async (event, context) => {
    let result: TResult;
    try {
      result = (await (handler as (event: TEvent, context: TContext) => unknown)(event, context)) as TResult;
    } catch (error) {
      await flush(context);
      throw error;
    }
    await flush(context);
    return result;
  };
}

/**
 * How long the flush may wait: the remaining time less the margin, capped by `maxFlushMs`.
 * `undefined` (no bound) only when the context has no usable clock and no cap is set.
 */
function flushTimeout(
  context: LambdaContextLike,
  marginMs: number,
  maxFlushMs: number | undefined,
): number | undefined {
  let timeoutMs: number | undefined;
  try {
    const remaining = context.getRemainingTimeInMillis();
    if (typeof remaining === 'number' && Number.isFinite(remaining)) {
      timeoutMs = Math.max(0, Math.floor(remaining - marginMs));
    }
  } catch {
    // A context without the clock (a hand-made one in a local run): fall back to the cap.
  }
  if (maxFlushMs !== undefined) timeoutMs = Math.min(timeoutMs ?? maxFlushMs, maxFlushMs);
  return timeoutMs;
}

async function flushWithin(shipper: Flushable, timeoutMs: number | undefined): Promise<void> {
  try {
    await shipper.flush(timeoutMs === undefined ? {} : { timeoutMs });
  } catch {
    // The handler's own outcome is what the invocation returns; a flush never replaces it.
  }
}

function milliseconds<T extends number | undefined>(name: string, value: unknown, fallback: T): number | T {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MS) {
    throw new ConfigError(name, value, `an integer from 0 to ${MAX_MS}`);
  }
  return value;
}
