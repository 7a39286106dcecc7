/**
 * Intake: what a program passes to `log()`, turned into a message and a time, or into the reason it
 * cannot be sent. Pure but for the clock, and free of allocation on the common path: the answer is
 * left in the reader's own fields, so that `log()` on a full buffer creates nothing.
 */
import { type DropReason, type LogInput, toMessage, toTimestamp } from './event.js';

export class Intake {
  /**
   * The last input read: its message and time (valid when `read()` returned undefined). Its UTF-8
   * size is the caller's to measure: one that copies the message can measure it in the same pass.
   */
  message = '';
  timestamp = 0;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Reads a `log()` input: a message (string, Error, or any value, serialized as JSON) or
   * `{ message, timestamp }`. Returns the reason it is dropped, or `undefined` with the fields set.
   * Throws only when the injected clock does.
   */
  read(input: unknown): DropReason | undefined {
    let message: unknown = input;
    let time: unknown;
    if (typeof input === 'object' && input !== null) {
      const explicit = asLogInput(input);
      if (explicit) {
        message = explicit.message;
        time = explicit.timestamp;
      }
    }
    const text = typeof message === 'string' ? (message === '' ? undefined : message) : toMessage(message);
    if (text === undefined) return 'empty';
    const timestamp = time === undefined ? this.#now() : safeTimestamp(time, this.#now);
    if (Number.isNaN(timestamp)) return 'invalidTimestamp';
    this.message = text;
    this.timestamp = timestamp;
    return undefined;
  }
}

/** `{ message, timestamp }` and nothing else; any other object is a message of its own. */
function asLogInput(value: object): LogInput | undefined {
  try {
    if (value instanceof Error || Array.isArray(value) || !('message' in value)) return undefined;
    for (const key in value) if (key !== 'message' && key !== 'timestamp') return undefined;
    return value as LogInput;
  } catch {
    return undefined;
  }
}

function safeTimestamp(value: unknown, now: () => number): number {
  try {
    return toTimestamp(value, now());
  } catch {
    return Number.NaN;
  }
}
