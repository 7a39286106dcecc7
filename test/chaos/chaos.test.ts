// The short chaos run, a few seconds per scenario; `npm run soak` runs the same scenarios for
// minutes against the build. Real timers and real HTTP: the fault schedules need time to pass.
import { CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { LogShipper } from '../../src/shipper.js';
import {
  cleanUp,
  clientFor,
  createGroup,
  expectSettled,
  GROUP,
  shipperFor,
  startEndpoint,
  threadUnderTest,
  until,
} from '../e2e/helpers.js';
import { checkResult, runScenario, SCENARIOS } from './scenarios.mjs';

afterEach(cleanUp);

/** A tenth of the soak's times: 20 s of throttling become 2 s, a 30 s outage 3 s. */
const SCALE = 0.1;
const EVENTS_PER_SECOND = 5_000;
const MiB = 1024 * 1024;

describe('chaos — steady logging through faults', () => {
  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))(
    'accounts for every event through %s',
    async (_name, scenario) => {
      // Prepare
      const run = {
        LogShipper,
        startEndpoint,
        scenario,
        scale: SCALE,
        eventsPerSecond: EVENTS_PER_SECOND,
        // Sends every 100 ms over 4 streams (about 40 requests a second), so that a 2 s fault
        // meets dozens of requests; backoff short enough for a run of seconds.
        shipperOptions: {
          flushIntervalMs: 100,
          retry: { minDelayMs: 5, maxDelayMs: 200 },
          ...threadUnderTest(),
        },
        closeTimeoutMs: 20_000,
      };

      // Act
      const result = await runScenario(run);

      // Assess
      expect(checkResult(result, { heapBoundBytes: 200 * MiB })).toEqual([]);
      expectSettled(result.shipper, result.endpoint);
      expect(result.stats.logged).toBe((scenario.lengthMs * SCALE * EVENTS_PER_SECOND) / 1_000);
    },
  );
});

describe('chaos — a batch waiting out its backoff', () => {
  /**
   * Stream `a`'s first attempt is throttled and its retry waits exactly 1 s (fixed jitter); stream
   * `b` logs right after, with the endpoint healthy again. Which of them is acknowledged first says
   * whether `b` was held behind `a`'s backoff, without measuring time.
   */
  const firstAcknowledged = async (adaptiveConcurrency: boolean) => {
    // Prepare
    const cwl = await startEndpoint({ faults: { throttleRate: 1 } });
    await createGroup(cwl);
    const client = clientFor(cwl);
    for (const logStreamName of ['a', 'b']) {
      await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName }));
    }
    const shipper = shipperFor(cwl, {
      concurrency: 2,
      perStreamConcurrency: 1,
      adaptiveConcurrency,
      flushIntervalMs: 10,
      retry: { minDelayMs: 2_000, maxDelayMs: 2_000 },
      random: () => 0.5,
    });
    const errors: unknown[] = [];
    shipper.on('error', (error) => errors.push(error));

    // Act
    shipper.log('#0 a', { logStreamName: 'a' });
    // Counted once the shipper has taken the throttle in (and cut its limit): the endpoint's own
    // count comes before the response is even read.
    await until(() => shipper.stats().retries === 1, "a's first attempt is throttled");
    cwl.setFaults({ throttleRate: 0 });
    let first: string | undefined;
    shipper.once('batch', (report) => {
      first = report.logStreamName;
    });
    shipper.log('#1 b', { logStreamName: 'b' });
    await shipper.close();

    // Assess (the order is the caller's)
    expectSettled(shipper, cwl);
    expect(shipper.stats()).toMatchObject({ logged: 2, sent: 2 });
    expect(errors).toEqual([]);
    return first;
  };

  it('does not hold other streams behind it at a fixed concurrency', async () => {
    expect(await firstAcknowledged(false)).toBe('b');
  });

  // A throttled batch waits out its backoff outside the request slots, so with adaptive
  // concurrency cut to one request in flight, another stream is not held up behind it.
  it('does not hold other streams behind it with adaptive concurrency', async () => {
    expect(await firstAcknowledged(true)).toBe('b');
  });
});
