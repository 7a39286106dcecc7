import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatches } from '../src/batcher.js';
import { ConfigError } from '../src/errors.js';
import { createEvent, type LogEvent } from '../src/event.js';
import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_BYTES,
  MAX_EVENT_FUTURE_MS,
} from '../src/limits.js';

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const HOUR = 60 * 60 * 1000;

function event(timestamp: number, message = 'x'): LogEvent {
  return { timestamp, message, bytes: Buffer.byteLength(message, 'utf8'), kind: 'event' };
}

function sized(timestamp: number, bytes: number): LogEvent {
  return event(timestamp, 'a'.repeat(bytes));
}

const sizes = (batches: Batch[]) => batches.map((b) => b.events.length);

describe('createBatches — event count', () => {
  it('puts exactly 10,000 events in one batch', () => {
    const events = Array.from({ length: MAX_BATCH_EVENTS }, (_, i) => event(NOW - i));
    const { batches } = createBatches(events.reverse(), { now: NOW });
    expect(sizes(batches)).toEqual([10_000]);
  });

  it('splits 10,001 events into 10,000 and 1', () => {
    const events = Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => event(NOW));
    const { batches } = createBatches(events, { now: NOW });
    expect(sizes(batches)).toEqual([10_000, 1]);
  });

  it('honours a lower maxBatchEvents', () => {
    const events = Array.from({ length: 7 }, () => event(NOW));
    expect(sizes(createBatches(events, { now: NOW, maxBatchEvents: 3 }).batches)).toEqual([3, 3, 1]);
  });

  it('refuses to raise a limit', () => {
    expect(() => createBatches([], { now: NOW, maxBatchEvents: 10_001 })).toThrow(ConfigError);
    expect(() => createBatches([], { now: NOW, maxBatchBytes: MAX_BATCH_BYTES + 1 })).toThrow(
      /Expected `maxBatchBytes` to be an integer from 1048576 to 1048576, got `1048577`/,
    );
    expect(() => createBatches([], { now: NOW, maxEventBytes: MAX_EVENT_BYTES + 1 })).toThrow(ConfigError);
  });
});

describe('createBatches — bytes', () => {
  it('puts exactly 1,048,576 bytes in one batch', () => {
    // 4 events: three of 262,144 bytes with overhead and one that completes the limit exactly.
    const quarter = 262_144 - EVENT_OVERHEAD_BYTES;
    const events = [sized(NOW, quarter), sized(NOW, quarter), sized(NOW, quarter), sized(NOW, quarter)];
    const { batches } = createBatches(events, { now: NOW });
    expect(sizes(batches)).toEqual([4]);
    expect(batches[0]?.bytes).toBe(MAX_BATCH_BYTES);
  });

  it('starts a new batch when one more byte would pass 1,048,576', () => {
    const quarter = 262_144 - EVENT_OVERHEAD_BYTES;
    const events = [sized(NOW, quarter), sized(NOW, quarter), sized(NOW, quarter), sized(NOW, quarter + 1)];
    const { batches } = createBatches(events, { now: NOW });
    expect(sizes(batches)).toEqual([3, 1]);
  });

  it('counts 26 bytes of overhead per event', () => {
    const events = Array.from({ length: 3 }, () => sized(NOW, 74));
    const { batches } = createBatches(events, { now: NOW, maxEventBytes: 1024, maxBatchBytes: 1024 });
    expect(batches[0]?.bytes).toBe(300);
  });

  it('drops events larger than maxEventBytes as oversized', () => {
    const big = sized(NOW, 1024 - EVENT_OVERHEAD_BYTES + 1);
    const fits = sized(NOW, 1024 - EVENT_OVERHEAD_BYTES);
    const { batches, dropped } = createBatches([big, fits], { now: NOW, maxEventBytes: 1024 });
    expect(dropped).toEqual([{ event: big, reason: 'oversized' }]);
    expect(batches[0]?.events).toEqual([fits]);
  });
});

describe('createBatches — 24 hour span', () => {
  const start = NOW - 2 * DAY_MS;

  it('keeps a span of 24 h minus 1 ms in one batch', () => {
    const { batches } = createBatches([event(start), event(start + MAX_BATCH_SPAN_MS - 1)], { now: NOW });
    expect(sizes(batches)).toEqual([2]);
  });

  it('splits a span of exactly 24 h', () => {
    const { batches } = createBatches([event(start), event(start + MAX_BATCH_SPAN_MS)], { now: NOW });
    expect(sizes(batches)).toEqual([1, 1]);
  });

  it('splits a span of 24 h plus 1 ms', () => {
    const { batches } = createBatches([event(start), event(start + MAX_BATCH_SPAN_MS + 1)], { now: NOW });
    expect(sizes(batches)).toEqual([1, 1]);
  });
});

describe('createBatches — time window', () => {
  it('keeps an event exactly 14 days old and drops one a millisecond older', () => {
    const edge = event(NOW - MAX_EVENT_AGE_MS);
    const older = event(NOW - MAX_EVENT_AGE_MS - 1);
    const { batches, dropped } = createBatches([older, edge], { now: NOW });
    expect(dropped).toEqual([{ event: older, reason: 'tooOld' }]);
    expect(batches[0]?.events).toEqual([edge]);
  });

  it('keeps an event exactly 2 h ahead and drops one a millisecond further', () => {
    const edge = event(NOW + MAX_EVENT_FUTURE_MS);
    const newer = event(NOW + MAX_EVENT_FUTURE_MS + 1);
    const { batches, dropped } = createBatches([newer, edge], { now: NOW });
    expect(dropped).toEqual([{ event: newer, reason: 'tooNew' }]);
    expect(batches[0]?.events).toEqual([edge]);
  });

  it('applies a retention shorter than 14 days', () => {
    const kept = event(NOW - DAY_MS);
    const expired = event(NOW - DAY_MS - 1);
    const { batches, dropped } = createBatches([kept, expired], { now: NOW, retentionInDays: 1 });
    expect(dropped).toEqual([{ event: expired, reason: 'tooOld' }]);
    expect(batches[0]?.events).toEqual([kept]);
  });

  it('keeps 14 days when the retention is longer', () => {
    const old = event(NOW - 13 * DAY_MS);
    expect(createBatches([old], { now: NOW, retentionInDays: 30 }).dropped).toEqual([]);
  });
});

describe('createBatches — order', () => {
  it('sorts by timestamp and keeps arrival order among equal timestamps', () => {
    const events = [event(NOW, 'c1'), event(NOW - 5, 'a'), event(NOW, 'c2'), event(NOW - 1, 'b')];
    const { batches } = createBatches(events, { now: NOW });
    expect(batches[0]?.events.map((e) => e.message)).toEqual(['a', 'b', 'c1', 'c2']);
  });

  it('does not touch its input', () => {
    const events = [event(NOW), event(NOW - 5), event(NOW - MAX_EVENT_AGE_MS - 1)];
    const copy = [...events];
    createBatches(events, { now: NOW });
    expect(events).toEqual(copy);
  });

  it('returns no batch for no events', () => {
    expect(createBatches([], { now: NOW })).toEqual({ batches: [], dropped: [] });
  });
});

// ---- Properties -------------------------------------------------------------------------------

const textUnit = fc.constantFrom('a', 'b', ' ', 'é', '中', '😀', '\uD83D', '\uDE00', '\n');
const message = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: textUnit, minLength: 1, maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: textUnit, minLength: 1, maxLength: 3000 }) },
);
const timestamp = fc.oneof(
  // scattered over three weeks into the past and three hours into the future
  { weight: 4, arbitrary: fc.integer({ min: NOW - 21 * DAY_MS, max: NOW + 3 * HOUR }) },
  // bunched, to produce many equal timestamps
  { weight: 2, arbitrary: fc.integer({ min: NOW - 3, max: NOW + 3 }) },
  // around the window edges
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      NOW - MAX_EVENT_AGE_MS,
      NOW - MAX_EVENT_AGE_MS - 1,
      NOW + MAX_EVENT_FUTURE_MS,
      NOW + MAX_EVENT_FUTURE_MS + 1,
      NOW - MAX_BATCH_SPAN_MS,
      NOW - MAX_BATCH_SPAN_MS + 1,
      NOW - 2 * MAX_BATCH_SPAN_MS,
      NOW - 2 * MAX_BATCH_SPAN_MS - 1,
    ),
  },
);
const maxEventBytes = 2048;
const inputs = fc.array(
  fc.tuple(message, timestamp).map(([m, t]): LogEvent => {
    // Build events as the shipper would, but let oversized ones through to test the batcher's guard.
    const made = createEvent(m, t, MAX_EVENT_BYTES, 'drop') as LogEvent;
    return made;
  }),
  { maxLength: 400 },
);
const limits = fc.record({
  maxBatchEvents: fc.integer({ min: 1, max: 50 }),
  maxBatchBytes: fc.integer({ min: maxEventBytes, max: 20_000 }),
  retentionInDays: fc.option(fc.constantFrom(1, 3, 5, 7, 14, 30), { nil: undefined }),
});

describe('createBatches — properties', () => {
  it('holds every limit, orders every batch, accounts for every event once, and fills greedily', () => {
    fc.assert(
      fc.property(inputs, limits, (events, lim) => {
        const options = { now: NOW, maxEventBytes, ...lim };
        const { batches, dropped } = createBatches(events, options);
        const oldest =
          NOW - Math.min(MAX_EVENT_AGE_MS, (lim.retentionInDays ?? Number.POSITIVE_INFINITY) * DAY_MS);

        // Accounted for exactly once, by identity.
        const seen = new Map<LogEvent, number>();
        for (const b of batches) for (const e of b.events) seen.set(e, (seen.get(e) ?? 0) + 1);
        for (const d of dropped) seen.set(d.event, (seen.get(d.event) ?? 0) + 1);
        expect(seen.size).toBe(events.length);
        for (const e of events) expect(seen.get(e)).toBe(1);

        // Dropped with the right reason, and only when it must be.
        for (const { event: e, reason } of dropped) {
          const expected =
            e.timestamp < oldest
              ? 'tooOld'
              : e.timestamp > NOW + MAX_EVENT_FUTURE_MS
                ? 'tooNew'
                : e.bytes + EVENT_OVERHEAD_BYTES > maxEventBytes
                  ? 'oversized'
                  : 'none';
          expect(reason).toBe(expected);
        }

        let previousLast = Number.NEGATIVE_INFINITY;
        for (const [i, b] of batches.entries()) {
          expect(b.events.length).toBeGreaterThan(0);
          expect(b.events.length).toBeLessThanOrEqual(lim.maxBatchEvents);
          const bytes = b.events.reduce((sum, e) => sum + Buffer.byteLength(e.message, 'utf8') + 26, 0);
          expect(b.bytes).toBe(bytes);
          expect(bytes).toBeLessThanOrEqual(lim.maxBatchBytes);
          const first = b.events[0] as LogEvent;
          const last = b.events[b.events.length - 1] as LogEvent;
          expect(last.timestamp - first.timestamp).toBeLessThan(MAX_BATCH_SPAN_MS);
          for (let j = 1; j < b.events.length; j++) {
            expect((b.events[j] as LogEvent).timestamp).toBeGreaterThanOrEqual(
              (b.events[j - 1] as LogEvent).timestamp,
            );
          }
          for (const e of b.events) {
            expect(e.timestamp).toBeGreaterThanOrEqual(oldest);
            expect(e.timestamp).toBeLessThanOrEqual(NOW + MAX_EVENT_FUTURE_MS);
          }
          // Batches follow each other in time, and each one is as full as it could be.
          expect(first.timestamp).toBeGreaterThanOrEqual(previousLast);
          previousLast = last.timestamp;
          const next = batches[i + 1]?.events[0];
          if (next) {
            const fitsCount = b.events.length + 1 <= lim.maxBatchEvents;
            const fitsBytes = b.bytes + next.bytes + 26 <= lim.maxBatchBytes;
            const fitsSpan = next.timestamp - first.timestamp < MAX_BATCH_SPAN_MS;
            expect(fitsCount && fitsBytes && fitsSpan).toBe(false);
          }
        }

        // Stable: events with equal timestamps keep their arrival order.
        const order = new Map(events.map((e, i) => [e, i]));
        const flat = batches.flatMap((b) => b.events);
        for (let j = 1; j < flat.length; j++) {
          const a = flat[j - 1] as LogEvent;
          const c = flat[j] as LogEvent;
          if (a.timestamp === c.timestamp) expect(order.get(a)).toBeLessThan(order.get(c) as number);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('batches in-order input identically to the same input shuffled and re-sorted', () => {
    fc.assert(
      fc.property(inputs, (events) => {
        const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
        const fromSorted = createBatches(sorted, { now: NOW, maxEventBytes });
        const fromShuffled = createBatches(events, { now: NOW, maxEventBytes });
        expect(sizes(fromShuffled.batches)).toEqual(sizes(fromSorted.batches));
        expect(fromShuffled.batches.flatMap((b) => b.events.map((e) => e.timestamp))).toEqual(
          fromSorted.batches.flatMap((b) => b.events.map((e) => e.timestamp)),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('drops the later pieces of a split message whose first piece it drops', () => {
    // Prepare: a message split under a larger limit, batched under a smaller one.
    const piece = (kind: 'event' | 'piece', bytes: number): LogEvent => ({
      timestamp: NOW,
      message: 'p'.repeat(bytes),
      bytes,
      kind,
    });
    const events = [
      piece('event', 300_000),
      piece('piece', 300_000),
      piece('piece', 100_000),
      event(NOW, 'next'),
    ];
    // Act
    const { batches, dropped } = createBatches(events, { now: NOW, maxEventBytes: 262_144 });
    // Assess
    expect(dropped.map((d) => [d.event.kind, d.event.bytes, d.reason])).toEqual([
      ['event', 300_000, 'oversized'],
      ['piece', 300_000, 'oversized'],
      ['piece', 100_000, 'oversized'],
    ]);
    expect(batches.flatMap((b) => b.events.map((e) => e.message))).toEqual(['next']);
  });

  it('drops a split message whole when a later piece alone is over a limit lowered since the split', () => {
    // Prepare: a cut steps back to a character boundary, so a first piece can be shorter than the
    // piece after it; the limit now lies between the two.
    const maxEventBytes = 262_144;
    const limit = maxEventBytes - EVENT_OVERHEAD_BYTES;
    const piece = (kind: 'event' | 'piece', bytes: number): LogEvent => ({
      timestamp: NOW,
      message: 'p'.repeat(bytes),
      bytes,
      kind,
    });
    const before = event(NOW - 1, 'before');
    const events = [
      before,
      piece('event', limit - 2),
      piece('piece', limit + 1),
      piece('piece', 10),
      event(NOW, 'next'),
    ];
    // Act
    const { batches, dropped } = createBatches(events, { now: NOW, maxEventBytes });
    // Assess
    expect(dropped.map((d) => [d.event.kind, d.event.bytes, d.reason])).toEqual([
      ['event', limit - 2, 'oversized'],
      ['piece', limit + 1, 'oversized'],
      ['piece', 10, 'oversized'],
    ]);
    expect(batches.flatMap((b) => b.events.map((e) => e.message))).toEqual(['before', 'next']);
  });

  it('sends each split message whole or drops it whole, under any limit lowered since the split', () => {
    // Multi-byte characters, so that cuts step back to character boundaries and pieces differ in size.
    const text = fc
      .array(fc.constantFrom('a', 'é', '€', '😀', 'z'), { minLength: 1, maxLength: 1500, size: 'max' })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(
        fc.array(text, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1024, max: 1100 }),
        fc.integer({ min: 0, max: 8 }),
        (messages, splitLimit, lowered) => {
          const made = messages.map((m, i) => {
            const out = createEvent(m, NOW - i, splitLimit, 'split') as LogEvent | LogEvent[];
            return Array.isArray(out) ? out : [out];
          });
          const { batches, dropped } = createBatches(made.flat(), {
            now: NOW,
            maxEventBytes: Math.max(1024, splitLimit - lowered),
          });
          const sent = new Set(batches.flatMap((b) => b.events));
          const gone = new Set(dropped.map((d) => d.event));
          // Dropped in input order; each batch in timestamp order.
          const input = made.flat();
          const at = dropped.map((d) => input.indexOf(d.event));
          expect(at).toEqual([...at].sort((a, b) => a - b));
          for (const b of batches)
            for (let j = 1; j < b.events.length; j++)
              expect((b.events[j] as LogEvent).timestamp).toBeGreaterThanOrEqual(
                (b.events[j - 1] as LogEvent).timestamp,
              );
          for (const pieces of made) {
            const kept = pieces.filter((p) => sent.has(p)).length;
            expect([0, pieces.length]).toContain(kept);
            expect(kept + pieces.filter((p) => gone.has(p)).length).toBe(pieces.length);
          }
        },
      ),
      // Large inputs shrink slowly: a failure is reported as found.
      { numRuns: 300, endOnFailure: true },
    );
  });
});
