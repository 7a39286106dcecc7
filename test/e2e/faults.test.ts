import { CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUp,
  clientFor,
  createGroup,
  expectSettled,
  FAST_RETRY,
  GROUP,
  seqOf,
  shipperFor,
  startEndpoint,
  until,
  watchWarnings,
} from './helpers.js';

afterEach(cleanUp);

describe('end to end — faults', () => {
  it('delivers every event through 30% throttling, 10% 503s and 2% connection resets', async () => {
    // Prepare
    // With the streams made up front, the seed alone decides which requests fail: 3 of the resets
    // with seed 1 come after the events were stored.
    const cwl = await startEndpoint({
      seed: 1,
      faults: { throttleRate: 0.3, unavailableRate: 0.1, resetRate: 0.02 },
    });
    await createGroup(cwl);
    const streams = ['a', 'b', 'c', 'd'];
    // Created up front: which requests get a fault then depends on the seed alone, not on how many
    // requests raced to find a stream missing.
    const client = clientFor(cwl);
    for (const logStreamName of streams) {
      await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName }));
    }
    // Its own client, from clientConfig; no `error` listener: a DeliveryError would become a warning.
    const shipper = shipperFor(cwl, { maxBatchEvents: 250, retry: FAST_RETRY });
    const warnings = watchWarnings();
    const total = 40_000;
    const t = Date.now();

    // Act
    for (let i = 0; i < total; i++) {
      shipper.log({ message: `#${i} payload`, timestamp: t + i }, { logStreamName: streams[i % 4] });
    }
    const closed = await shipper.close();

    // Assess
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const { stats, local } = expectSettled(shipper, cwl);
    const { faults } = local;
    expect(faults.throttled).toBeGreaterThan(0);
    expect(faults.unavailable).toBeGreaterThan(0);
    expect(faults.resetAfterStore).toBeGreaterThan(0);
    expect(faults.reset).toBeGreaterThan(faults.resetAfterStore);
    expect(stats).toMatchObject({ logged: total, sent: total, buffered: 0, inFlight: 0 });
    expect(Object.values(stats.dropped).every((n) => n === 0)).toBe(true);
    // Every failed attempt was retried once, and only faulted attempts failed.
    expect(stats.retries).toBe(faults.throttled + faults.unavailable + faults.reset);
    expect(local.requests.PutLogEvents).toBe(stats.batches + stats.retries);
    // Duplicates come only from the resets that happened after the events were stored.
    expect(local.eventsAccepted - faults.eventsStoredBeforeReset).toBe(stats.sent);
    const copies = new Map<number, number>();
    for (const stream of streams) {
      for (const event of cwl.events(GROUP, stream)) {
        const seq = seqOf(event.message);
        expect(streams[seq % 4]).toBe(stream);
        expect(event.timestamp).toBe(t + seq);
        copies.set(seq, (copies.get(seq) ?? 0) + 1);
      }
    }
    expect(copies.size).toBe(total);
    const duplicates = [...copies.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBe(faults.eventsStoredBeforeReset);
    // Nothing reached the host: no DeliveryError (it would be a warning here), no leak warning.
    expect(await warnings.stop()).toEqual([]);
  });

  it('keeps the pieces of split messages in order through throttling, with requests in parallel', async () => {
    // Prepare: messages of 2 to 3 pieces, a piece per request, 4 requests of a stream at once.
    const cwl = await startEndpoint({ faults: { throttleRate: 0.3 } });
    await createGroup(cwl);
    const shipper = shipperFor(cwl, {
      maxEventBytes: 4_096,
      maxBatchBytes: 4_096,
      oversizedEvents: 'split',
      perStreamConcurrency: 4,
      retry: FAST_RETRY,
    });
    const t = Date.now();
    const logged = Array.from({ length: 200 }, (_, i) => `#${i} ${String(i % 10).repeat(5_000 + 17 * i)}`);

    // Act
    for (const [i, message] of logged.entries()) shipper.log({ message, timestamp: t + i });
    await shipper.close();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ sent: 200, split: 200 });
    expect(local.faults.throttled).toBeGreaterThan(0);
    // The pieces share their message's timestamp: only the order they are stored in joins them.
    const joined = new Map<number, string>();
    for (const { timestamp, message } of cwl.events(GROUP, 'default')) {
      joined.set(timestamp - t, (joined.get(timestamp - t) ?? '') + message);
    }
    expect([...joined.entries()].sort(([a], [b]) => a - b).map(([, message]) => message)).toEqual(logged);
  });

  it('slows down under a requests-per-second limit and still delivers everything', async () => {
    // Prepare
    const cwl = await startEndpoint({ faults: { tpsLimit: 10 } });
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { maxBatchEvents: 100, retry: FAST_RETRY });
    const errors: unknown[] = [];
    shipper.on('error', (error) => errors.push(error));

    // Act
    for (let i = 0; i < 1_500; i++) shipper.log(`#${i} rate limited`);
    await shipper.close();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(local.faults.tpsThrottled).toBeGreaterThan(0);
    expect(stats).toMatchObject({ sent: 1_500, batches: 15, retries: local.faults.tpsThrottled });
    expect(local.eventsAccepted).toBe(1_500);
    expect(errors).toEqual([]);
  });

  it('creates streams at a throttled CreateLogStream rate while an existing stream keeps sending', async () => {
    // Prepare: CreateLogStream limited to 10 a second; one stream exists, 40 do not.
    const cwl = await startEndpoint({ faults: { createLogStreamTpsLimit: 10 } });
    await createGroup(cwl);
    await clientFor(cwl).send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'busy' }));
    const shipper = shipperFor(cwl, { concurrency: 4, maxBatchEvents: 100, retry: FAST_RETRY });
    const errors: unknown[] = [];
    shipper.on('error', (error) => errors.push(error));
    const created = () => cwl.stats().requests.CreateLogStream ?? 0;

    // Act: one event for each new stream, then 2,000 for the busy one.
    for (let s = 0; s < 40; s++) shipper.log(`hello ${s}`, { logStreamName: `new-${s}` });
    const flushed = shipper.flush();
    for (let i = 0; i < 2_000; i++) shipper.log(`#${i} busy`, { logStreamName: 'busy' });
    await until(() => cwl.events(GROUP, 'busy').length === 2_000, 'the busy stream is delivered');
    const storedNewStreams = Array.from(
      { length: 60 },
      (_, s) => cwl.events(GROUP, `new-${s}`).length,
    ).filter((n) => n > 0).length;
    const concurrencyMeanwhile = shipper.stats().concurrency;
    await flushed;
    await shipper.close();

    // Assess: the busy stream did not wait for the creations (at 10 a second, 40 take over 3 s), whose
    // throttles were retried on their own and left the PutLogEvents limit alone.
    expect(storedNewStreams).toBeLessThan(40);
    expect(concurrencyMeanwhile).toBe(4);
    const { stats, local } = expectSettled(shipper, cwl);
    expect(local.faults.createLogStreamThrottled).toBeGreaterThan(0);
    expect(created()).toBeGreaterThan(41);
    expect(stats).toMatchObject({ sent: 2_040, concurrency: 4 });
    expect(errors).toEqual([]);
  });

  it('abandons a request the endpoint holds past requestTimeoutMs, retries it, and counts the duplicates', async () => {
    // Prepare: every answer comes 3 s late, though the events are stored at once, as when the
    // answer is lost on a slow network.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    await clientFor(cwl).send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'default' }));
    cwl.setFaults({ latencyMs: 3_000 });
    const shipper = shipperFor(cwl, { requestTimeoutMs: 200, retry: FAST_RETRY });
    const errors: Error[] = [];
    shipper.on('error', (error) => errors.push(error));
    const total = 50;
    const t = Date.now();
    // Act: once a request was abandoned (nothing else here retries), answers come at once again.
    for (let i = 0; i < total; i++) shipper.log({ message: `#${i} late`, timestamp: t + i });
    const closing = shipper.close();
    await until(() => shipper.stats().retries >= 1, 'a request is abandoned');
    cwl.setFaults({ latencyMs: 0 });
    const closed = await closing;
    // Assess: all sent; the abandoned attempts were stored too, so they appear twice.
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ logged: total, sent: total });
    expect(errors).toEqual([]);
    const stored = cwl.events(GROUP, 'default').map((event) => seqOf(event.message));
    expect(new Set(stored).size).toBe(total);
    expect(stored.length).toBe(local.eventsAccepted);
    expect(stored.length).toBeGreaterThan(total);
    expect(local.requests.PutLogEvents).toBe(stats.batches + stats.retries);
  });
});
