/**
 * One bad event must not cost its neighbours, and a request that fails for the client's own reasons
 * (a skewed clock, a credentials provider that fails once) costs nothing: through the real SDK, over
 * real HTTP, against the local endpoint (issue 12, §1 and §2).
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryError } from '../../src/errors.js';
import { EVENT_LIMIT_WARNING_CODE } from '../../src/event-limit.js';
import { LEGACY_MAX_EVENT_BYTES } from '../../src/limits.js';
import type { LogShipperOptions } from '../../src/options.js';
import type { LocalCloudWatchLogsOptions } from '../../src/testing/index.js';
import {
  cleanUp,
  clientFor,
  createGroup,
  expectBalanced,
  expectSettled,
  FAST_RETRY,
  GROUP,
  seqOf,
  shipperFor,
  startEndpoint,
  watchWarnings,
} from './helpers.js';

afterEach(cleanUp);

/** One refused event among n costs at most 2·⌈log₂ n⌉ extra requests (README, Delivery guarantees). */
const bound = (n: number): number => 2 * Math.ceil(Math.log2(n));

/** `count` small events, numbered, one second apart in event time from `t`. */
function smallEvents(count: number, t: number): { message: string; timestamp: number }[] {
  return Array.from({ length: count }, (_, i) => ({ message: `#${i} small event`, timestamp: t + i }));
}

/**
 * Logs `inputs` in one burst through a fresh endpoint and shipper, closes, and returns what it saw:
 * the same run against an endpoint without the fault is the baseline the extra requests are
 * counted from.
 */
async function run(
  inputs: { message: string; timestamp: number }[],
  endpoint: LocalCloudWatchLogsOptions,
  options: Partial<LogShipperOptions> = {},
  withClient?: (client: CloudWatchLogsClient) => void,
) {
  const cwl = await startEndpoint(endpoint);
  await createGroup(cwl);
  const client = clientFor(cwl);
  withClient?.(client);
  const shipper = shipperFor(cwl, { client, retry: FAST_RETRY, perStreamConcurrency: 1, ...options });
  const errors: DeliveryError[] = [];
  shipper.on('error', (error) => errors.push(error));
  for (const input of inputs) shipper.log(input);
  const closed = await shipper.close();
  return { cwl, shipper, errors, closed, stored: cwl.events(GROUP, 'default') };
}

describe('end to end — one bad event among thousands', () => {
  it('loses only the event over an endpoint’s old 256 KB limit, and fits later ones to the learned limit', async () => {
    // Prepare: 5,000 small events with one of 300,000 bytes in the middle, as one burst.
    const t = Date.now() - 60_000;
    const inputs = smallEvents(5000, t);
    inputs.splice(2500, 0, { message: `#5000 ${'x'.repeat(300_000)}`, timestamp: t + 2500 });
    const endpoint = { maxEventBytes: LEGACY_MAX_EVENT_BYTES };
    const baseline = await run(inputs, {});
    const warnings = watchWarnings();

    // Act
    const cwl = await startEndpoint(endpoint);
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { retry: FAST_RETRY, perStreamConcurrency: 1 });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    for (const input of inputs) shipper.log(input);
    await shipper.flush();
    // Later: the limit is learned, so a large event is truncated to fit and stored, with no refusal.
    shipper.log({ message: `#5001 ${'y'.repeat(300_000)}`, timestamp: t + 5001 });
    shipper.log({ message: '#5002 small event', timestamp: t + 5002 });
    const closed = await shipper.close();

    // Assess
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ logged: 5003, sent: 5002, truncated: 1, buffered: 0, inFlight: 0 });
    expect(stats.dropped.rejected).toBe(1);
    const local = cwl.stats();
    // One refused request: the one that taught the limit.
    expect(local.violations).toMatchObject({ eventTooLarge: 1, total: 1 });
    const stored = cwl.events(GROUP, 'default');
    const seqs = stored.map((e) => seqOf(e.message));
    expect(seqs).toEqual([...Array.from({ length: 5000 }, (_, i) => i), 5001, 5002]);
    const truncated = stored.find((e) => seqOf(e.message) === 5001)?.message ?? '';
    expect(Buffer.byteLength(truncated) + 26).toBeLessThanOrEqual(LEGACY_MAX_EVENT_BYTES);
    expect(truncated).toMatch(/…\[truncated \d+ bytes\]$/);
    // The extra requests, counted from the same burst against an endpoint with the current limit.
    const extra = (local.requests.PutLogEvents ?? 0) - (baseline.cwl.stats().requests.PutLogEvents ?? 0);
    expect(extra).toBeLessThanOrEqual(bound(5001));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      reason: 'rejected',
      events: 1,
      awsErrorName: 'InvalidParameterException',
    });
    const said = (await warnings.stop()).filter(
      (w) => (w as { code?: string }).code === EVENT_LIMIT_WARNING_CODE,
    );
    expect(said).toHaveLength(1);
    expect(said[0]?.message).toContain(String(LEGACY_MAX_EVENT_BYTES));
  });

  it('finds an event the endpoint refuses by bisection, keeping split messages whole and in order', async () => {
    // Prepare: 4,000 small events, split messages of 3 pieces among them, and one event that goes
    // out with an empty message (rewritten on its way, as a client bug might), which the endpoint
    // refuses with the whole request: "Log event N has an empty message."
    const t = Date.now() - 60_000;
    const inputs = smallEvents(4000, t);
    for (let i = 0; i < 4000; i += 500)
      inputs[i] = { message: `#${i} ${'s'.repeat(5000)}`, timestamp: t + i };
    inputs[2222] = { message: '#2222 POISON', timestamp: t + 2222 };
    const options = { maxEventBytes: 2048, oversizedEvents: 'split' as const };
    const poison = (client: CloudWatchLogsClient): void => {
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { logEvents?: { timestamp: number; message: string }[] };
          // A copy: the shipper's own events stay as logged.
          if (input.logEvents?.some((e) => e.message === '#2222 POISON')) {
            const logEvents = input.logEvents.map((e) =>
              e.message === '#2222 POISON' ? { ...e, message: '' } : e,
            );
            return next({ ...args, input: { ...input, logEvents } });
          }
          return next(args);
        },
        { step: 'initialize', name: 'e2ePoison' },
      );
    };
    const baseline = await run(inputs, {}, options);

    // Act
    const { cwl, shipper, errors, closed, stored } = await run(inputs, {}, options, poison);

    // Assess
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ logged: 4000, sent: 3999, buffered: 0, inFlight: 0 });
    expect(stats.dropped.rejected).toBe(1);
    // Exactly what the baseline stored, less the refused event, in the same order: the pieces of
    // each split message one after the other.
    const expected = baseline.stored.filter((e) => e.message !== '#2222 POISON').map((e) => e.message);
    expect(stored.map((e) => e.message)).toEqual(expected);
    for (let i = 0; i < 4000; i += 500) {
      const pieces = stored.filter((e) => e.timestamp === t + i).map((e) => e.message);
      expect(pieces).toHaveLength(3);
      expect(pieces.join('')).toBe(`#${i} ${'s'.repeat(5000)}`);
    }
    const local = cwl.stats();
    // Refused: the batch, and one half at each level down to the event alone.
    expect(local.violations.emptyMessage).toBeGreaterThan(1);
    expect(local.violations.total).toBe(local.violations.emptyMessage);
    const extra = (local.requests.PutLogEvents ?? 0) - (baseline.cwl.stats().requests.PutLogEvents ?? 0);
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(bound(4000));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reason: 'rejected', events: 1 });
  });
});

describe('end to end — requests refused for the client’s own reasons', () => {
  it('stores a start-up burst of 20,000 events when the host’s clock is 10 minutes off', async () => {
    // Prepare: the group made first; then the endpoint's clock runs 10 minutes ahead, so every
    // request in flight at the start is refused ("Signature expired") until the SDK corrects it.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    cwl.setFaults({ clockSkewMs: 10 * 60_000 });
    const shipper = shipperFor(cwl, { maxBatchEvents: 500, retry: FAST_RETRY });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    const total = 20_000;
    const t = Date.now();

    // Act
    for (let i = 0; i < total; i++) shipper.log({ message: `#${i} burst`, timestamp: t + i });
    const closed = await shipper.close();

    // Assess
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const { stats, local } = expectSettled(shipper, cwl);
    expect(local.faults.signatureExpired).toBeGreaterThan(0);
    expect(stats).toMatchObject({ logged: total, sent: total });
    expect(stats.retries).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    const seqs = new Set(cwl.events(GROUP, 'default').map((e) => seqOf(e.message)));
    expect(seqs.size).toBe(total);
  });

  it('stores every event when the credentials provider throws once', async () => {
    // Prepare: a custom provider that fails the first time it is asked (a metadata endpoint that
    // timed out at start-up), then answers.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    let calls = 0;
    const shipper = shipperFor(cwl, {
      clientConfig: {
        ...cwl.clientConfig(),
        credentials: async () => {
          calls++;
          if (calls === 1) throw new Error('connect ETIMEDOUT 169.254.169.254:80');
          return { accessKeyId: 'local', secretAccessKey: 'local' };
        },
      },
      maxBatchEvents: 500,
      retry: FAST_RETRY,
    });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    const total = 20_000;
    const t = Date.now();

    // Act
    for (let i = 0; i < total; i++) shipper.log({ message: `#${i} burst`, timestamp: t + i });
    const closed = await shipper.close();

    // Assess
    expect(calls).toBeGreaterThan(1);
    expect(closed).toEqual({ complete: true, dropped: 0 });
    const { stats } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ logged: total, sent: total });
    expect(stats.retries).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(new Set(cwl.events(GROUP, 'default').map((e) => seqOf(e.message))).size).toBe(total);
  });
});
