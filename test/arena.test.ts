import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARENA_MAX_BYTES, Arena, NIL, RECORD_HEADER_BYTES, sharedMemory } from '../src/arena.js';
import { type BufferLimits, Buffers, EVENT_MEMORY_OVERHEAD_BYTES } from '../src/buffers.js';
import { type Stream, StreamBuffer } from '../src/destination.js';
import type { LogEvent } from '../src/event.js';
import { Ledger } from '../src/ledger.js';
import { eventSize, fitsInBatch } from '../src/rules.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/** What CloudWatch Logs receives of a string: its UTF-8 bytes (a lone surrogate becomes U+FFFD). */
const utf8 = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

type ArenaOwnerOf = { buffer: StreamBuffer };

function owner(): { buffer: StreamBuffer } {
  return { buffer: new StreamBuffer() };
}

describe('Arena', () => {
  it('decodes what it holds as it was written, ASCII or not, in a SharedArrayBuffer too', () => {
    // Prepare
    for (const memory of [undefined, sharedMemory]) {
      const arena = new Arena(4_096, memory);
      const a = owner();
      const texts = ['plain', 'héllo wörld', '中文 😀', 'lone \uD83D surrogate'];
      // Act
      for (const [i, text] of texts.entries()) {
        arena.append(a, T0 + i, text, Buffer.byteLength(text), 'event');
      }
      const taken = arena.take(a.buffer, 10, 1_048_576);
      // Assess
      expect(taken).toEqual(
        texts.map((text, i) => ({
          timestamp: T0 + i,
          message: utf8(text),
          bytes: Buffer.byteLength(text),
          kind: 'event',
        })),
      );
      expect([arena.records, arena.usedBytes, a.buffer.head, a.buffer.tail, a.buffer.slot]).toEqual([
        0,
        0,
        NIL,
        NIL,
        -1,
      ]);
    }
  });

  it('copies a message given as bytes exactly, short or long, from any offset to any place', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            text: fc.oneof(
              fc.string({ unit: fc.constantFrom('a', 'é', '中', '😀', ' '), maxLength: 60 }),
              fc.string({ unit: fc.constantFrom('b', 'ü', '€'), minLength: 150, maxLength: 400 }),
            ),
            skew: fc.nat(7),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        (messages) => {
          // Prepare: each message's bytes at an offset of its own in a shared source, as in the ring.
          const arena = new Arena(64 * 1024, sharedMemory);
          const a = owner();
          const source = Buffer.from(new SharedArrayBuffer(32 * 1024));
          source.fill(0xee);
          let offset = 0;
          // Act
          for (const [i, { text, skew }] of messages.entries()) {
            const bytes = Buffer.from(text, 'utf8');
            const start = offset + skew;
            bytes.copy(source, start);
            arena.appendBytes(a, T0 + i, source, start, bytes.length, bytes.length === text.length, 'event');
            offset = start + bytes.length + 8;
          }
          const taken = arena.take(a.buffer, 100, 1_048_576);
          // Assess: every byte, none of the source's filler around it.
          expect(taken.map((e) => e.message)).toEqual(messages.map(({ text }) => text));
          expect(taken.map((e) => e.bytes)).toEqual(messages.map(({ text }) => Buffer.byteLength(text)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts a header of RECORD_HEADER_BYTES per record, the bound the buffers count', () => {
    const arena = new Arena(1_000);
    const a = owner();
    arena.append(a, T0, 'x'.repeat(100), 100, 'event');
    arena.append(a, T0, 'y', 1, 'piece');
    expect(arena.usedBytes).toBe(101 + 2 * RECORD_HEADER_BYTES);
    expect(EVENT_MEMORY_OVERHEAD_BYTES).toBe(RECORD_HEADER_BYTES);
    expect(arena.dropMessage(a.buffer)).toBe(1);
    expect(arena.records).toBe(0);
  });

  it('makes the buffers throw a ConfigError naming maxBufferedBytes when the memory cannot be had', () => {
    const limits: BufferLimits = {
      maxBufferedEvents: 10,
      maxBufferedBytes: 1 << 20,
      highWaterMark: 1,
      onBufferFull: 'dropOldest',
      maxBatchEvents: 10,
      maxBatchBytes: 1_048_576,
      flushIntervalMs: 1_000,
      memory: () => {
        throw new RangeError('Array buffer allocation failed');
      },
    };
    const hooks = { full() {}, evicted() {}, invalidDestination() {}, drain() {} };
    expect(() => new Buffers(limits, new Ledger<Stream>(), hooks)).toThrow(
      expect.objectContaining({ name: 'ConfigError', code: 'CWS_CONFIG', option: 'maxBufferedBytes' }),
    );
  });

  it('reclaims every hole when it compacts, one made before the read position passed the first hole too', () => {
    // Prepare: eight records of 34 bytes fill the arena, each of its own owner.
    const size = RECORD_HEADER_BYTES + 10;
    const arena = new Arena(8 * size);
    const owners = Array.from({ length: 11 }, owner);
    for (let i = 0; i < 8; i++)
      arena.append(owners[i] as ArenaOwnerOf, T0, `record ${i}`.padEnd(10, '.'), 10, 'event');
    const take = (i: number) => arena.take((owners[i] as ArenaOwnerOf).buffer, 10, 1_048_576);
    // Holes at 2 and 4; then the read position moves past 0, 1 and the hole at 2, and a hole is made at 6.
    take(2);
    take(4);
    take(0);
    take(1);
    take(6);
    // The room before the read position filled again: no room left without compacting.
    for (let i = 8; i < 11; i++)
      arena.append(owners[i] as ArenaOwnerOf, T0, `record ${i}`.padEnd(10, '.'), 10, 'event');
    expect(arena.usedBytes).toBe(6 * size);
    // Act: a record the size of both holes together.
    const late = owner();
    arena.append(
      late,
      T0,
      'x'.repeat(2 * size - RECORD_HEADER_BYTES),
      2 * size - RECORD_HEADER_BYTES,
      'event',
    );
    // Assess: both holes were reclaimed, and every record reads back.
    expect(arena.compactions).toBe(1);
    expect(arena.usedBytes).toBe(arena.capacity);
    expect(arena.spanBytes).toBe(arena.capacity);
    for (const i of [3, 5, 7, 8, 9, 10])
      expect(take(i).map((e) => e.message)).toEqual([`record ${i}`.padEnd(10, '.')]);
    expect(arena.take(late.buffer, 10, 1_048_576)[0]?.bytes).toBe(2 * size - RECORD_HEADER_BYTES);
  });

  it('refuses a capacity that u32 offsets cannot address', () => {
    expect(() => new Arena(ARENA_MAX_BYTES + 1)).toThrow(RangeError);
    expect(() => new Arena(0)).toThrow(RangeError);
  });
});

// ---- The buffers on the arena, against a simple model ----

interface ModelMessage {
  readonly stream: number;
  readonly timestamp: number;
  /** The texts of its events: one, or the pieces of a split message. */
  readonly texts: string[];
}

type Op =
  | { readonly op: 'log'; readonly stream: number; readonly texts: string[] }
  | { readonly op: 'take'; readonly stream: number }
  | { readonly op: 'dropAll' };

const textUnit = fc.constantFrom('a', 'b', ' ', 'é', '中', '😀', '\uD83D', '\n');
const text = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: textUnit, minLength: 1, maxLength: 6 }) },
  { weight: 2, arbitrary: fc.string({ unit: textUnit, minLength: 1, maxLength: 18 }) },
);
const STREAMS = 4;
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 60,
    arbitrary: fc.record({
      op: fc.constant('log' as const),
      stream: fc.integer({ min: 0, max: STREAMS - 1 }),
      texts: fc.oneof(
        { weight: 5, arbitrary: fc.tuple(text) },
        { weight: 1, arbitrary: fc.array(text, { minLength: 2, maxLength: 4 }) },
      ),
    }),
  },
  // Stream 0 is taken from seldom: its events stay while the others' leave holes behind them.
  {
    weight: 40,
    arbitrary: fc.record({
      op: fc.constant('take' as const),
      stream: fc.integer({ min: 1, max: STREAMS - 1 }),
    }),
  },
  { weight: 5, arbitrary: fc.constant({ op: 'take' as const, stream: 0 }) },
  { weight: 1, arbitrary: fc.constant({ op: 'dropAll' as const }) },
);

/** Small buffers' limits: the bounds drawn, the rest fixed. */
const limitsArbitrary: fc.Arbitrary<BufferLimits> = fc
  .record({
    maxBufferedEvents: fc.integer({ min: 2, max: 60 }),
    maxBufferedBytes: fc.integer({ min: 100, max: 1_200 }),
    onBufferFull: fc.constantFrom('dropOldest' as const, 'dropNewest' as const),
    maxBatchEvents: fc.integer({ min: 1, max: 8 }),
    maxBatchBytes: fc.integer({ min: 100, max: 2_000 }),
  })
  .map((drawn) => ({ ...drawn, highWaterMark: 0.8, flushIntervalMs: 1_000, maxEventBytes: 100 }));

const bytesOf = (t: string): number => Buffer.byteLength(t, 'utf8');
const weightOf = (m: ModelMessage): { events: number; bytes: number } => ({
  events: m.texts.length,
  bytes: m.texts.reduce((sum, t) => sum + bytesOf(t), 0),
});

describe('Buffers on the arena — properties', () => {
  it('holds, takes and evicts exactly what a model of arrays says, within the bound and the arena', () => {
    let compactions = 0;
    fc.assert(
      fc.property(limitsArbitrary, fc.array(op, { minLength: 100, maxLength: 600 }), (limits, ops) => {
        // Prepare
        const ledger = new Ledger<Stream>();
        const buffers = new Buffers(limits, ledger, {
          full: () => {},
          evicted: () => {},
          invalidDestination: () => {},
          drain: () => {},
        });
        const streams = Array.from({ length: STREAMS }, (_, i) => buffers.stream('g', `s${i}`) as Stream);
        // The model: every held message in log order.
        let held: ModelMessage[] = [];
        let logged = 0;
        let clock = T0;
        const heldTotals = () =>
          held.reduce(
            (sum, m) => {
              const w = weightOf(m);
              return { events: sum.events + w.events, bytes: sum.bytes + w.bytes };
            },
            { events: 0, bytes: 0 },
          );
        const fits = (events: number, bytes: number) => {
          const t = heldTotals();
          return (
            t.events + events <= limits.maxBufferedEvents &&
            t.bytes + bytes + (t.events + events) * RECORD_HEADER_BYTES <= limits.maxBufferedBytes
          );
        };
        for (const step of ops) {
          // Act
          if (step.op === 'log') {
            const timestamp = clock++;
            const events: LogEvent[] = step.texts.map((t, i) => ({
              timestamp,
              message: t,
              bytes: bytesOf(t),
              kind: i === 0 ? 'event' : 'piece',
            }));
            const message: ModelMessage = { stream: step.stream, timestamp, texts: step.texts };
            const { events: n, bytes } = weightOf(message);
            ledger.logged();
            logged++;
            const stream = streams[step.stream] as Stream;
            const ok =
              events.length === 1
                ? buffers.holdOne(stream, timestamp, step.texts[0] as string, bytes)
                : buffers.holdMessage(stream, events, 'split');
            let expected = fits(n, bytes);
            if (!expected && limits.onBufferFull === 'dropOldest' && buffers.couldHold(n, bytes)) {
              while (!fits(n, bytes)) held.shift();
              expected = true;
            }
            if (expected) held.push(message);
            expect(ok).toBe(expected);
          } else if (step.op === 'take') {
            const taken = buffers.take(streams[step.stream] as Stream);
            // The model's prefix: whole messages while they fit, the first one's pieces past the limits.
            const mine = held.filter((m) => m.stream === step.stream);
            const want: { timestamp: number; message: string; kind: string }[] = [];
            let count = 0;
            let batchBytes = 0;
            const gone = new Set<ModelMessage>();
            for (const m of mine) {
              const first = bytesOf(m.texts[0] as string);
              if (!fitsInBatch(count, batchBytes, first, limits.maxBatchEvents, limits.maxBatchBytes)) break;
              for (const [i, t] of m.texts.entries()) {
                want.push({ timestamp: m.timestamp, message: utf8(t), kind: i === 0 ? 'event' : 'piece' });
                count++;
                batchBytes += eventSize(bytesOf(t));
              }
              gone.add(m);
            }
            held = held.filter((m) => !gone.has(m));
            expect(taken.map((e) => ({ timestamp: e.timestamp, message: e.message, kind: e.kind }))).toEqual(
              want,
            );
          } else {
            buffers.dropAll();
            held = [];
          }
          // Assess: counts exact, within the bound, within the arena.
          const totals = heldTotals();
          const arena = buffers.arena;
          expect(arena.records).toBe(totals.events);
          expect(arena.usedBytes).toBe(totals.bytes + totals.events * RECORD_HEADER_BYTES);
          expect(arena.usedBytes).toBeLessThanOrEqual(limits.maxBufferedBytes);
          expect(arena.spanBytes).toBeLessThanOrEqual(arena.capacity);
          for (const [i, stream] of streams.entries()) {
            const mine = held.filter((m) => m.stream === i).map(weightOf);
            expect(stream.buffer.heldEvents).toBe(mine.reduce((s, w) => s + w.events, 0));
            expect(stream.buffer.heldBytes).toBe(mine.reduce((s, w) => s + w.bytes, 0));
          }
          const stats = ledger.snapshot(1, 1);
          const dropped = Object.values(stats.dropped).reduce((s, n) => s + n, 0);
          expect(stats.logged).toBe(logged);
          expect(stats.buffered).toBe(held.length);
          expect(stats.logged).toBe(stats.sent + stats.buffered + stats.inFlight + dropped);
        }
        compactions += buffers.arena.compactions;
        // Everything left decodes as the model holds it.
        for (const [i, stream] of streams.entries()) {
          const rest: string[] = [];
          while (stream.buffer.heldEvents > 0) rest.push(...buffers.take(stream).map((e) => e.message));
          expect(rest).toEqual(held.filter((m) => m.stream === i).flatMap((m) => m.texts.map(utf8)));
        }
      }),
      // A failure is reported at once (with its seed), not shrunk for minutes; a slow machine runs fewer cases.
      { numRuns: 200, endOnFailure: true, interruptAfterTimeLimit: 60_000 },
    );
    // The runs did make the arena compact: the holes of taken records were reclaimed, not avoided.
    expect(compactions).toBeGreaterThan(0);
  });

  it('places an event measured as it is copied exactly where one measured first goes', () => {
    let measuredAsCopied = 0;
    let measuredFirst = 0;
    fc.assert(
      fc.property(limitsArbitrary, fc.array(op, { minLength: 100, maxLength: 400 }), (limits, ops) => {
        // Prepare: twin buffers; the engine's way (`holdUnmeasured`, else measured and `holdOne`), and
        // `holdOne` alone.
        const hooks = { full: () => {}, evicted: () => {}, invalidDestination: () => {}, drain: () => {} };
        const twins = [0, 1].map(() => {
          const ledger = new Ledger<Stream>();
          const buffers = new Buffers(limits, ledger, hooks);
          const streams = Array.from({ length: STREAMS }, (_, i) => buffers.stream('g', `s${i}`) as Stream);
          return { ledger, buffers, streams };
        });
        let clock = T0;
        for (const step of ops) {
          // Act
          if (step.op === 'log') {
            const timestamp = clock++;
            const events: LogEvent[] = step.texts.map((t, i) => ({
              timestamp,
              message: t,
              bytes: bytesOf(t),
              kind: i === 0 ? 'event' : 'piece',
            }));
            const message = step.texts[0] as string;
            const answers = twins.map(({ ledger, buffers, streams }, twin) => {
              ledger.logged();
              const stream = streams[step.stream] as Stream;
              if (events.length > 1) return buffers.holdMessage(stream, events, 'split');
              if (twin === 0) {
                if (buffers.holdUnmeasured(stream, timestamp, message, message.length * 3)) {
                  measuredAsCopied++;
                  return true;
                }
                measuredFirst++;
              }
              return buffers.holdOne(stream, timestamp, message, bytesOf(message));
            });
            expect(answers[0]).toBe(answers[1]);
          } else if (step.op === 'take') {
            const [a, b] = twins.map(({ buffers, streams }) => buffers.take(streams[step.stream] as Stream));
            expect(a).toEqual(b);
          } else for (const { buffers } of twins) buffers.dropAll();
          // Assess: the same records at the same offsets, the same counts.
          const [a, b] = twins.map(({ ledger, buffers, streams }) => ({
            records: buffers.arena.records,
            used: buffers.arena.usedBytes,
            span: buffers.arena.spanBytes,
            compactions: buffers.arena.compactions,
            lists: streams.map((stream) => ({ ...stream.buffer })),
            front: buffers.arena.front()?.logStreamName,
            stats: ledger.snapshot(1, 1),
          }));
          expect(a).toEqual(b);
        }
      }),
      { numRuns: 200, endOnFailure: true, interruptAfterTimeLimit: 60_000 },
    );
    // Both ways were taken: the one-pass copy, and the fallback near the bound or the arena's end.
    expect(measuredAsCopied).toBeGreaterThan(0);
    expect(measuredFirst).toBeGreaterThan(0);
  });

  it('compacts when a quiet stream holds the oldest event, and keeps it first', () => {
    // Prepare: a bound of a few events; a quiet stream's event ahead of a busy one's.
    const limits: BufferLimits = {
      maxBufferedEvents: 1_000,
      maxBufferedBytes: 1_000,
      highWaterMark: 1,
      onBufferFull: 'dropOldest',
      maxBatchEvents: 10,
      maxBatchBytes: 1_048_576,
      flushIntervalMs: 1_000,
      maxEventBytes: 226,
    };
    const ledger = new Ledger<Stream>();
    const buffers = new Buffers(limits, ledger, {
      full() {},
      evicted() {},
      invalidDestination() {},
      drain() {},
    });
    const quiet = buffers.stream('g', 'quiet') as Stream;
    const busy = buffers.stream('g', 'busy') as Stream;
    ledger.logged();
    buffers.holdOne(quiet, T0, 'first', 5);
    // Act: the busy stream logs and is taken, over many times the arena's size.
    for (let i = 0; i < 2_000; i++) {
      ledger.logged();
      buffers.holdOne(busy, T0 + i, `m${i}`.padEnd(100, '.'), 100);
      if (i % 3 === 2) buffers.take(busy);
    }
    // Assess: holes were reclaimed by compacting, nothing was evicted, the quiet event is still oldest.
    expect(buffers.arena.compactions).toBeGreaterThan(0);
    expect(ledger.snapshot(1, 1).dropped.overflow).toBe(0);
    expect(buffers.arena.front()).toBe(quiet);
    expect(buffers.take(quiet).map((e) => e.message)).toEqual(['first']);
  });

  it('evicts under dropOldest without decoding or moving a single event', () => {
    // Prepare: a full buffer of 1,000 events over 50 streams.
    const limits: BufferLimits = {
      maxBufferedEvents: 1_000,
      maxBufferedBytes: 1 << 20,
      highWaterMark: 1,
      onBufferFull: 'dropOldest',
      maxBatchEvents: 10_000,
      maxBatchBytes: 1_048_576,
      flushIntervalMs: 1_000,
    };
    const ledger = new Ledger<Stream>();
    let evictions = 0;
    const buffers = new Buffers(limits, ledger, {
      full() {},
      evicted() {
        evictions++;
      },
      invalidDestination() {},
      drain() {},
    });
    const streams = Array.from({ length: 50 }, (_, i) => buffers.stream('g', `s${i}`) as Stream);
    const message = 'x'.repeat(100);
    for (let i = 0; i < 1_000; i++) {
      ledger.logged();
      buffers.holdOne(streams[i % 50] as Stream, T0, message, 100);
    }
    const decodedBefore = buffers.arena.decoded;
    // Act: 100,000 more, each evicting the oldest.
    for (let i = 0; i < 100_000; i++) {
      ledger.logged();
      buffers.holdOne(streams[i % 50] as Stream, T0, message, 100);
    }
    // Assess: no event became an object again, no record was copied; the oldest were dropped.
    expect(buffers.arena.decoded).toBe(decodedBefore);
    expect(buffers.arena.compactions).toBe(0);
    expect(evictions).toBe(100_000);
    expect(buffers.arena.records).toBe(1_000);
    expect(ledger.snapshot(1, 1)).toMatchObject({ buffered: 1_000, dropped: { overflow: 100_000 } });
  });
});
