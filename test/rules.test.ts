import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import type { LogEvent } from '../src/event.js';
import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_FUTURE_MS,
} from '../src/limits.js';
import {
  acceptedWindow,
  batchSize,
  eventSize,
  fitsInBatch,
  isFullBatch,
  isLogGroupName,
  isLogStreamName,
  lowerLimit,
  maxMessageBytes,
  outsideWindow,
  splitRejected,
  withinSpan,
} from '../src/rules.js';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

function event(message: string): LogEvent {
  return { timestamp: NOW, message, bytes: Buffer.byteLength(message, 'utf8'), kind: 'event' };
}

describe('rules — sizes', () => {
  it('weighs an event as its UTF-8 bytes plus 26', () => {
    expect(eventSize(0)).toBe(EVENT_OVERHEAD_BYTES);
    expect(eventSize(1_000)).toBe(1_026);
    expect(maxMessageBytes(1_048_576)).toBe(1_048_550);
    expect(batchSize([event('héllo'), event('x')])).toBe(6 + 26 + 1 + 26);
  });

  it('fits an event in a batch exactly up to 10,000 events and 1,048,576 bytes', () => {
    expect(fitsInBatch(MAX_BATCH_EVENTS - 1, 0, 0, MAX_BATCH_EVENTS, MAX_BATCH_BYTES)).toBe(true);
    expect(fitsInBatch(MAX_BATCH_EVENTS, 0, 0, MAX_BATCH_EVENTS, MAX_BATCH_BYTES)).toBe(false);
    expect(fitsInBatch(1, MAX_BATCH_BYTES - 126, 100, MAX_BATCH_EVENTS, MAX_BATCH_BYTES)).toBe(true);
    expect(fitsInBatch(1, MAX_BATCH_BYTES - 126, 101, MAX_BATCH_EVENTS, MAX_BATCH_BYTES)).toBe(false);
  });

  it('agrees with fitsInBatch on when the events held make a full batch', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(2_000), { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        (sizes, maxEvents) => {
          const maxBytes = 20_000;
          // A batch is full when the next event of any size could not join it.
          let count = 0;
          let bytes = 0;
          let total = 0;
          for (const size of sizes) {
            total += size;
            count++;
            bytes += eventSize(size);
          }
          const full = isFullBatch(count, total, maxEvents, maxBytes);
          expect(full).toBe(count >= maxEvents || bytes >= maxBytes);
          if (!full) expect(fitsInBatch(count, bytes, 0, maxEvents, maxBytes)).toBe(true);
        },
      ),
    );
  });
});

describe('rules — time', () => {
  it('lets a request span less than 24 hours, never 24 hours or more', () => {
    expect(withinSpan(NOW, NOW + MAX_BATCH_SPAN_MS - 1)).toBe(true);
    expect(withinSpan(NOW, NOW + MAX_BATCH_SPAN_MS)).toBe(false);
  });

  it('accepts from 14 days (or the retention) ago to 2 hours ahead, both ends inclusive', () => {
    const window = acceptedWindow(NOW, undefined);
    expect(window).toEqual({ oldest: NOW - MAX_EVENT_AGE_MS, newest: NOW + MAX_EVENT_FUTURE_MS });
    expect(outsideWindow(window.oldest, window)).toBeUndefined();
    expect(outsideWindow(window.oldest - 1, window)).toBe('tooOld');
    expect(outsideWindow(window.newest, window)).toBeUndefined();
    expect(outsideWindow(window.newest + 1, window)).toBe('tooNew');
    expect(acceptedWindow(NOW, 7).oldest).toBe(NOW - 7 * DAY_MS);
    expect(acceptedWindow(NOW, 30).oldest).toBe(NOW - MAX_EVENT_AGE_MS);
  });
});

describe('rules — the service verdict', () => {
  it('splits rejectedLogEventsInfo with exclusive too-old and expired ends and an inclusive too-new start', () => {
    const events = ['a', 'b', 'c', 'd', 'e', 'f'];
    const split = splitRejected(events, {
      tooOldLogEventEndIndex: 1,
      expiredLogEventEndIndex: 3,
      tooNewLogEventStartIndex: 5,
    });
    expect(split).toEqual({ tooOld: ['a'], expired: ['b', 'c'], stored: ['d', 'e'], tooNew: ['f'] });
    expect(splitRejected(events, {}).stored).toEqual(events);
  });

  it('puts every event in exactly one part, in order', () => {
    fc.assert(
      fc.property(
        fc.nat(30),
        fc.option(fc.nat(35), { nil: undefined }),
        fc.option(fc.nat(35), { nil: undefined }),
        fc.option(fc.nat(35), { nil: undefined }),
        (n, tooOld, expired, tooNew) => {
          const events = Array.from({ length: n }, (_, i) => i);
          const split = splitRejected(events, {
            tooOldLogEventEndIndex: tooOld,
            expiredLogEventEndIndex: expired,
            tooNewLogEventStartIndex: tooNew,
          });
          const all = [...split.tooOld, ...split.expired, ...split.stored, ...split.tooNew].sort(
            (a, b) => a - b,
          );
          expect(all).toEqual(events);
        },
      ),
    );
  });
});

describe('rules — limits and names', () => {
  it('lowers a limit, never raises it, and names the option it refuses', () => {
    expect(lowerLimit('maxBatchEvents', undefined, MAX_BATCH_EVENTS, 1)).toBe(MAX_BATCH_EVENTS);
    expect(lowerLimit('maxBatchEvents', 10, MAX_BATCH_EVENTS, 1)).toBe(10);
    expect(() => lowerLimit('maxBatchEvents', MAX_BATCH_EVENTS + 1, MAX_BATCH_EVENTS, 1)).toThrow(
      ConfigError,
    );
    expect(() => lowerLimit('maxBatchEvents', 1.5, MAX_BATCH_EVENTS, 1)).toThrow(/maxBatchEvents/);
  });

  it('checks group and stream names as CreateLogGroup and CreateLogStream do', () => {
    expect(isLogGroupName('/aws/lambda/my-fn_1.#')).toBe(true);
    expect(isLogGroupName('a b')).toBe(false);
    expect(isLogGroupName('x'.repeat(513))).toBe(false);
    expect(isLogStreamName('2026/12/01/[$LATEST]abc')).toBe(true);
    expect(isLogStreamName('a:b')).toBe(false);
    expect(isLogStreamName('a*b')).toBe(false);
    expect(isLogStreamName('')).toBe(false);
  });
});
