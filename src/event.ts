import { maxMessageBytes as messageLimit } from './rules.js';

/** Why an event did not reach CloudWatch Logs. Every dropped event is counted under exactly one. */
export type DropReason =
  | 'empty'
  | 'invalidTimestamp'
  | 'invalidDestination'
  | 'oversized'
  | 'tooOld'
  | 'tooNew'
  | 'expired'
  | 'overflow'
  | 'rejected'
  | 'failed'
  | 'closed'
  | 'internal';

export const DROP_REASONS: readonly DropReason[] = [
  'empty',
  'invalidTimestamp',
  'invalidDestination',
  'oversized',
  'tooOld',
  'tooNew',
  'expired',
  'overflow',
  'rejected',
  'failed',
  'closed',
  'internal',
];

/** What to do with a message whose UTF-8 bytes + 26 exceed `maxEventBytes`. */
export type OversizedEventPolicy = 'truncate' | 'split' | 'drop';

/**
 * What an event stands for, told explicitly rather than by a count:
 * - `'event'`: a message the program logged (whole, or the first piece of a split one); counts as one.
 * - `'piece'`: a later piece of a split message; counts as none (its message counted once), and is
 *   sent after the pieces before it.
 * - `'marker'`: a drop marker the shipper writes into a stream; not counted in `logged` or `sent`.
 */
export type EventKind = 'event' | 'piece' | 'marker';

/** An event ready for PutLogEvents, measured once. */
export interface LogEvent {
  /** Epoch milliseconds, a non-negative integer. */
  readonly timestamp: number;
  /** Never empty. */
  readonly message: string;
  /** UTF-8 bytes of `message`, without the per-event overhead. */
  readonly bytes: number;
  readonly kind: EventKind;
  /**
   * Set on a piece the sender cut again, under an event size limit the service named after the
   * message was split (see `bisect.ts`): the event the scheduler batched, which this piece stands
   * in for, so that whatever follows that event follows this piece too. Absent on every other event.
   */
  readonly cutFrom?: LogEvent;
}

/** How many logged events `event` stands for: 1 for an `'event'`, 0 for a piece or a marker. */
export function weightOf(event: LogEvent): number {
  return event.kind === 'event' ? 1 : 0;
}

/** How many logged events `events` stand for. */
export function totalWeight(events: readonly LogEvent[]): number {
  let weight = 0;
  for (const event of events) if (event.kind === 'event') weight++;
  return weight;
}

/**
 * How many of `events`, from the first, are later pieces of a split message: the part of a request
 * that goes on with a message begun in the request before it.
 */
export function leadingPieces(events: readonly LogEvent[]): number {
  let pieces = 0;
  while (pieces < events.length && (events[pieces] as LogEvent).kind === 'piece') pieces++;
  return pieces;
}

/** What a caller may pass to `log()`: a message alone, or a message with its own time. */
export interface LogInput {
  message: unknown;
  /** Epoch milliseconds, a `Date`, or a date string; absent means now. */
  timestamp?: unknown;
}

/**
 * Turns anything into a message, or `undefined` when there is nothing to send (the API rejects
 * empty messages). Never throws: values that cannot be serialized become a short description.
 */
export function toMessage(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (value === undefined || value === null) return undefined;
  let text: string | undefined;
  try {
    text = describe(value);
  } catch {
    text = `[unserializable ${typeof value}]`;
  }
  return text === '' ? undefined : text;
}

function describe(value: unknown): string {
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return String(value);
    case 'function':
      return `[function ${(value as { name?: unknown }).name || 'anonymous'}]`;
  }
  if (value instanceof Error) return errorText(value);
  try {
    // The fast path: most objects serialize as they are.
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Circular, BigInt, a throwing toJSON or getter, a revoked Proxy, or too deep: fall through.
  }
  return JSON.stringify(toPlain(value, new Set(), 0)) ?? String(value);
}

function errorText(error: Error): string {
  const stack = error.stack;
  if (typeof stack === 'string' && stack !== '') return stack;
  return `${error.name}: ${error.message}`;
}

/** Depth past which nested values are replaced, so a pathological object cannot overflow the stack. */
const MAX_DEPTH = 64;

/** A JSON-safe copy of `value`: cycles, BigInts, throwing accessors and excessive depth made explicit. */
function toPlain(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'symbol' || typeof value === 'function') return undefined;
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Depth limit]';
  if (value instanceof Error) return errorText(value);
  ancestors.add(value);
  try {
    let source: unknown = value;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      source = toJSON.call(value);
      if (typeof source !== 'object' || source === null) return toPlain(source, ancestors, depth + 1);
    }
    if (Array.isArray(source)) {
      const out: unknown[] = new Array(source.length);
      for (let i = 0; i < source.length; i++) {
        out[i] = readSafely(() => toPlain((source as unknown[])[i], ancestors, depth + 1)) ?? null;
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(source as object)) {
      out[key] = readSafely(() => toPlain((source as Record<string, unknown>)[key], ancestors, depth + 1));
    }
    return out;
  } catch {
    return '[Unserializable]';
  } finally {
    ancestors.delete(value);
  }
}

function readSafely(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return '[Throws]';
  }
}

const DIGITS = /^\d+$/;

/**
 * Epoch milliseconds from a number, `Date`, date string or numeric string; `now` when absent.
 * Returns `NaN` for anything that is not a finite, non-negative time.
 */
export function toTimestamp(value: unknown, now: number): number {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (value === undefined || value === null) return now;
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string') ms = DIGITS.test(value) ? Number(value) : Date.parse(value);
  else if (typeof value === 'bigint') ms = Number(value);
  else return Number.NaN;
  if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) return Number.NaN;
  return Math.floor(ms);
}

/**
 * Measures a message once and fits it to `maxEventBytes` by the chosen policy. Returns the event,
 * the pieces of a split message, or `undefined` when an oversized message is dropped. A message
 * that fits comes back with the same string, so `event.message !== message` tells a truncation.
 * `bytes`, the message's UTF-8 length, may be passed by a caller that measured it already.
 */
export function createEvent(
  message: string,
  timestamp: number,
  maxEventBytes: number,
  oversized: OversizedEventPolicy,
  bytes: number = Buffer.byteLength(message, 'utf8'),
): LogEvent | LogEvent[] | undefined {
  const maxMessageBytes = messageLimit(maxEventBytes);
  if (bytes <= maxMessageBytes) return { timestamp, message, bytes, kind: 'event' };
  if (oversized === 'drop') return undefined;
  if (oversized === 'split') return split(message, timestamp, maxMessageBytes);
  return truncate(message, bytes, timestamp, maxMessageBytes);
}

/** End of the last whole UTF-8 character at or before `end` (never inside a multi-byte sequence). */
function characterBoundary(utf8: Buffer, end: number): number {
  let at = end;
  while (at > 0 && at < utf8.length && ((utf8[at] as number) & 0xc0) === 0x80) at--;
  return at;
}

function truncationMarker(removedBytes: number): string {
  return `…[truncated ${removedBytes} bytes]`;
}

function truncate(message: string, bytes: number, timestamp: number, maxMessageBytes: number): LogEvent {
  // The marker names how many bytes were cut; its own length depends on that number, so size the
  // budget for the longest marker it could be (removing every byte), then name the real count.
  const budget = maxMessageBytes - Buffer.byteLength(truncationMarker(bytes), 'utf8');
  const utf8 = Buffer.from(message, 'utf8');
  const kept = characterBoundary(utf8, Math.max(0, budget));
  const marker = truncationMarker(bytes - kept);
  const text = utf8.toString('utf8', 0, kept) + marker;
  return { timestamp, message: text, bytes: kept + Buffer.byteLength(marker, 'utf8'), kind: 'event' };
}

function split(message: string, timestamp: number, maxMessageBytes: number): LogEvent[] {
  return cut(message, timestamp, maxMessageBytes, 'event');
}

/**
 * Cuts an event of a split message (its first piece or a later one) that is over a limit learned
 * since the split into pieces within `maxMessageBytes`, the way the split cut it: in order, at
 * character boundaries, the first of its kind and the others `'piece'`, so that the message still
 * weighs one. Each stands in for the event the scheduler batched (`cutFrom`). `maxMessageBytes`
 * must hold any character (>= 4 bytes).
 */
export function cutAgain(event: LogEvent, maxMessageBytes: number): LogEvent[] {
  const cutFrom = event.cutFrom ?? event;
  return cut(event.message, event.timestamp, maxMessageBytes, event.kind).map((piece) => ({
    ...piece,
    cutFrom,
  }));
}

function cut(message: string, timestamp: number, maxMessageBytes: number, kind: EventKind): LogEvent[] {
  const utf8 = Buffer.from(message, 'utf8');
  const pieces: LogEvent[] = [];
  let start = 0;
  while (start < utf8.length) {
    let end = Math.min(start + maxMessageBytes, utf8.length);
    end = characterBoundary(utf8, end);
    // maxMessageBytes is validated to hold any character (>= 4 bytes), so end > start.
    pieces.push({
      timestamp,
      message: utf8.toString('utf8', start, end),
      bytes: end - start,
      kind: pieces.length === 0 ? kind : 'piece',
    });
    start = end;
  }
  return pieces;
}
