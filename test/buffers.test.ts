import { describe, expect, it, vi } from 'vitest';
import { type BufferLimits, Buffers, EVENT_MEMORY_OVERHEAD_BYTES, STREAM_IDLE_MS } from '../src/buffers.js';
import type { Stream } from '../src/destination.js';
import type { LogEvent } from '../src/event.js';
import { Ledger } from '../src/ledger.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

const LIMITS: BufferLimits = {
  maxBufferedEvents: 1_000,
  maxBufferedBytes: 1 << 20,
  highWaterMark: 0.8,
  onBufferFull: 'dropOldest',
  maxBatchEvents: 10_000,
  maxBatchBytes: 1_048_576,
  flushIntervalMs: 1_000,
};

function makeBuffers(limits: Partial<BufferLimits> = {}) {
  const ledger = new Ledger<Stream>();
  const evicted: Stream[] = [];
  const invalid: unknown[] = [];
  const drain = vi.fn();
  const buffers = new Buffers({ ...LIMITS, ...limits }, ledger, {
    full: () => {},
    evicted: (s) => evicted.push(s),
    invalidDestination: (g, s) => invalid.push([g, s]),
    drain,
  });
  // The default stream, as the router makes it: pinned.
  const defaultStream = buffers.stream('g', 'default') as Stream;
  buffers.pin(defaultStream);
  /** Logs `message` to `stream`, as the shipper does: the ledger first, then the buffer. */
  const log = (stream: Stream, message: string, timestamp = T0): boolean => {
    ledger.logged();
    return buffers.holdOne(stream, timestamp, message, Buffer.byteLength(message));
  };
  return { buffers, defaultStream, ledger, evicted, invalid, drain, log };
}

function messages(events: LogEvent[]): string[] {
  return events.map((e) => e.message);
}

describe('Buffers — registry', () => {
  it('makes a stream on first use and returns the same one after', () => {
    const { buffers, defaultStream } = makeBuffers();
    const a = buffers.stream('g', 'a');
    expect(a).toBeDefined();
    expect(buffers.stream('g', 'a')).toBe(a);
    expect(buffers.lookup('g', 'a')).toBe(a);
    expect(buffers.lookup('g', 'never')).toBeUndefined();
    expect(buffers.stream('g', 'default')).toBe(defaultStream);
    expect(buffers.stream('other', 'default')?.logGroupName).toBe('other');
    expect(buffers.size).toBe(3);
  });

  it('refuses an invalid name, and says which', () => {
    const { buffers, invalid } = makeBuffers();
    expect(buffers.stream('g', 'a:b')).toBeUndefined();
    expect(buffers.stream('a group', 's')).toBeUndefined();
    expect(invalid).toEqual([
      ['g', 'a:b'],
      ['a group', 's'],
    ]);
    expect(buffers.size).toBe(1);
  });

  it('forgets a stream idle for STREAM_IDLE_MS, and never the default one', () => {
    // Prepare: one event each in 50 streams, all taken for sending.
    const { buffers, defaultStream, log } = makeBuffers();
    for (let i = 0; i < 50; i++) {
      const stream = buffers.stream('g', `s${i}`) as Stream;
      log(stream, 'x');
      buffers.take(stream);
    }
    const busy = buffers.stream('g', 'busy') as Stream;
    expect(buffers.size).toBe(52);
    // Act: sweeps for the idle time, while one stream keeps logging.
    const sweeps = STREAM_IDLE_MS / LIMITS.flushIntervalMs;
    for (let i = 0; i <= 2 * sweeps; i++) {
      log(busy, 'still here');
      buffers.take(busy);
      buffers.sweep();
    }
    // Assess
    expect(buffers.size).toBe(2);
    expect(buffers.stream('g', 'busy')).toBe(busy);
    expect(buffers.lookup('g', 'default')).toBe(defaultStream);
  });

  it('keeps a stream that still holds events or has requests in flight', () => {
    const { buffers, log } = makeBuffers();
    const holding = buffers.stream('g', 'holding') as Stream;
    log(holding, 'x');
    const sending = buffers.stream('g', 'sending') as Stream;
    log(sending, 'y');
    buffers.take(sending);
    sending.sending.active = 1;
    for (let i = 0; i <= (3 * STREAM_IDLE_MS) / LIMITS.flushIntervalMs; i++) buffers.sweep();
    expect(buffers.size).toBe(3);
    buffers.releaseIdle();
    expect(buffers.size).toBe(3);
    sending.sending.active = 0;
    buffers.take(holding);
    buffers.releaseIdle();
    expect(buffers.size).toBe(1);
  });
});

describe('Buffers — bounds and overflow', () => {
  it('evicts the event logged first across streams, whatever the number of streams', () => {
    // Prepare: 5,000 streams, logged to in turn, fill the buffer.
    const { buffers, ledger, log, evicted } = makeBuffers({ maxBufferedEvents: 5_000 });
    const streams = Array.from({ length: 5_000 }, (_, i) => buffers.stream('g', `s${i}`) as Stream);
    for (const [i, stream] of streams.entries()) log(stream, `m${i}`);
    // Act: three more events evict the three logged first.
    log(streams[4_999] as Stream, 'new-1');
    log(streams[0] as Stream, 'new-2');
    log(streams[10] as Stream, 'new-3');
    // Assess
    expect(evicted.map((s) => s.logStreamName)).toEqual(['s0', 's1', 's2']);
    expect(messages(buffers.take(streams[0] as Stream))).toEqual(['new-2']);
    expect(messages(buffers.take(streams[3] as Stream))).toEqual(['m3']);
    expect(ledger.snapshot(1, 1).dropped.overflow).toBe(3);
  });

  it('skips streams that were sent from when it looks for the oldest event', () => {
    const { buffers, log, evicted } = makeBuffers({ maxBufferedEvents: 3 });
    const [a, b] = [buffers.stream('g', 'a'), buffers.stream('g', 'b')] as Stream[];
    log(a as Stream, 'a1');
    log(b as Stream, 'b1');
    log(a as Stream, 'a2');
    buffers.take(a as Stream);
    log(b as Stream, 'b2');
    log(b as Stream, 'b3');
    log(a as Stream, 'a3');
    expect(evicted.map((s) => s.logStreamName)).toEqual(['b']);
    expect(messages(buffers.take(b as Stream))).toEqual(['b2', 'b3']);
  });

  it('drops the new event under dropNewest, counted at the door', () => {
    const { buffers, ledger, log, defaultStream } = makeBuffers({
      maxBufferedEvents: 2,
      onBufferFull: 'dropNewest',
    });
    const s = defaultStream;
    expect([log(s, 'a'), log(s, 'b'), log(s, 'c')]).toEqual([true, true, false]);
    expect(messages(buffers.take(s))).toEqual(['a', 'b']);
    expect(ledger.snapshot(1, 1)).toMatchObject({ logged: 3, inFlight: 2, dropped: { overflow: 1 } });
  });

  it('bounds memory as message bytes plus the bookkeeping per event', () => {
    const perEvent = 100 + EVENT_MEMORY_OVERHEAD_BYTES;
    const { log, defaultStream } = makeBuffers({
      maxBufferedBytes: 10 * perEvent,
      onBufferFull: 'dropNewest',
    });
    const results = Array.from({ length: 11 }, () => log(defaultStream, 'x'.repeat(100)));
    expect(results.filter(Boolean)).toHaveLength(10);
  });

  it('drops a split message whole, never a piece of it', () => {
    const { buffers, ledger, defaultStream } = makeBuffers({ maxBufferedEvents: 4 });
    const s = defaultStream;
    const piece = (kind: 'event' | 'piece', message: string): LogEvent => ({
      timestamp: T0,
      message,
      bytes: message.length,
      kind,
    });
    ledger.logged();
    buffers.holdMessage(s, [piece('event', '1a'), piece('piece', '1b'), piece('piece', '1c')], 'split');
    ledger.logged();
    buffers.holdMessage(s, [piece('event', '2a'), piece('piece', '2b')], 'split');
    expect(messages(buffers.take(s))).toEqual(['2a', '2b']);
    expect(ledger.snapshot(1, 1)).toMatchObject({
      logged: 2,
      inFlight: 1,
      dropped: { overflow: 1 },
      split: 2,
    });
  });

  it('says whether a message could ever fit, before it is cut into pieces', () => {
    const { buffers } = makeBuffers({ maxBufferedBytes: 10_000, maxBufferedEvents: 5 });
    expect(buffers.couldHold(5, 10_000 - 5 * EVENT_MEMORY_OVERHEAD_BYTES)).toBe(true);
    expect(buffers.couldHold(5, 10_000)).toBe(false);
    expect(buffers.couldHold(6, 10)).toBe(false);
  });
});

describe('Buffers — the arena', () => {
  it('stays near what is held while a quiet stream holds the oldest event and two others take turns', () => {
    // Prepare: one event held by a quiet stream, ahead of everything else.
    const { buffers, log } = makeBuffers({ maxBufferedEvents: 1_000_000 });
    const quiet = buffers.stream('g', 'quiet') as Stream;
    const [b, c] = [buffers.stream('g', 'b'), buffers.stream('g', 'c')] as Stream[];
    log(quiet, 'waits for its tick');
    // Act: 200,000 events alternating between two busy streams, each taken at once.
    let most = 0;
    for (let i = 0; i < 200_000; i++) {
      const stream = (i % 2 === 0 ? b : c) as Stream;
      log(stream, 'x');
      buffers.take(stream);
      most = Math.max(most, buffers.arena.spanBytes);
    }
    // Assess: the holes behind the quiet event are reclaimed; it is still there, and first.
    expect(most).toBeLessThanOrEqual(buffers.arena.capacity);
    expect(buffers.arena.records).toBe(1);
    expect(messages(buffers.take(quiet))).toEqual(['waits for its tick']);
  });
});

describe('Buffers — high water and drain', () => {
  it('answers false past the high-water mark, and drains once below it', () => {
    const { buffers, log, drain, defaultStream } = makeBuffers({ maxBufferedEvents: 10, highWaterMark: 0.5 });
    const s = defaultStream;
    for (let i = 0; i < 5; i++) log(s, `m${i}`);
    expect(buffers.accepting()).toBe(false);
    buffers.checkDrain();
    expect(drain).not.toHaveBeenCalled();
    buffers.take(s);
    buffers.checkDrain();
    buffers.checkDrain();
    expect(drain).toHaveBeenCalledTimes(1);
    expect(buffers.accepting()).toBe(true);
  });

  it('knows a full batch by count or by bytes', () => {
    const { buffers, log, defaultStream } = makeBuffers({ maxBatchEvents: 3, maxBatchBytes: 1_000 });
    const s = defaultStream;
    log(s, 'a');
    log(s, 'b');
    expect(buffers.hasFullBatch(s)).toBe(false);
    log(s, 'c');
    expect(buffers.hasFullBatch(s)).toBe(true);
    buffers.take(s);
    log(s, 'x'.repeat(1_000 - 26));
    expect(buffers.hasFullBatch(s)).toBe(true);
  });

  it('drops everything buffered as closed, counted once', () => {
    const { buffers, ledger, log, defaultStream } = makeBuffers();
    const other = buffers.stream('g', 'other') as Stream;
    log(defaultStream, 'a');
    log(other, 'b');
    log(other, 'c');
    expect(buffers.dropAll().map((s) => s.logStreamName)).toEqual(['default', 'other']);
    expect(ledger.snapshot(1, 1)).toMatchObject({ logged: 3, buffered: 0, dropped: { closed: 3 } });
    expect([...buffers.streamsWithEvents]).toEqual([]);
  });
});
