/**
 * The effective event size limit: one owned, mutable value. It starts at the `maxEventBytes` option
 * and may only go down, when the service says an event is too large for it (an endpoint that still
 * applies the old 256 KB limit: GovCloud, China regions, emulators). Intake (the shipper's `log()`)
 * and the batcher (through the scheduler's options) read it at each use, so that a lowered limit
 * applies to every later event; nothing keeps a copy.
 */
import type { OversizedEventPolicy } from './event.js';
import { maxMessageBytes } from './rules.js';

/** The smallest limit the service may teach: the `maxEventBytes` option's own floor. */
export const MIN_LEARNED_EVENT_BYTES = 1024;

export class EventLimit {
  #maxEventBytes: number;
  #maxMessageBytes: number;

  constructor(maxEventBytes: number) {
    this.#maxEventBytes = maxEventBytes;
    this.#maxMessageBytes = maxMessageBytes(maxEventBytes);
  }

  /** Largest event now: message UTF-8 bytes plus 26. */
  get maxEventBytes(): number {
    return this.#maxEventBytes;
  }

  /** Largest message now, in UTF-8 bytes. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  /**
   * Lowers the limit to `maxEventBytes` when that is lower and at least
   * {@link MIN_LEARNED_EVENT_BYTES}; returns whether it changed. Never raises it.
   */
  lower(maxEventBytes: number): boolean {
    if (
      !Number.isSafeInteger(maxEventBytes) ||
      maxEventBytes < MIN_LEARNED_EVENT_BYTES ||
      maxEventBytes >= this.#maxEventBytes
    ) {
      return false;
    }
    this.#maxEventBytes = maxEventBytes;
    this.#maxMessageBytes = maxMessageBytes(maxEventBytes);
    return true;
  }
}

/** The code of the warning said once when the limit is lowered. */
export const EVENT_LIMIT_WARNING_CODE = 'CWS_EVENT_LIMIT_LOWERED';

/** What the warning says: the limit learned and what becomes of larger events from now on. */
export function eventLimitWarning(maxEventBytes: number, policy: OversizedEventPolicy): string {
  const fate = {
    truncate: 'truncated to fit',
    split: 'split into events that fit',
    drop: 'dropped as oversized',
  }[policy];
  return (
    `cloudwatch-shipper: the endpoint refuses events over ${maxEventBytes} bytes (message UTF-8 bytes + 26); ` +
    `maxEventBytes is lowered to ${maxEventBytes} for this shipper, and larger events are now ${fate}. ` +
    'Set maxEventBytes to this limit to avoid the refused request.'
  );
}
