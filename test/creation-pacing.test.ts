// Creations outside the PutLogEvents request slots: paced at the account's creation quota, retried
// on their own, and kept away from the PutLogEvents adaptive limit. In-flight counters in the mocked
// client, never timing.
import {
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type PutLogEventsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it, vi } from 'vitest';
import { CREATE_LOG_STREAM_PER_SECOND } from '../src/creation.js';
import { RatePacer } from '../src/pacer.js';
import { cwl, expectBalanced, makeShipper, throttled } from './support/shipper.js';

/**
 * The double: 'busy' exists; every other stream is missing until its CreateLogStream succeeds.
 * PutLogEvents take 10 ms; creations are held until `release()` (and answered at once from then
 * on), or answered by `createStream`.
 */
function account(createStream?: (name: string) => Promise<void>) {
  const existing = new Set(['busy']);
  const held: (() => void)[] = [];
  let released = false;
  const counts = { putsInFlight: 0, peakPuts: 0, creationsInFlight: 0, peakCreations: 0, busyEvents: 0 };
  cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
    const name = input.logStreamName as string;
    if (!existing.has(name)) {
      throw new ResourceNotFoundException({
        message: 'The specified log stream does not exist.',
        $metadata: {},
      });
    }
    counts.putsInFlight++;
    counts.peakPuts = Math.max(counts.peakPuts, counts.putsInFlight);
    await new Promise((r) => setTimeout(r, 10));
    counts.putsInFlight--;
    if (name === 'busy') counts.busyEvents += input.logEvents?.length ?? 0;
    return {};
  });
  cwl.on(CreateLogStreamCommand).callsFake(async ({ logStreamName }: { logStreamName: string }) => {
    counts.creationsInFlight++;
    counts.peakCreations = Math.max(counts.peakCreations, counts.creationsInFlight);
    try {
      if (createStream) await createStream(logStreamName);
      else if (!released) await new Promise<void>((resolve) => held.push(resolve));
    } finally {
      counts.creationsInFlight--;
    }
    existing.add(logStreamName);
    return {};
  });
  return {
    counts,
    release: () => {
      released = true;
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

describe('Creation — outside the request slots', () => {
  it('keeps an existing stream sending while the creations of many new streams are under way', async () => {
    // Prepare: two request slots; 40 new streams whose creations hang, and a busy stream.
    const double = account();
    const shipper = makeShipper({ concurrency: 2, perStreamConcurrency: 2, maxBatchEvents: 10 });
    for (let s = 0; s < 40; s++) shipper.log('hello', { logStreamName: `new-${s}` });
    // Act
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 200; i++) shipper.log(`busy ${i}`, { logStreamName: 'busy' });
    await vi.advanceTimersByTimeAsync(500);
    // Assess: all 40 creations in flight at once, none holding a slot, and the busy stream delivered.
    expect(double.counts.peakCreations).toBe(40);
    expect(double.counts.busyEvents).toBe(200);
    expect(double.counts.peakPuts).toBe(2);
    double.release();
    await vi.advanceTimersByTimeAsync(1_000);
    await flushing;
    expect(expectBalanced(shipper)).toMatchObject({ sent: 240, inFlight: 0 });
  });

  it('paces creations at the account quota, a second’s worth at once', async () => {
    // Prepare: 120 new streams; creations are held.
    const double = account();
    const shipper = makeShipper({ concurrency: 8 });
    for (let s = 0; s < 120; s++) shipper.log('hello', { logStreamName: `new-${s}` });
    // Act
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(10);
    const atOnce = cwl.commandCalls(CreateLogStreamCommand).length;
    await vi.advanceTimersByTimeAsync(990);
    const afterOneSecond = cwl.commandCalls(CreateLogStreamCommand).length;
    double.release();
    await vi.advanceTimersByTimeAsync(2_000);
    await flushing;
    // Assess
    expect(atOnce).toBeGreaterThanOrEqual(CREATE_LOG_STREAM_PER_SECOND);
    expect(atOnce).toBeLessThanOrEqual(CREATE_LOG_STREAM_PER_SECOND + 1);
    expect(afterOneSecond).toBeLessThanOrEqual(2 * CREATE_LOG_STREAM_PER_SECOND + 1);
    expect(afterOneSecond).toBeGreaterThan(CREATE_LOG_STREAM_PER_SECOND);
    expect(cwl.commandCalls(CreateLogStreamCommand)).toHaveLength(120);
    expect(double.counts.peakCreations).toBe(afterOneSecond);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 120 });
  });

  it('retries a throttled creation on its own, without cutting the PutLogEvents concurrency', async () => {
    // Prepare: adaptive concurrency at 4; the first three creations are throttled.
    let refusals = 3;
    const double = account(async () => {
      if (refusals-- > 0) throw throttled();
    });
    const shipper = makeShipper({
      concurrency: 4,
      perStreamConcurrency: 4,
      maxBatchEvents: 1,
      adaptiveConcurrency: true,
    });
    const errors: unknown[] = [];
    shipper.on('error', (error) => errors.push(error));
    // Act: one new stream, then enough busy batches to fill every slot after the throttles.
    shipper.log('hello', { logStreamName: 'new' });
    const first = shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(30_000);
    await first;
    const concurrencyAfterCreation = shipper.stats().concurrency;
    for (let i = 0; i < 40; i++) shipper.log(`busy ${i}`, { logStreamName: 'busy' });
    const second = shipper.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await second;
    // Assess: the creation was tried four times, the event delivered, and the puts still ran 4 at once.
    expect(cwl.commandCalls(CreateLogStreamCommand)).toHaveLength(4);
    expect(errors).toEqual([]);
    expect(concurrencyAfterCreation).toBe(4);
    expect(double.counts.peakPuts).toBe(4);
    expect(expectBalanced(shipper)).toMatchObject({
      sent: 41,
      dropped: expect.objectContaining({ failed: 0 }),
    });
  });
});

describe('RatePacer', () => {
  it('admits a second’s worth at once, then spaces starts at the rate', () => {
    const pacer = new RatePacer(5, 0.2);
    const waits = Array.from({ length: 7 }, () => pacer.reserve(0));
    expect(waits).toEqual([0, 0, 0, 0, 0, 200, 400]);
  });

  it('halves the rate on a throttle, once a second and not for requests that started before, and grows it back by about 1/s per second of successes', () => {
    const pacer = new RatePacer(50, 0.5);
    pacer.throttled(400, 500);
    pacer.throttled(600, 1_000);
    expect(pacer.rate).toBe(25); // within a second of the cut
    pacer.throttled(450, 1_600);
    expect(pacer.rate).toBe(25); // started before the cut
    pacer.throttled(600, 1_600);
    expect(pacer.rate).toBe(12.5);
    for (let i = 0; i < 13; i++) pacer.succeeded();
    expect(pacer.rate).toBeGreaterThan(13);
    expect(pacer.rate).toBeLessThan(14);
  });

  it('never goes below its floor', () => {
    const pacer = new RatePacer(5, 0.2);
    for (let t = 0; t < 20_000; t += 1_000) pacer.throttled(t, t);
    expect(pacer.rate).toBe(0.2);
  });
});
