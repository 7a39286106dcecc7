import { afterEach, describe, expect, it } from 'vitest';
import {
  byTimeThenSeq,
  captureBodies,
  cleanUp,
  clientFor,
  createGroup,
  expectBytesAgree,
  expectSettled,
  GROUP,
  shipperFor,
  startEndpoint,
  watchWarnings,
  withoutIngestionTime,
  yieldToLoop,
} from './helpers.js';

afterEach(cleanUp);

interface Logged {
  timestamp: number;
  message: string;
}

describe('end to end — clean run', () => {
  it('delivers 200,000 events over 4 streams, every one accepted once and in order per stream', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const client = clientFor(cwl);
    const bodies = captureBodies(client, 'PutLogEvents');
    const shipper = shipperFor(cwl, { client });
    const warnings = watchWarnings();
    const streams = ['web-1', 'web-2', 'worker-1', 'worker-2'];
    const perStream = 50_000;
    const logged = new Map<string, Logged[]>(streams.map((s) => [s, []]));
    // A minute ago onwards, three events per millisecond: ties that must keep their logged order.
    const start = Date.now() - 60_000;

    // Act
    for (let i = 0; i < perStream; i++) {
      for (const stream of streams) {
        const event = {
          timestamp: start + Math.floor(i / 3),
          message: `#${i} ${stream} request served in ${i % 97} ms`,
        };
        (logged.get(stream) as Logged[]).push(event);
        // A host that respects backpressure: log() says when the buffer passes its high-water mark.
        if (!shipper.log(event, { logStreamName: stream })) await shipper.flush();
      }
      if (i % 250 === 0) await yieldToLoop();
    }
    const closed = await shipper.close();

    // Assess
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ logged: 200_000, sent: 200_000, retries: 0, truncated: 0, split: 0 });
    expect(stats.dropped).toSatisfy((dropped: object) => Object.values(dropped).every((n) => n === 0));
    expect(local.eventsAccepted).toBe(200_000);
    // Streams are created on the fly, once each; the requests that found one missing were resent.
    expect(local.requests.CreateLogStream).toBe(streams.length);
    expect(local.requests.PutLogEvents).toBeGreaterThanOrEqual(stats.batches + streams.length);
    expect(local.rejected).toEqual({ tooOld: 0, tooNew: 0, expired: 0 });
    expectBytesAgree(stats, local);
    for (const stream of streams) {
      const stored = withoutIngestionTime(cwl.events(GROUP, stream));
      // Batches of one stream go out concurrently, so arrival order across batches is not
      // chronological; each batch was (no outOfOrder violation), and the stream as a whole is.
      expect(stored.sort(byTimeThenSeq)).toEqual(logged.get(stream));
    }
    // On the wire: the documented members only, and never a sequence token.
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies as { logEvents: object[] }[]) {
      expect(Object.keys(body).sort()).toEqual(['logEvents', 'logGroupName', 'logStreamName']);
      for (const event of body.logEvents) expect(Object.keys(event).sort()).toEqual(['message', 'timestamp']);
    }
    expect(await warnings.stop()).toEqual([]);
  });

  it('stores a stream in exactly the logged order when one request per stream is in flight', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    // This shipper makes its own client from clientConfig.
    const shipper = shipperFor(cwl, { perStreamConcurrency: 1, maxBatchEvents: 1_000 });
    const start = Date.now() - 60_000;
    const logged: Logged[][] = [[], []];

    // Act
    for (let i = 0; i < 10_000; i++) {
      for (const [s, events] of logged.entries()) {
        // Runs of 7 events share a millisecond, and runs cross batch boundaries.
        const event = { timestamp: start + Math.floor(i / 7), message: `#${i} in stream ${s}` };
        events.push(event);
        shipper.log(event, { logStreamName: `ordered-${s}` });
      }
    }
    await shipper.flush();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ logged: 20_000, sent: 20_000 });
    // 10 batches per stream, and the first of each found its stream missing and was resent.
    expect(stats.batches).toBe(20);
    expect(local.requests.PutLogEvents).toBe(22);
    for (const [s, events] of logged.entries()) {
      expect(withoutIngestionTime(cwl.events(GROUP, `ordered-${s}`))).toEqual(events);
    }
  });
});
