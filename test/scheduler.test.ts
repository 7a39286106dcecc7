import { describe, expect, it } from 'vitest';
import type { Batch } from '../src/batcher.js';
import { type BufferLimits, Buffers } from '../src/buffers.js';
import type { Stream } from '../src/destination.js';
import type { LogEvent } from '../src/event.js';
import { Ledger } from '../src/ledger.js';
import { Markers } from '../src/markers.js';
import { Scheduler, type SchedulerOptions } from '../src/scheduler.js';
import type { SenderPort } from '../src/sender.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

/**
 * A sender that holds every batch until the test settles it, with an in-flight counter: concurrency
 * is asserted by counting, never by timing.
 */
class FakeSender implements SenderPort {
  readonly sent: { stream: string; events: LogEvent[]; settle: () => void }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(public concurrency: number) {}
  get hasCapacity(): boolean {
    return this.inFlight < this.concurrency;
  }
  schedule(stream: Stream, batch: Batch): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve) => {
      this.sent.push({
        stream: stream.logStreamName,
        events: batch.events,
        settle: () => {
          this.inFlight--;
          resolve();
        },
      });
    });
  }
  abort(): void {}
  /** Settles the oldest batch still held, and lets the scheduler hear of it. */
  async settleNext(): Promise<void> {
    const next = this.sent.find((s) => s.settle !== noop);
    if (next === undefined) throw new Error('nothing in flight');
    const { settle } = next;
    next.settle = noop;
    settle();
    await flushMicrotasks();
  }
}

function noop(): void {}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

function setUp(
  options: { concurrency?: number; perStream?: number; maxBatchEvents?: number; markers?: boolean } = {},
) {
  const limits: BufferLimits = {
    maxBufferedEvents: 1_000_000,
    maxBufferedBytes: 1 << 30,
    highWaterMark: 1,
    onBufferFull: 'dropOldest',
    maxBatchEvents: options.maxBatchEvents ?? 2,
    maxBatchBytes: 1_048_576,
    flushIntervalMs: 1_000,
  };
  const ledger = new Ledger<Stream>();
  const buffers = new Buffers(limits, ledger, {
    full: (s) => scheduler.held(s),
    evicted: () => {},
    invalidDestination: () => {},
    drain: () => {},
  });
  const sender = new FakeSender(options.concurrency ?? 8);
  const markers = options.markers ? new Markers(() => T0, 1_000) : undefined;
  const schedulerOptions: SchedulerOptions = {
    perStreamConcurrency: options.perStream ?? 4,
    maxEventBytes: 1_048_576,
    maxBatchBytes: limits.maxBatchBytes,
    maxBatchEvents: limits.maxBatchEvents,
    retentionInDays: undefined,
    now: () => T0,
  };
  const scheduler = new Scheduler(
    buffers,
    sender,
    ledger,
    markers,
    schedulerOptions,
    () => {},
    (error) => {
      throw error;
    },
  );
  const stream = (name: string) => buffers.stream('g', name) as Stream;
  const log = (s: Stream, message: string): void => {
    ledger.logged();
    buffers.holdOne(s, T0, message, Buffer.byteLength(message));
  };
  return { buffers, ledger, sender, scheduler, markers, stream, log };
}

describe('Scheduler', () => {
  it('sends a full batch at once, and a partial one only when drained', async () => {
    const { sender, scheduler, stream, log } = setUp();
    const a = stream('a');
    log(a, '1');
    await flushMicrotasks();
    expect(sender.sent).toHaveLength(0);
    log(a, '2');
    await flushMicrotasks();
    expect(sender.sent.map((s) => s.events.map((e) => e.message))).toEqual([['1', '2']]);
    log(a, '3');
    scheduler.drainAll();
    expect(sender.sent.map((s) => s.events.map((e) => e.message))).toEqual([['1', '2'], ['3']]);
  });

  it('never schedules past the sender capacity, nor perStreamConcurrency for one stream', async () => {
    // Prepare: 3 streams with 10 full batches each; capacity 4, 2 per stream.
    const { sender, scheduler, stream, log } = setUp({ concurrency: 4, perStream: 2 });
    const streams = ['a', 'b', 'c'].map(stream);
    for (const s of streams) for (let i = 0; i < 20; i++) log(s, `${s.logStreamName}${i}`);
    scheduler.drainAll();
    // Act: settle everything, one at a time.
    const perStream = new Map<string, number>();
    let maxPerStream = 0;
    while (sender.sent.some((s) => s.settle !== noop)) {
      perStream.clear();
      for (const s of sender.sent)
        if (s.settle !== noop) perStream.set(s.stream, (perStream.get(s.stream) ?? 0) + 1);
      maxPerStream = Math.max(maxPerStream, ...perStream.values());
      await sender.settleNext();
    }
    // Assess
    expect(sender.maxInFlight).toBe(4);
    expect(maxPerStream).toBe(2);
    expect(sender.sent.flatMap((s) => s.events)).toHaveLength(60);
  });

  it('gives streams turns round-robin', async () => {
    const { sender, scheduler, stream, log } = setUp({ concurrency: 1, perStream: 1 });
    const [a, b] = [stream('a'), stream('b')];
    for (let i = 0; i < 6; i++) log(a as Stream, `a${i}`);
    for (let i = 0; i < 6; i++) log(b as Stream, `b${i}`);
    scheduler.drainAll();
    for (let i = 0; i < 5; i++) await sender.settleNext();
    expect(sender.sent.map((s) => s.stream)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('gives a stream with a backlog every other request however many streams hold a few events', async () => {
    // Prepare: one request at a time; 'busy' holds 20 full batches, 30 streams hold one event each.
    const { sender, scheduler, stream, log } = setUp({ concurrency: 1, perStream: 1 });
    const busy = stream('busy');
    const few = Array.from({ length: 30 }, (_, i) => stream(`few${i}`));
    for (const s of few) log(s, 'x');
    for (let i = 0; i < 40; i++) log(busy, `b${i}`);
    scheduler.drainAll();
    // Act: the first 20 requests.
    for (let i = 0; i < 19; i++) await sender.settleNext();
    // Assess: alternating, the busy stream first (it has a full batch), and no stream with few
    // events waits for the busy stream's whole backlog.
    const order = sender.sent.map((s) => s.stream);
    expect(order.filter((name) => name === 'busy')).toHaveLength(10);
    expect(order.slice(0, 4)).toEqual(['busy', 'few0', 'busy', 'few1']);
  });

  it('parks a stream whose creation is under way until its request settles', async () => {
    // Prepare: a stream being created, with one request waiting for it and more to send.
    const { sender, stream, log } = setUp({ concurrency: 4, perStream: 4 });
    const created = stream('new');
    for (let i = 0; i < 2; i++) log(created, `n${i}`);
    await flushMicrotasks();
    expect(sender.sent).toHaveLength(1);
    created.creation.creating = new Promise(() => {});
    for (let i = 2; i < 6; i++) log(created, `n${i}`);
    await flushMicrotasks();
    // Assess: nothing more while it is created; its turn comes back once the request settles.
    expect(sender.sent).toHaveLength(1);
    created.creation.creating = undefined;
    await sender.settleNext();
    expect(sender.sent.length).toBeGreaterThan(1);
  });

  it('touches only streams with work when it pumps, however many streams hold events', async () => {
    // Prepare: 50,000 streams with one event each (no full batch), watched through the buffers.
    const { buffers, scheduler, stream, log } = setUp();
    const streams = Array.from({ length: 50_000 }, (_, i) => stream(`s${i}`));
    for (const s of streams) log(s, 'x');
    let looked = 0;
    const hasFullBatch = buffers.hasFullBatch.bind(buffers);
    buffers.hasFullBatch = (s: Stream) => {
      looked++;
      return hasFullBatch(s);
    };
    // Act: one stream fills a batch, and a few pumps run.
    log(streams[123] as Stream, 'y');
    await flushMicrotasks();
    scheduler.pump();
    scheduler.pump();
    // Assess: a handful of looks, not 50,000.
    expect(looked).toBeLessThan(10);
  });

  it('sends a carried batch that holds only a drop marker alongside the stream’s other requests', async () => {
    // Prepare: a stream that lost events is owed a marker; its next request is full, so the
    // marker goes in a request of its own.
    const { sender, scheduler, stream, markers, log } = setUp({ markers: true, perStream: 4 });
    const a = stream('a');
    markers?.note(a, 'overflow', 5);
    log(a, '1');
    log(a, '2');
    await flushMicrotasks();
    // Act
    scheduler.pump();
    // Assess: the marker batch went out while the first request is still in flight.
    expect(sender.sent.map((s) => s.events.map((e) => e.kind))).toEqual([['event', 'event'], ['marker']]);
  });

  it('holds a batch that goes on with a split message until the requests before it settle', async () => {
    // Prepare: one message in three pieces, one piece per request.
    const { buffers, ledger, sender, scheduler, stream } = setUp({ maxBatchEvents: 1 });
    const a = stream('a');
    const piece = (kind: 'event' | 'piece', message: string): LogEvent => ({
      timestamp: T0,
      message,
      bytes: message.length,
      kind,
    });
    ledger.logged();
    buffers.holdMessage(a, [piece('event', 'p1'), piece('piece', 'p2'), piece('piece', 'p3')], 'split');
    // Act
    scheduler.drainAll();
    const first = sender.sent.length;
    await sender.settleNext();
    const second = sender.sent.length;
    await sender.settleNext();
    // Assess
    expect([first, second, sender.sent.length]).toEqual([1, 2, 3]);
    expect(sender.sent.map((s) => s.events[0]?.message)).toEqual(['p1', 'p2', 'p3']);
  });

  it('resolves a flush once every stream was taken up to what it held, and not before', async () => {
    const { sender, scheduler, stream, log } = setUp({ concurrency: 1 });
    const [a, b] = [stream('a'), stream('b')];
    log(a as Stream, 'a1');
    log(b as Stream, 'b1');
    let taken = false;
    const drain = scheduler.drainForFlush();
    void drain.taken.then(() => {
      taken = true;
    });
    await flushMicrotasks();
    expect(taken).toBe(false);
    await sender.settleNext();
    expect(taken).toBe(true);
    expect(sender.sent.map((s) => s.stream)).toEqual(['a', 'b']);
  });

  it('resolves a flush at once when nothing is buffered or carried', async () => {
    const { scheduler } = setUp();
    let taken = false;
    void scheduler.drainForFlush().taken.then(() => {
      taken = true;
    });
    await flushMicrotasks();
    expect(taken).toBe(true);
  });

  it('forgets cancelled flushes instead of piling them up on a stuck stream', async () => {
    // Prepare: a sender with no capacity, so nothing is ever taken.
    const { sender, scheduler, stream, log } = setUp();
    sender.concurrency = 0;
    const a = stream('a');
    log(a, 'stuck');
    // Act
    for (let i = 0; i < 100; i++) scheduler.drainForFlush().cancel();
    // Assess
    expect(a.sending.targets.length).toBe(1);
  });

  it('drops carried batches as closed, counted once', async () => {
    // Prepare: two events a day and more apart make two requests; the second is carried.
    const { buffers, ledger, sender, scheduler, stream } = setUp({ concurrency: 1 });
    const a = stream('a');
    for (const timestamp of [T0 - 25 * 3_600_000, T0]) {
      ledger.logged();
      buffers.holdOne(a, timestamp, 'x', 1);
    }
    scheduler.drainAll();
    expect(sender.sent).toHaveLength(1);
    expect(a.sending.carry).toHaveLength(1);
    // Act
    scheduler.dropCarried();
    // Assess
    expect(a.sending.carry).toHaveLength(0);
    expect(ledger.snapshot(1, 1)).toMatchObject({ logged: 2, inFlight: 1, dropped: { closed: 1 } });
  });
});
