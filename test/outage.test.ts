// The endpoint down: while no request is answered, the shipper holds one batch under way, not
// `concurrency` of them, and takes them all up again once one is answered.
import { PutLogEventsCommand, type PutLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it, vi } from 'vitest';
import { cwl, expectBalanced, makeShipper, throttled, unavailable } from './support/shipper.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });

/**
 * An endpoint that answers each request after `latencyMs`, failing while `state.down`; it records
 * the most requests at once.
 */
function endpoint(latencyMs: number, fail: () => Error = refused) {
  const state = { down: true, open: 0, most: 0 };
  cwl.on(PutLogEventsCommand).callsFake(async () => {
    state.open++;
    state.most = Math.max(state.most, state.open);
    const down = state.down;
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
    state.open--;
    if (down) throw fail();
    return {};
  });
  return state;
}

describe('with the endpoint down', () => {
  it('holds one batch under way once those taken have failed, and all of them again after an answer', async () => {
    // Prepare: batches of 10 events, 8 at a time; each batch retried for 2 s at most.
    const state = endpoint(20);
    const shipper = makeShipper({
      maxBatchEvents: 10,
      concurrency: 8,
      perStreamConcurrency: 8,
      flushIntervalMs: 100,
      retry: { maxRetryTimeMs: 2_000 },
    });
    shipper.on('error', () => {});
    for (let i = 0; i < 1_000; i++) shipper.log(`event ${i}`);
    // Act 1: the first attempts, taken before anything had failed.
    await vi.advanceTimersByTimeAsync(150);
    // Assess 1
    expect(shipper.stats().inFlight).toBe(80);
    // Act 2: those eight fail for good; what is taken after them, sampled every 100 ms for 8 s.
    await vi.advanceTimersByTimeAsync(2_500);
    let most = 0;
    for (let t = 0; t < 80; t++) {
      await vi.advanceTimersByTimeAsync(100);
      most = Math.max(most, shipper.stats().inFlight);
    }
    // Assess 2: one batch at a time under way (drop markers, which weigh nothing, between them),
    // and batches still tried.
    expect(most).toBe(10);
    expect(shipper.stats().dropped.failed).toBeGreaterThanOrEqual(100);
    // Act 3: the endpoint answers again.
    state.down = false;
    state.most = 0;
    await vi.advanceTimersByTimeAsync(20_000);
    // Assess 3: what was held went out, several requests at once.
    expect(state.most).toBeGreaterThan(1);
    const stats = shipper.stats();
    expect(stats.buffered + stats.inFlight).toBe(0);
    expect(stats.sent + stats.dropped.failed).toBe(1_000);
    expectBalanced(shipper);
  });

  it('keeps taking batches while some requests are answered', async () => {
    // Prepare: every other request is refused a connection; each batch gets through on a retry.
    let calls = 0;
    cwl.on(PutLogEventsCommand).callsFake(async () => {
      const failing = calls++ % 2 === 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (failing) throw refused();
      return {};
    });
    const shipper = makeShipper({
      maxBatchEvents: 10,
      concurrency: 8,
      perStreamConcurrency: 8,
      flushIntervalMs: 100,
    });
    for (let i = 0; i < 1_000; i++) shipper.log(`event ${i}`);
    // Act: 100 batches, 8 at a time.
    await vi.advanceTimersByTimeAsync(2_000);
    // Assess: nearly all sent (the same as with no such rule; about 270 if every failure held the
    // shipper to one batch at a time until its own retry got through).
    expect(shipper.stats().sent).toBeGreaterThan(900);
  });

  it('lets the other batches go while one fails on its own', async () => {
    // Prepare: a 503 for the one batch that holds 'poison' (a fault its payload brings about).
    cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (input.logEvents?.some((event) => event.message === 'poison')) throw unavailable();
      return {};
    });
    const shipper = makeShipper({ maxBatchEvents: 10, flushIntervalMs: 100 });
    shipper.on('error', () => {});
    shipper.log('poison');
    // Act: the poison batch fails and retries alone; then other events come.
    await vi.advanceTimersByTimeAsync(500);
    for (let i = 0; i < 50; i++) shipper.log(`fine ${i}`);
    await vi.advanceTimersByTimeAsync(1_000);
    // Assess
    expect(shipper.stats().sent).toBe(50);
    expect(shipper.stats().inFlight).toBe(1);
  });

  it('is not set off by throttling: a throttled endpoint answers', async () => {
    // Prepare: every request throttled; fixed concurrency, so that only this rule is at work.
    endpoint(20, throttled);
    const shipper = makeShipper({
      maxBatchEvents: 10,
      concurrency: 8,
      perStreamConcurrency: 8,
      flushIntervalMs: 100,
      adaptiveConcurrency: false,
      retry: { maxRetryTimeMs: 2_000 },
    });
    shipper.on('error', () => {});
    for (let i = 0; i < 1_000; i++) shipper.log(`event ${i}`);
    // Act: past the first batches' retries.
    await vi.advanceTimersByTimeAsync(3_000);
    // Assess: several batches under way, not one.
    expect(shipper.stats().inFlight).toBeGreaterThan(10);
  });
});
