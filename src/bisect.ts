/**
 * Bisection: what the sender does when PutLogEvents refuses a whole request for what may be the
 * fault of one event in it. The request is split in halves, each half is sent again (in order, and
 * through the same request slots and retry policy as any batch), and the half that is refused is
 * split again, until only the events the service refuses on their own are left: those are dropped
 * as `rejected`, the others are stored.
 *
 * The bound: one refused event among n costs 2·⌈log₂ n⌉ extra requests (two halves per level, the
 * good half sent once). A batch may spend {@link REFUSED_EVENTS_BUDGET} times that; what is still
 * refused when the budget is spent is dropped whole, so that an error that concerns every event
 * (or the request itself, under a name we bisect) cannot turn one request into thousands.
 */
import { cutAgain, type DropReason, type LogEvent } from './event.js';
import { MIN_LEARNED_EVENT_BYTES } from './event-limit.js';
import { eventSize, maxMessageBytes } from './rules.js';

/**
 * The error names that may be one event's fault, and only those. `InvalidParameterException` is
 * what CloudWatch Logs answers for an event it will not take (too large for the endpoint's limit, a
 * message it refuses) and it refuses the whole request. Everything else concerns the request as a
 * whole and is not bisected: `AccessDeniedException`, `UnrecognizedClientException` and the
 * signature errors (the credentials), `ResourceNotFoundException` (a missing group or stream, with
 * creation off), `InvalidSequenceTokenException` / `DataAlreadyAcceptedException` (obsolete),
 * `LimitExceededException`, `SerializationException`, HTTP errors from a proxy; throttling, 5xx and
 * network errors are retried (see `retry.ts`) and never reach here.
 */
const BISECTED_NAMES: ReadonlySet<string> = new Set(['InvalidParameterException']);

/** Refused events a batch may single out at the full price before what is left is dropped whole. */
export const REFUSED_EVENTS_BUDGET = 2;

/**
 * The service's words when an event is over its limit, as the old 256 KB limit answers:
 * `Log event too large: 292824 bytes exceeds limit of 262144`. The limit counts the message's UTF-8
 * bytes plus the 26-byte overhead, as `maxEventBytes` does.
 */
const TOO_LARGE = /Log event too large: \d+ bytes exceeds limit of (\d+)/;

/** Whether a refusal of a whole request may be one event's fault, so worth bisecting. */
export function isBisectable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  try {
    const name = (error as { name?: unknown }).name;
    return typeof name === 'string' && BISECTED_NAMES.has(name);
  } catch {
    return false;
  }
}

/**
 * The event size limit (message UTF-8 bytes + 26) that a refusal names, when it says an event is
 * too large; `undefined` otherwise.
 */
export function tooLargeLimit(error: unknown): number | undefined {
  if (!isBisectable(error)) return undefined;
  try {
    const message = (error as { message?: unknown }).message;
    if (typeof message !== 'string') return undefined;
    const match = TOO_LARGE.exec(message);
    if (match === null) return undefined;
    const limit = Number(match[1]);
    return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
  } catch {
    return undefined;
  }
}

/** Extra requests allowed for bisecting one refused batch of `events` events. */
export function bisectionBudget(events: number): number {
  return REFUSED_EVENTS_BUDGET * 2 * Math.ceil(Math.log2(Math.max(events, 2)));
}

/**
 * The two halves of a refused request, in order, cut at the message boundary nearest the middle (the
 * first half the longer when there is a tie): the pieces of a split message stay together, so that
 * a message is stored whole or refused whole, never in part. `undefined` when `events` are one message.
 */
export function halves(events: readonly LogEvent[]): [LogEvent[], LogEvent[]] | undefined {
  const middle = Math.ceil(events.length / 2);
  for (let offset = 0; offset < events.length; offset++) {
    for (const at of [middle + offset, middle - offset]) {
      if (at > 0 && at < events.length && (events[at] as LogEvent).kind !== 'piece') {
        return [events.slice(0, at), events.slice(at)];
      }
    }
  }
  return undefined;
}

/**
 * What a refusal that names the event size limit leaves of `events`: the messages refused, and the
 * events to send again, both in order; `undefined` when no event is over `maxEventBytes`.
 *
 * A split message over the limit is not refused: its first piece may have been stored already, in a
 * request before this one (a cut steps back to a character boundary, so a later piece can be up to 3
 * bytes larger than the first, and alone over the limit), so that refusing the rest would store the
 * message with a gap and count it sent. Its events over the limit are cut again under it instead
 * ({@link cutAgain}), in their place, and the message arrives whole and in order. A message of one
 * event is refused whole (nothing of it was stored; a first piece whose pieces follow in a later
 * request is one too, and the scheduler drops those with it), and so is every message when the limit
 * is below the lowest the shipper learns (`MIN_LEARNED_EVENT_BYTES`, which also bounds the pieces a
 * cut makes).
 */
export function refit(
  events: readonly LogEvent[],
  maxEventBytes: number,
): { resend: LogEvent[]; refused: LogEvent[] } | undefined {
  const resend: LogEvent[] = [];
  const refused: LogEvent[] = [];
  const maxBytes = maxMessageBytes(maxEventBytes);
  const canCut = maxEventBytes >= MIN_LEARNED_EVENT_BYTES;
  let anyOver = false;
  let start = 0;
  while (start < events.length) {
    let end = start + 1;
    while (end < events.length && (events[end] as LogEvent).kind === 'piece') end++;
    let tooLarge = false;
    for (let i = start; i < end; i++)
      if (eventSize((events[i] as LogEvent).bytes) > maxEventBytes) tooLarge = true;
    const split = end - start > 1 || (events[start] as LogEvent).kind === 'piece';
    for (let i = start; i < end; i++) {
      const event = events[i] as LogEvent;
      if (!tooLarge) resend.push(event);
      else if (!split || !canCut) refused.push(event);
      else if (event.bytes <= maxBytes) resend.push(event);
      else for (const piece of cutAgain(event, maxBytes)) resend.push(piece);
    }
    if (tooLarge) anyOver = true;
    start = end;
  }
  return anyOver ? { resend, refused } : undefined;
}

/** One refused batch's bisection: its budget, and the events refused on their own so far. */
export class Bisection {
  #remaining: number;
  /** The events refused on their own, reported together once the bisection ends. */
  readonly refused: LogEvent[] = [];
  /** The first refusal that singled events out: what the report names. */
  error: unknown;
  /** Why each event dropped in this bisection so far was dropped, by the event it stands in for. */
  readonly #lost = new Map<LogEvent, DropReason>();

  constructor(events: number) {
    this.#remaining = bisectionBudget(events);
  }

  /** Extra requests still allowed. */
  get remaining(): number {
    return this.#remaining;
  }

  /** Takes `requests` from the budget; `false` (and nothing taken) when there are not enough. */
  take(requests: number): boolean {
    if (this.#remaining < requests) return false;
    this.#remaining -= requests;
    return true;
  }

  refuse(events: readonly LogEvent[], error: unknown): void {
    if (this.refused.length === 0) this.error = error;
    for (const event of events) this.refused.push(event);
  }

  /** `events` were dropped, for `reason` (refused, or otherwise: failed, closed, out of the window). */
  lose(events: readonly LogEvent[], reason: DropReason): void {
    for (const event of events) this.#lost.set(event.cutFrom ?? event, reason);
  }

  /** Why `event`, or a part of the event it was cut from, was dropped; `undefined` when none was. */
  lostAs(event: LogEvent): DropReason | undefined {
    return this.#lost.get(event.cutFrom ?? event);
  }
}
