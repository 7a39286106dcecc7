import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryError } from '../../src/errors.js';
import {
  cleanUp,
  createGroup,
  expectSettled,
  FAST_RETRY,
  GROUP,
  seqOf,
  shipperFor,
  startEndpoint,
  until,
  watchWarnings,
  yieldToLoop,
} from './helpers.js';

afterEach(cleanUp);

/** Long enough never to end by itself: each test ends the outage once it has seen what it needs. */
const OUTAGE_MS = 60_000;

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('end to end — endpoint down, then back', () => {
  it.each([
    ['dropOldest', 'main', range(3_100, 8_100)],
    ['dropNewest', 'main', range(100, 5_100)],
    ['dropOldest', 'worker', range(3_100, 8_100)],
    ['dropNewest', 'worker', range(100, 5_100)],
  ] as const)(
    'delivers what fits the buffer and counts the overflow exactly (%s, %s thread)',
    async (onBufferFull, thread, kept) => {
      // Prepare: nothing is taken for sending before the flush (no full batch, no interval tick),
      // so the buffer alone holds what is logged during the outage.
      const cwl = await startEndpoint();
      await createGroup(cwl);
      const maxBufferedEvents = 5_000;
      const shipper = shipperFor(cwl, {
        maxBufferedEvents,
        onBufferFull,
        flushIntervalMs: 3_600_000,
        retry: FAST_RETRY,
        thread,
      });
      const warnings = watchWarnings();
      for (let i = 0; i < 100; i++) shipper.log(`#${i} before`);
      await shipper.flush();

      // Act
      cwl.setFaults({ downForMs: OUTAGE_MS });
      for (let i = 100; i < 8_100; i++) shipper.log(`#${i} during`);
      const during = shipper.stats();
      const flushing = shipper.flush();
      await until(() => shipper.stats().retries >= 5, 'the shipper has retried through the outage');
      cwl.setFaults({ downForMs: 0 });
      const flushed = await flushing;

      // Assess: on the main thread the buffer is full as log() returns; in worker mode it fills as
      // the worker reads what log() wrote, and what it has not read yet is counted as buffered too.
      if (thread === 'main') {
        expect(during).toMatchObject({ buffered: maxBufferedEvents, inFlight: 0 });
        expect(during.dropped.overflow).toBe(8_000 - maxBufferedEvents);
      } else {
        expect(during.buffered + during.dropped.overflow).toBe(8_000);
      }
      expect(flushed).toEqual({ complete: true, remaining: 0 });
      const { stats, local } = expectSettled(shipper, cwl);
      expect(local.faults.down).toBeGreaterThanOrEqual(5);
      expect(stats).toMatchObject({ logged: 8_100, sent: 100 + maxBufferedEvents });
      expect(stats.dropped.overflow).toBe(8_000 - maxBufferedEvents);
      expect(stats.logged - stats.sent).toBe(stats.dropped.overflow);
      expect(local.eventsAccepted).toBe(stats.sent);
      expect(cwl.events(GROUP, 'default').map((e) => seqOf(e.message))).toEqual([...range(0, 100), ...kept]);
      expect(await warnings.stop()).toEqual([]);
    },
  );

  it('keeps retrying what is in flight while the buffer overflows, then delivers the rest', async () => {
    // Prepare: a shipper sending as it goes, 4 requests of 250 events at most in flight for the stream.
    // On the main thread, where a turn of the loop between bursts decides exactly what is taken.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const maxBufferedEvents = 2_000;
    const perStreamConcurrency = 4;
    const maxBatchEvents = 250;
    const shipper = shipperFor(cwl, {
      maxBufferedEvents,
      maxBatchEvents,
      perStreamConcurrency,
      flushIntervalMs: 10,
      retry: FAST_RETRY,
      thread: 'main',
    });
    const errors: unknown[] = [];
    shipper.on('error', (error) => errors.push(error));
    let seq = 0;
    const logBurst = async (count: number) => {
      for (const end = seq + count; seq < end; seq++) shipper.log(`#${seq} while running`);
      await yieldToLoop();
    };
    await logBurst(1_000);
    await shipper.flush();

    // Act: 6,000 events in bursts of 500 while the endpoint is down.
    cwl.setFaults({ downForMs: OUTAGE_MS });
    for (let burst = 0; burst < 12; burst++) await logBurst(500);
    await until(
      () => shipper.stats().retries >= 2 * perStreamConcurrency,
      'every request in flight has failed',
    );
    const during = shipper.stats();
    cwl.setFaults({ downForMs: 0 });
    await shipper.close();

    // Assess
    const inFlight = perStreamConcurrency * maxBatchEvents;
    expect(during).toMatchObject({ inFlight, buffered: maxBufferedEvents });
    const { stats, local } = expectSettled(shipper, cwl);
    const overflow = 6_000 - inFlight - maxBufferedEvents;
    expect(stats.dropped.overflow).toBe(overflow);
    expect(stats).toMatchObject({ logged: 7_000, sent: 7_000 - overflow });
    expect(local.eventsAccepted).toBe(stats.sent);
    // What was in flight when the outage began arrives; the oldest buffered events made room for
    // the newest, so the loss is one run in the middle, exactly as long as the overflow count.
    const stored = cwl
      .events(GROUP, 'default')
      .map((e) => seqOf(e.message))
      .sort((a, b) => a - b);
    expect(stored).toEqual([...range(0, 1_000 + inFlight), ...range(1_000 + inFlight + overflow, 7_000)]);
    expect(errors).toEqual([]);
  });

  it('delivers a split message whole or counts it dropped, never a part of it', async () => {
    // Prepare: messages of 1 to 4 pieces, one piece per request, one request at a time.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, {
      maxEventBytes: 1_024,
      maxBatchBytes: 1_024,
      oversizedEvents: 'split',
      maxBufferedEvents: 20,
      perStreamConcurrency: 1,
      flushIntervalMs: 5,
      retry: FAST_RETRY,
    });
    const t = Date.now();
    const logged = Array.from({ length: 200 }, (_, i) => `#${i} ${'é'.repeat((i * 397) % 1_800)}`);

    // Act
    cwl.setFaults({ downForMs: OUTAGE_MS });
    for (const [i, message] of logged.entries()) {
      shipper.log({ message, timestamp: t + i });
      if (i % 10 === 0) await yieldToLoop();
    }
    await until(() => shipper.stats().retries >= 3, 'the first request has failed');
    cwl.setFaults({ downForMs: 0 });
    await shipper.close();

    // Assess
    const { stats } = expectSettled(shipper, cwl);
    const joined = new Map<number, string>();
    for (const { timestamp, message } of cwl.events(GROUP, 'default')) {
      joined.set(timestamp - t, (joined.get(timestamp - t) ?? '') + message);
    }
    for (const [i, message] of joined) expect(message).toBe(logged[i]);
    expect(stats.dropped.overflow).toBeGreaterThan(0);
    expect(joined.size).toBe(logged.length - stats.dropped.overflow);
    expect(stats.sent).toBe(joined.size);
  });

  it('creates its group and stream once an endpoint that was down at start comes up', async () => {
    // Prepare
    const cwl = await startEndpoint({ faults: { downForMs: OUTAGE_MS } });
    const shipper = shipperFor(cwl, { createLogGroup: true, retentionInDays: 14, retry: FAST_RETRY });
    const errors: unknown[] = [];
    shipper.on('error', (error) => errors.push(error));

    // Act
    for (let i = 0; i < 100; i++) shipper.log(`#${i} early`);
    const flushing = shipper.flush();
    await until(() => shipper.stats().retries >= 3, 'the first attempts have failed');
    cwl.setFaults({ downForMs: 0 });
    await flushing;

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats.sent).toBe(100);
    expect(local.requests).toMatchObject({ CreateLogGroup: 1, PutRetentionPolicy: 1 });
    expect(cwl.events(GROUP, 'default')).toHaveLength(100);
    expect(errors).toEqual([]);
  });

  it('gives up after maxRetryTimeMs when the endpoint stays down, counting and reporting the loss', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { maxBatchEvents: 100, retry: { ...FAST_RETRY, maxRetryTimeMs: 200 } });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    shipper.log('#0 before');
    await shipper.flush();

    // Act
    cwl.setFaults({ downForMs: OUTAGE_MS });
    for (let i = 1; i <= 500; i++) shipper.log(`#${i} lost`);
    const flushed = await shipper.flush();

    // Assess
    expect(flushed).toEqual({ complete: true, remaining: 0 });
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ logged: 501, sent: 1, dropped: expect.objectContaining({ failed: 500 }) });
    expect(local.eventsAccepted).toBe(1);
    // Five batches gave up within the same minute: one report, counting the others.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reason: 'failed', logGroupName: GROUP, events: 100 });
    expect(errors[0]?.message).not.toContain('lost');
  });

  it('closes within its timeout while the endpoint hangs, counting what is left as closed', async () => {
    // Prepare: every response is held back far longer than the close may take.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { maxBatchEvents: 100, retry: FAST_RETRY });
    shipper.log('#0 before');
    await shipper.flush();
    cwl.setFaults({ latencyMs: OUTAGE_MS });

    // Act
    for (let i = 1; i <= 1_000; i++) shipper.log(`#${i} unanswered`);
    const during = await shipper.flush({ timeoutMs: 50 });
    const closed = await shipper.close({ timeoutMs: 50 });

    // Assess
    expect(during).toEqual({ complete: false, remaining: 1_000 });
    expect(closed).toEqual({ complete: false, dropped: 1_000 });
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({
      logged: 1_001,
      sent: 1,
      dropped: expect.objectContaining({ closed: 1_000 }),
    });
    // The endpoint stores before it answers: what it got may be stored though the shipper gave up on it.
    expect(local.eventsAccepted).toBeGreaterThanOrEqual(1);
  });
});
