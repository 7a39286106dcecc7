import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  type PutLogEventsCommandInput,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, DeliveryError } from '../src/errors.js';
import { MAX_EVENT_AGE_MS } from '../src/limits.js';
import { LogShipper } from '../src/shipper.js';
import {
  cwl,
  expectBalanced,
  makeShipper,
  putInputs,
  sentMessages,
  shippers,
  T0,
  throttled,
  unavailable,
} from './support/shipper.js';
import { type CapturedWarning, captureWarnings } from './support/warnings.js';

describe('LogShipper — sending', () => {
  it('sends what was logged, in order, with no sequence token', async () => {
    // Prepare
    const shipper = makeShipper();
    // Act
    shipper.log('first');
    shipper.log({ message: 'second', timestamp: T0 + 5 });
    shipper.log({ message: 'zeroth', timestamp: T0 - 5 });
    const result = await shipper.flush();
    // Assess
    expect(result).toEqual({ complete: true, remaining: 0 });
    const inputs = putInputs();
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toEqual({
      logGroupName: '/test/group',
      logStreamName: 'stream-1',
      logEvents: [
        { timestamp: T0 - 5, message: 'zeroth' },
        { timestamp: T0, message: 'first' },
        { timestamp: T0 + 5, message: 'second' },
      ],
    });
    expect(inputs[0]).not.toHaveProperty('sequenceToken');
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ logged: 3, sent: 3, batches: 1, buffered: 0, inFlight: 0, retries: 0 });
    expect(stats.bytesSent).toBe('first'.length + 'second'.length + 'zeroth'.length + 3 * 26);
  });

  it('sends on the interval without being asked', async () => {
    const shipper = makeShipper({ flushIntervalMs: 500 });
    shipper.log('tick');
    await vi.advanceTimersByTimeAsync(499);
    expect(putInputs()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sentMessages()).toEqual(['tick']);
    expect(expectBalanced(shipper).sent).toBe(1);
  });

  it('sends a full batch at once, without waiting for the interval', async () => {
    const shipper = makeShipper({ flushIntervalMs: 60_000, maxBatchEvents: 10 });
    for (let i = 0; i < 25; i++) shipper.log(`m${i}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(putInputs().map((i) => i.logEvents?.length)).toEqual([10, 10]);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 20, buffered: 5 });
  });

  it('routes events to the destination given with them', async () => {
    const shipper = makeShipper();
    shipper.log('a', { logStreamName: 'other' });
    shipper.log('b', { logGroupName: '/other/group', logStreamName: 'x' });
    shipper.log('c');
    await shipper.flush();
    const byStream = new Map(putInputs().map((i) => [`${i.logGroupName}|${i.logStreamName}`, i.logEvents]));
    expect(byStream.get('/test/group|other')?.map((e) => e.message)).toEqual(['a']);
    expect(byStream.get('/other/group|x')?.map((e) => e.message)).toEqual(['b']);
    expect(byStream.get('/test/group|stream-1')?.map((e) => e.message)).toEqual(['c']);
  });

  it('emits a batch event for each acknowledged request', async () => {
    const shipper = makeShipper();
    const batches: unknown[] = [];
    shipper.on('batch', (b) => batches.push(b));
    shipper.log('one');
    await shipper.flush();
    expect(batches).toEqual([
      expect.objectContaining({
        logGroupName: '/test/group',
        logStreamName: 'stream-1',
        events: 1,
        attempts: 1,
      }),
    ]);
  });
});

describe('LogShipper — retries', () => {
  it.each([
    ['throttling', throttled],
    ['a 503', unavailable],
    ['a network error', () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a socket hang up', () => new Error('socket hang up')],
  ])('retries %s, then succeeds', async (_name, failure) => {
    cwl.on(PutLogEventsCommand).rejectsOnce(failure()).resolves({});
    const shipper = makeShipper();
    const errors: unknown[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('survives');
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await flushing).toEqual({ complete: true, remaining: 0 });
    expect(sentMessages()).toEqual(['survives', 'survives']);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1, retries: 1 });
    expect(errors).toEqual([]);
  });

  it('waits a full-jitter backoff that grows with each attempt', async () => {
    cwl.on(PutLogEventsCommand).rejects(throttled());
    const shipper = makeShipper({ random: () => 0.999, retry: { minDelayMs: 100, maxDelayMs: 1000 } });
    shipper.log('x');
    void shipper.flush();
    const attemptsAt = (ms: number) => vi.advanceTimersByTimeAsync(ms).then(() => putInputs().length);
    // Waits with random() = 0.999: 99, 199, 399, 799, then capped at maxDelayMs: 999, 999 …
    expect(await attemptsAt(0)).toBe(1);
    expect(await attemptsAt(98)).toBe(1);
    expect(await attemptsAt(1)).toBe(2); // t = 99
    expect(await attemptsAt(198)).toBe(2);
    expect(await attemptsAt(1)).toBe(3); // t = 298
    expect(await attemptsAt(399)).toBe(4); // t = 697
    expect(await attemptsAt(799)).toBe(5); // t = 1496
    expect(await attemptsAt(998)).toBe(5);
    expect(await attemptsAt(1)).toBe(6); // t = 2495
  });

  it('drops a batch as rejected on a non-retryable error and reports it once', async () => {
    cwl
      .on(PutLogEventsCommand)
      .rejects(
        new InvalidParameterException({ message: 'Log event too large', $metadata: { httpStatusCode: 400 } }),
      );
    const shipper = makeShipper({ maxBatchEvents: 1 });
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('secret body 1');
    shipper.log('secret body 2');
    shipper.log('secret body 3');
    await shipper.flush();
    const stats = expectBalanced(shipper);
    expect(stats.dropped.rejected).toBe(3);
    expect(stats.retries).toBe(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeliveryError);
    expect(errors[0]?.awsErrorName).toBe('InvalidParameterException');
    expect(errors[0]?.reason).toBe('rejected');
    expect(errors[0]?.message).toContain('/test/group');
    expect(errors[0]?.message).not.toContain('secret body');
  });

  it('reports identical errors again after a minute, counting the ones in between', async () => {
    cwl.on(PutLogEventsCommand).rejects(new InvalidParameterException({ message: 'bad', $metadata: {} }));
    // No timer tick in the minute: the failure after it is the one that reports those held back.
    const shipper = makeShipper({ flushIntervalMs: 3_600_000 });
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('a');
    await shipper.flush();
    shipper.log('b');
    await shipper.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    shipper.log('c');
    await shipper.flush();
    expect(errors.map((e) => [e.events, e.repeated])).toEqual([
      [1, 0],
      [2, 1],
    ]);
  });

  it('reports failures held back once their minute is over, even when no other failure follows', async () => {
    cwl.on(PutLogEventsCommand).rejects(new InvalidParameterException({ message: 'bad', $metadata: {} }));
    const shipper = makeShipper({ maxBatchEvents: 1 });
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    // Act: one failure reported, three more held back, then nothing.
    for (const message of ['a', 'b', 'c', 'd']) {
      shipper.log(message);
      await shipper.flush();
    }
    expect(errors.map((e) => [e.events, e.repeated])).toEqual([[1, 0]]);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    // Assess: the last one held back, with the other two as `repeated`, and the events of all three.
    expect(errors.map((e) => [e.events, e.repeated])).toEqual([
      [1, 0],
      [3, 2],
    ]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(errors).toHaveLength(2);
  });

  it('reports failures held back when it closes', async () => {
    cwl.on(PutLogEventsCommand).rejects(new InvalidParameterException({ message: 'bad', $metadata: {} }));
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('a');
    await shipper.flush();
    shipper.log('b');
    await shipper.close();
    expect(errors.map((e) => [e.events, e.repeated])).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('gives up after maxRetryTimeMs, drops the batch as failed and reports it', async () => {
    cwl.on(PutLogEventsCommand).rejects(throttled());
    const shipper = makeShipper({ retry: { maxRetryTimeMs: 5_000, minDelayMs: 100, maxDelayMs: 1_000 } });
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('doomed');
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(4_900);
    expect(shipper.stats().inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await flushing).toEqual({ complete: true, remaining: 0 });
    const stats = expectBalanced(shipper);
    expect(stats.dropped.failed).toBe(1);
    expect(stats.retries).toBeGreaterThan(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reason: 'failed', awsErrorName: 'ThrottlingException' });
  });

  it('drops events that aged past 14 days during an outage instead of sending them', async () => {
    cwl.on(PutLogEventsCommand).rejectsOnce(unavailable()).resolves({});
    // Without drop markers: the one owed for 'old' would go out on its own at a tick (tested apart).
    const shipper = makeShipper({
      retry: { minDelayMs: 60_000, maxDelayMs: 60_000, maxRetryTimeMs: 600_000 },
      dropMarkers: false,
    });
    shipper.log({ message: 'old', timestamp: T0 - MAX_EVENT_AGE_MS + 10_000 });
    shipper.log({ message: 'fresh', timestamp: T0 - MAX_EVENT_AGE_MS + 3_600_000 });
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    await flushing;
    expect(putInputs().map((i) => i.logEvents?.map((e) => e.message))).toEqual([['old', 'fresh'], ['fresh']]);
    expect(expectBalanced(shipper)).toMatchObject({
      sent: 1,
      dropped: expect.objectContaining({ tooOld: 1 }),
    });
  });

  it('abandons a request unanswered after requestTimeoutMs and retries it', async () => {
    // Prepare: the first request never gets an answer (a hung connection); the second does.
    cwl
      .on(PutLogEventsCommand)
      .callsFakeOnce(() => new Promise(() => {}))
      .resolves({});
    const shipper = makeShipper({ requestTimeoutMs: 5_000 });
    const errors: unknown[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('once stuck');
    // Act
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(4_999);
    // Assess: still waiting on the first request, holding its slot.
    expect(putInputs()).toHaveLength(1);
    expect(shipper.stats().inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await flushing).toEqual({ complete: true, remaining: 0 });
    expect(putInputs()).toHaveLength(2);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1, retries: 1 });
    expect(errors).toEqual([]);
  });

  it('hands the SDK a signal that aborts at requestTimeoutMs, and reports a request that always hangs', async () => {
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise(() => {}));
    const send = vi.spyOn(CloudWatchLogsClient.prototype, 'send');
    const shipper = makeShipper({ requestTimeoutMs: 1_000, retry: { maxRetryTimeMs: 10_000 } });
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('never answered');
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    const signal = (send.mock.calls[0]?.[1] as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(signal?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(15_000);
    await flushing;
    send.mockRestore();
    expect(expectBalanced(shipper).dropped.failed).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/within 1000 ms/);
    expect(errors[0]?.message).not.toContain('never answered');
  });

  it('waits as long as the connection lasts with requestTimeoutMs 0', async () => {
    let answer: (value: object) => void = () => {};
    cwl.on(PutLogEventsCommand).callsFakeOnce(() => new Promise((resolve) => (answer = resolve)));
    const shipper = makeShipper({ requestTimeoutMs: 0 });
    shipper.log('slow');
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(putInputs()).toHaveLength(1);
    answer({});
    expect(await flushing).toEqual({ complete: true, remaining: 0 });
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1, retries: 0 });
  });

  it('counts the events in rejectedLogEventsInfo as dropped and does not retry them', async () => {
    cwl.on(PutLogEventsCommand).resolves({
      rejectedLogEventsInfo: {
        tooOldLogEventEndIndex: 2,
        expiredLogEventEndIndex: 3,
        tooNewLogEventStartIndex: 5,
      },
    });
    const shipper = makeShipper();
    for (let i = 0; i < 6; i++) shipper.log({ message: `e${i}`, timestamp: T0 + i });
    await shipper.flush();
    expect(putInputs()).toHaveLength(1);
    const stats = expectBalanced(shipper);
    expect(stats.sent).toBe(2);
    expect(stats.dropped).toMatchObject({ tooOld: 2, expired: 1, tooNew: 1 });
  });
});

describe('LogShipper — missing groups and streams', () => {
  it('creates a missing stream once under 20 concurrent batches, then resends', async () => {
    let streamExists = false;
    cwl.on(PutLogEventsCommand).callsFake(async () => {
      if (!streamExists) {
        throw new ResourceNotFoundException({
          message: 'The specified log stream does not exist.',
          $metadata: {},
        });
      }
      return {};
    });
    cwl.on(CreateLogStreamCommand).callsFake(async () => {
      await new Promise((r) => setTimeout(r, 50));
      streamExists = true;
      return {};
    });
    const shipper = makeShipper({ maxBatchEvents: 1, concurrency: 20, perStreamConcurrency: 20 });
    for (let i = 0; i < 20; i++) shipper.log(`e${i}`);
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(100);
    await flushing;
    expect(cwl.commandCalls(CreateLogStreamCommand)).toHaveLength(1);
    expect(cwl.commandCalls(CreateLogGroupCommand)).toHaveLength(0);
    expect(new Set(sentMessages())).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `e${i}`)));
    expect(expectBalanced(shipper)).toMatchObject({ sent: 20, retries: 0 });
  });

  it('creates a missing group with its retention when allowed', async () => {
    let exists = false;
    cwl.on(PutLogEventsCommand).callsFake(async () => {
      if (!exists) throw new ResourceNotFoundException({ message: 'no group', $metadata: {} });
      return {};
    });
    cwl
      .on(CreateLogStreamCommand)
      .rejectsOnce(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }),
      )
      .callsFake(async () => {
        exists = true;
        return {};
      });
    cwl.on(CreateLogGroupCommand).resolves({});
    cwl.on(PutRetentionPolicyCommand).resolves({});
    const shipper = makeShipper({ createLogGroup: true, retentionInDays: 7 });
    shipper.log('hello');
    await shipper.flush();
    expect(cwl.commandCalls(CreateLogGroupCommand)[0]?.args[0].input).toEqual({
      logGroupName: '/test/group',
    });
    expect(cwl.commandCalls(PutRetentionPolicyCommand)[0]?.args[0].input).toEqual({
      logGroupName: '/test/group',
      retentionInDays: 7,
    });
    expect(expectBalanced(shipper).sent).toBe(1);
  });

  it('treats ResourceAlreadyExists as success', async () => {
    let calls = 0;
    cwl.on(PutLogEventsCommand).callsFake(async () => {
      if (calls++ === 0) throw new ResourceNotFoundException({ message: 'no stream', $metadata: {} });
      return {};
    });
    cwl
      .on(CreateLogStreamCommand)
      .rejects(new ResourceAlreadyExistsException({ message: 'exists', $metadata: {} }));
    const shipper = makeShipper();
    shipper.log('hello');
    await shipper.flush();
    expect(expectBalanced(shipper).sent).toBe(1);
  });

  it('rejects the batch when the group is missing and may not be created', async () => {
    cwl
      .on(PutLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no group', $metadata: {} }));
    cwl
      .on(CreateLogStreamCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }),
      );
    const shipper = makeShipper({ createLogGroup: false });
    const errors: DeliveryError[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('lost');
    await shipper.flush();
    expect(cwl.commandCalls(CreateLogGroupCommand)).toHaveLength(0);
    expect(expectBalanced(shipper).dropped.rejected).toBe(1);
    expect(errors[0]?.awsErrorName).toBe('ResourceNotFoundException');
  });

  it('does not create a stream when createLogStream is false', async () => {
    cwl
      .on(PutLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no stream', $metadata: {} }));
    const shipper = makeShipper({ createLogStream: false });
    shipper.on('error', () => {});
    shipper.log('lost');
    await shipper.flush();
    expect(cwl.commandCalls(CreateLogStreamCommand)).toHaveLength(0);
    expect(expectBalanced(shipper).dropped.rejected).toBe(1);
  });
});

describe('LogShipper — concurrency', () => {
  /** Holds every PutLogEvents until released, recording the peak in flight overall and per stream. */
  function instrument() {
    let inFlight = 0;
    let peak = 0;
    const perStream = new Map<string, number>();
    const peakPerStream = new Map<string, number>();
    cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
      const stream = input.logStreamName as string;
      inFlight++;
      peak = Math.max(peak, inFlight);
      perStream.set(stream, (perStream.get(stream) ?? 0) + 1);
      peakPerStream.set(stream, Math.max(peakPerStream.get(stream) ?? 0, perStream.get(stream) ?? 0));
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      perStream.set(stream, (perStream.get(stream) ?? 0) - 1);
      return {};
    });
    return { peak: () => peak, peakPerStream };
  }

  it('never has more than concurrency requests in flight, nor perStreamConcurrency for one stream', async () => {
    const probe = instrument();
    const shipper = makeShipper({ concurrency: 6, perStreamConcurrency: 2, maxBatchEvents: 5 });
    for (let s = 0; s < 5; s++)
      for (let i = 0; i < 100; i++) shipper.log(`e${i}`, { logStreamName: `s${s}` });
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await flushing;
    expect(probe.peak()).toBe(6);
    expect(Math.max(...probe.peakPerStream.values())).toBe(2);
    expect(expectBalanced(shipper).sent).toBe(500);
  });

  it('sends to many streams in parallel', async () => {
    const probe = instrument();
    const shipper = makeShipper({ concurrency: 8, perStreamConcurrency: 1 });
    for (let s = 0; s < 8; s++) shipper.log('x', { logStreamName: `s${s}` });
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(probe.peak()).toBe(8);
    await vi.advanceTimersByTimeAsync(10);
    await flushing;
    expect(probe.peakPerStream.size).toBe(8);
  });

  it('sends several batches of one stream in parallel', async () => {
    const probe = instrument();
    const shipper = makeShipper({ concurrency: 8, perStreamConcurrency: 4, maxBatchEvents: 1 });
    for (let i = 0; i < 10; i++) shipper.log(`x${i}`);
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    expect(probe.peak()).toBe(4);
    await vi.advanceTimersByTimeAsync(100);
    await flushing;
    expect(expectBalanced(shipper).sent).toBe(10);
  });

  it('sends the pieces of a split message one after another, so a retry cannot reorder them', async () => {
    // Prepare: the first request is throttled once; every piece fills a request of its own.
    const stored: string[] = [];
    let calls = 0;
    cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
      if (calls++ === 0) throw throttled();
      for (const event of input.logEvents ?? []) stored.push(event.message as string);
      return {};
    });
    const shipper = makeShipper({
      maxEventBytes: 1_024,
      maxBatchBytes: 1_024,
      oversizedEvents: 'split',
      perStreamConcurrency: 4,
    });
    const long = `${'a'.repeat(1_000)}${'b'.repeat(1_000)}${'c'.repeat(500)}`;
    // Act
    shipper.log(long);
    shipper.log('after');
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await flushing;
    // Assess
    expect(stored.slice(0, 3).join('')).toBe(long);
    expect(stored.slice(3)).toEqual(['after']);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 2, retries: 1 });
  });

  it('prints no listener-leak warning when many requests wait on the shared abort signal', async () => {
    // Prepare
    const probe = instrument();
    const shipper = makeShipper({ concurrency: 50, perStreamConcurrency: 50, maxBatchEvents: 1 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    // Act
    try {
      for (let i = 0; i < 50; i++) shipper.log(`x${i}`);
      const flushing = shipper.flush();
      await vi.advanceTimersByTimeAsync(0);
      expect(probe.peak()).toBe(50);
      await vi.advanceTimersByTimeAsync(100);
      await flushing;
      await new Promise((r) => process.nextTick(r)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    // Assess
    expect(warnings.map((w) => w.name)).toEqual([]);
    expect(expectBalanced(shipper).sent).toBe(50);
  });
});

describe('LogShipper — buffer bounds', () => {
  it("emits 'drain' once, after log() returned false, when the buffer is below its high-water mark", async () => {
    // Prepare: requests hang until released, so the buffer fills past its high-water mark (8 of 10).
    const answers: (() => void)[] = [];
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise((resolve) => answers.push(() => resolve({}))));
    const shipper = makeShipper({
      maxBufferedEvents: 10,
      concurrency: 1,
      maxBatchEvents: 5,
      flushIntervalMs: 3_600_000,
    });
    let drains = 0;
    shipper.on('drain', () => drains++);
    // Act: 5 go out in one request; the next 8 stay buffered, and the 8th crosses the mark.
    const returned: boolean[] = [];
    for (let i = 0; i < 5; i++) returned.push(shipper.log(`a${i}`));
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 8; i++) returned.push(shipper.log(`b${i}`));
    await vi.advanceTimersByTimeAsync(0);
    // Assess
    expect(returned).toEqual([...Array(12).fill(true), false]);
    expect(drains).toBe(0);
    // The request returns; the next batch of 5 is taken, leaving 3 buffered: below the mark.
    answers.shift()?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(drains).toBe(1);
    const flushing = shipper.flush();
    while (answers.length > 0) {
      answers.shift()?.();
      await vi.advanceTimersByTimeAsync(0);
    }
    await flushing;
    expect(drains).toBe(1);
    expect(expectBalanced(shipper).sent).toBe(13);
  });

  it("answers true once closing, since no 'drain' follows a close", async () => {
    // Prepare: the buffer full (its high-water mark is 8 of 10), requests hanging, one event a
    // request and one request at a time, so that the close leaves it past the mark.
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise(() => {}));
    const shipper = makeShipper({
      maxBufferedEvents: 10,
      concurrency: 1,
      maxBatchEvents: 1,
      flushIntervalMs: 3_600_000,
    });
    const before: boolean[] = [];
    for (let i = 0; i < 10; i++) before.push(shipper.log(`a${i}`));
    expect(before.at(-1)).toBe(false);
    // Act
    const closing = shipper.close({ timeoutMs: 1_000 });
    const answer = shipper.log('after close');
    await vi.advanceTimersByTimeAsync(1_000);
    await closing;
    // Assess: not an answer that has the program wait for ever; the event counted as closed.
    expect(answer).toBe(true);
    expect(expectBalanced(shipper).dropped.closed).toBeGreaterThanOrEqual(1);
  });

  beforeEach(() => {
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise(() => {})); // the endpoint hangs
  });

  it('drops the oldest events past maxBufferedEvents and counts them as overflow', async () => {
    const shipper = makeShipper({ maxBufferedEvents: 100, flushIntervalMs: 3_600_000 });
    const drops: unknown[] = [];
    shipper.on('drop', (d) => drops.push(d));
    for (let i = 0; i < 150; i++) shipper.log({ message: `m${i}`, timestamp: T0 + i });
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({
      logged: 150,
      buffered: 100,
      dropped: expect.objectContaining({ overflow: 50 }),
    });
    expect(drops).toEqual([]); // aggregated, not one event per drop
    cwl.on(PutLogEventsCommand).resolves({});
    await shipper.flush();
    expect(sentMessages()[0]).toBe('m50');
    expect(drops).toEqual([{ counts: { overflow: 50 }, total: 50 }]);
  });

  it('drops the newest events past maxBufferedEvents under dropNewest', async () => {
    const shipper = makeShipper({
      maxBufferedEvents: 100,
      onBufferFull: 'dropNewest',
      flushIntervalMs: 3_600_000,
      dropMarkers: false,
    });
    for (let i = 0; i < 150; i++) shipper.log(`m${i}`);
    expect(expectBalanced(shipper).dropped.overflow).toBe(50);
    cwl.on(PutLogEventsCommand).resolves({});
    await shipper.flush();
    expect(sentMessages()).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  it('bounds memory, counting the 24-byte record header per event, as well as events', () => {
    const shipper = makeShipper({
      maxBufferedBytes: 10_000,
      maxEventBytes: 2_000,
      flushIntervalMs: 3_600_000,
    });
    for (let i = 0; i < 30; i++) shipper.log('x'.repeat(1_000));
    const stats = expectBalanced(shipper);
    expect(stats.buffered).toBe(9); // 9 × 1,024 = 9,216 fits; a tenth would make 10,240
    expect(stats.dropped.overflow).toBe(21);
  });

  it('returns false from log() past the high-water mark', () => {
    const shipper = makeShipper({ maxBufferedEvents: 10, highWaterMark: 0.5, flushIntervalMs: 3_600_000 });
    const results = Array.from({ length: 6 }, (_, i) => shipper.log(`m${i}`));
    expect(results).toEqual([true, true, true, true, false, false]);
  });

  it('takes the rest of a split message with its first piece, so overflow cannot drop it uncounted', async () => {
    // Prepare: one request at a time, each holding one piece; the endpoint hangs.
    const shipper = makeShipper({
      maxEventBytes: 1_024,
      maxBatchBytes: 1_024,
      oversizedEvents: 'split',
      maxBufferedEvents: 4,
      concurrency: 1,
      flushIntervalMs: 3_600_000,
    });
    const held: (() => void)[] = [];
    cwl
      .on(PutLogEventsCommand)
      .callsFake(() => new Promise<object>((resolve) => held.push(() => resolve({}))));
    const long = `${'a'.repeat(1_000)}${'b'.repeat(1_000)}${'c'.repeat(500)}`;
    shipper.log(long);
    await vi.advanceTimersByTimeAsync(0);
    expect(held).toHaveLength(1); // the first piece is in flight
    // Act: four more events fill the buffer to its bound.
    for (let i = 0; i < 4; i++) shipper.log(`m${i}`);
    cwl.on(PutLogEventsCommand).resolves({});
    for (const release of held) release();
    await shipper.flush();
    // Assess: every piece arrived, and nothing was dropped.
    expect(sentMessages().slice(0, 3).join('')).toBe(long);
    expect(sentMessages().slice(3)).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(expectBalanced(shipper)).toMatchObject({ logged: 5, sent: 5, split: 1 });
    expect(shipper.stats().dropped.overflow).toBe(0);
  });

  it('drops a split message whole when overflow drops its first piece', async () => {
    // Prepare
    const shipper = makeShipper({
      maxEventBytes: 1_024,
      oversizedEvents: 'split',
      maxBufferedEvents: 3,
      flushIntervalMs: 3_600_000,
      dropMarkers: false,
    });
    shipper.log('x'.repeat(2_500)); // three pieces: the buffer is full
    // Act
    shipper.log('newer');
    cwl.on(PutLogEventsCommand).resolves({});
    await shipper.flush();
    // Assess: no fragment of the dropped message is sent.
    expect(sentMessages()).toEqual(['newer']);
    expect(expectBalanced(shipper)).toMatchObject({ logged: 2, sent: 1, buffered: 0 });
    expect(shipper.stats().dropped.overflow).toBe(1);
  });
});

describe('LogShipper — listeners that throw', () => {
  function watchWarnings(): { warnings: CapturedWarning[]; stop: () => void } {
    const { warnings, restore } = captureWarnings();
    return { warnings, stop: restore };
  }

  it('counts a batch sent once, not failed or resent, when a batch listener throws', async () => {
    const shipper = makeShipper();
    const watch = watchWarnings();
    shipper.on('batch', () => {
      throw new Error('listener bug');
    });
    const errors: unknown[] = [];
    shipper.on('error', (e) => errors.push(e));
    shipper.log('x');
    await shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    watch.stop();
    expect(putInputs()).toHaveLength(1);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1, inFlight: 0, retries: 0 });
    expect(errors).toEqual([]);
    expect(watch.warnings.map((w) => w.code)).toEqual(['CWS_LISTENER_THREW']);
    expect(watch.warnings[0]?.message).toMatch(
      /'batch' listener of LogShipper threw \(Error: listener bug\)/,
    );
  });

  it('turns a throwing drop or error listener into a warning, not an uncaught exception', async () => {
    cwl.on(PutLogEventsCommand).rejects(new InvalidParameterException({ message: 'bad', $metadata: {} }));
    const shipper = makeShipper({ maxBufferedEvents: 1, onBufferFull: 'dropNewest' });
    const watch = watchWarnings();
    shipper.on('drop', () => {
      throw new Error('drop listener bug');
    });
    shipper.on('error', () => {
      throw new Error('error listener bug');
    });
    shipper.log('kept');
    shipper.log('overflows');
    // The drop report comes from the timer: a throw there would end the process.
    await vi.advanceTimersByTimeAsync(1_000);
    await shipper.flush();
    await vi.advanceTimersByTimeAsync(0);
    watch.stop();
    expect(expectBalanced(shipper).dropped).toMatchObject({ overflow: 1, rejected: 1 });
    expect(watch.warnings.map((w) => w.message).sort()).toEqual([
      "A 'drop' listener of LogShipper threw (Error: drop listener bug)",
      "A 'drop' listener of LogShipper threw (Error: drop listener bug)",
      "A 'error' listener of LogShipper threw (Error: error listener bug)",
    ]);
  });
});

describe('LogShipper — input', () => {
  it('counts empty, invalid-timestamp, oversized, truncated and split events', async () => {
    const shipper = makeShipper({ maxEventBytes: 1_024, oversizedEvents: 'drop' });
    const splitter = makeShipper({ maxEventBytes: 1_024, oversizedEvents: 'split' });
    const truncator = makeShipper({ maxEventBytes: 1_024 });
    shipper.log('');
    shipper.log(undefined);
    shipper.log({ message: 'x', timestamp: Number.NaN });
    shipper.log('y'.repeat(2_000));
    splitter.log('y'.repeat(2_000));
    truncator.log('y'.repeat(2_000));
    await Promise.all([shipper.flush(), splitter.flush(), truncator.flush()]);
    expect(expectBalanced(shipper).dropped).toMatchObject({ empty: 2, invalidTimestamp: 1, oversized: 1 });
    expect(expectBalanced(splitter)).toMatchObject({ logged: 1, sent: 1, split: 1 });
    expect(expectBalanced(truncator)).toMatchObject({ logged: 1, sent: 1, truncated: 1 });
  });

  it('serializes objects that are not { message, timestamp } whole', async () => {
    const shipper = makeShipper();
    shipper.log({ message: 'hi', level: 'info' });
    shipper.log(new Error('boom'));
    await shipper.flush();
    const [first, second] = sentMessages();
    expect(first).toBe('{"message":"hi","level":"info"}');
    expect(second).toMatch(/^Error: boom\n/);
  });

  it('drops events for an invalid destination with a reason instead of throwing', async () => {
    const shipper = makeShipper();
    const captured = captureWarnings();
    try {
      expect(() => shipper.log('x', { logStreamName: 'bad:name' })).not.toThrow();
      shipper.log('x', { logStreamName: 'bad:name' });
      shipper.log('x', { logGroupName: 'bad group name' });
    } finally {
      captured.restore();
    }
    expect(expectBalanced(shipper).dropped.invalidDestination).toBe(3);
    expect(
      captured.warnings.map((w) => w.message).filter((w) => w.includes('invalidDestination')),
    ).toHaveLength(2);
  });

  it('logMany logs each event', async () => {
    const shipper = makeShipper();
    shipper.logMany(['a', 'b', { message: 'c', timestamp: T0 }]);
    await shipper.flush();
    expect(sentMessages()).toEqual(['a', 'b', 'c']);
  });
});

describe('LogShipper — lifecycle', () => {
  it('lets a later close({ timeoutMs }) bound a close that began without one', async () => {
    // Prepare: the request never gets an answer.
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise(() => {}));
    const shipper = makeShipper({ requestTimeoutMs: 0 });
    shipper.log('stuck');
    const unbounded = shipper.close();
    await vi.advanceTimersByTimeAsync(60_000);
    // Act
    const bounded = shipper.close({ timeoutMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    // Assess: the same close, ended by the later bound, with what was left counted.
    expect(bounded).toBe(unbounded);
    expect(await unbounded).toEqual({ complete: false, dropped: 1 });
    expect(expectBalanced(shipper).dropped.closed).toBe(1);
  });

  it('refuses a bad timeoutMs with a rejection, before it starts closing', async () => {
    const shipper = makeShipper();
    await expect(shipper.close({ timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    expect(shipper.log('still open')).toBe(true);
    expect(expectBalanced(shipper).dropped.closed).toBe(0);
  });

  it('counts events logged after close as dropped, and closing twice is fine', async () => {
    const shipper = makeShipper();
    shipper.log('before');
    const first = shipper.close();
    const second = shipper.close();
    expect(second).toBe(first);
    expect(await first).toEqual({ complete: true, dropped: 0 });
    expect(shipper.log('after')).toBe(true);
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ logged: 2, sent: 1, dropped: expect.objectContaining({ closed: 1 }) });
  });

  it('resolves close while retries are pending once everything is sent', async () => {
    cwl.on(PutLogEventsCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const shipper = makeShipper();
    shipper.log('retry me');
    let closed = false;
    const closing = shipper.close().then((r) => {
      closed = true;
      return r;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await closing).toEqual({ complete: true, dropped: 0 });
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1, retries: 2 });
  });

  it('drops what is left as closed when close times out', async () => {
    cwl.on(PutLogEventsCommand).rejects(throttled());
    const shipper = makeShipper({ maxBatchEvents: 2 });
    for (let i = 0; i < 5; i++) shipper.log(`m${i}`);
    const closing = shipper.close({ timeoutMs: 2_000 });
    await vi.advanceTimersByTimeAsync(2_000);
    const result = await closing;
    expect(result).toEqual({ complete: false, dropped: 5 });
    expect(expectBalanced(shipper)).toMatchObject({ inFlight: 0, buffered: 0, sent: 0 });
  });

  it('leaves what is unsent buffered when flush times out, and says so', async () => {
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise(() => {}));
    const shipper = makeShipper({ maxBatchEvents: 1, concurrency: 1 });
    shipper.log('a');
    shipper.log('b');
    const controller = new AbortController();
    const flushing = shipper.flush({ signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect(await flushing).toEqual({ complete: false, remaining: 2 });
    expect(expectBalanced(shipper)).toMatchObject({ inFlight: 1, buffered: 1 });
  });

  it('rejects bad options with a ConfigError naming the option', () => {
    const base = { logGroupName: 'g', logStreamName: 's' };
    expect(() => new LogShipper({ ...base, logGroupName: 'has space' })).toThrow(ConfigError);
    expect(() => new LogShipper({ ...base, logStreamName: 'a*b' })).toThrow(/`logStreamName`/);
    expect(() => new LogShipper({ ...base, concurrency: 0 })).toThrow(
      'Expected `concurrency` to be an integer from 1 to 1000, got `0` (number)',
    );
    expect(() => new LogShipper({ ...base, onBufferFull: 'dropAll' as never })).toThrow(/`onBufferFull`/);
    expect(() => new LogShipper({ ...base, retry: { maxDelayMs: -1 } })).toThrow(/`retry.maxDelayMs`/);
    expect(() => new LogShipper({ ...base, retentionInDays: 2 })).toThrow(/`retentionInDays`/);
    expect(() => new LogShipper({ ...base, maxEventBytes: 2_000_000 })).toThrow(/`maxEventBytes`/);
  });

  it('answers ready() once it could send, and no once it is closed', async () => {
    const shipper = makeShipper();
    expect(await shipper.ready()).toBe(true);
    await shipper.close();
    expect(await shipper.ready()).toBe(false);
  });

  it('makes its own client with the SDK retries off', async () => {
    const shipper = new LogShipper({
      logGroupName: 'g',
      logStreamName: 's',
      clientConfig: { region: 'eu-west-1' },
      thread: 'main',
    });
    shippers.push(shipper);
    const client = await (shipper as unknown as { client: Promise<CloudWatchLogsClient> }).client;
    expect(client.config.maxAttempts).toBeTypeOf('function');
    return expect((client.config.maxAttempts as () => Promise<number>)()).resolves.toBe(1);
  });
});

describe('LogShipper — drop markers', () => {
  const markerLines = () => sentMessages().filter((m) => m.startsWith('cloudwatch-shipper: dropped'));

  it('writes one marker into the stream that lost events, with the counts by reason', async () => {
    // Prepare: the buffer holds 5 events; 3 more overflow, 1 is too old.
    const shipper = makeShipper({ maxBufferedEvents: 5, flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 8; i++) shipper.log({ message: `m${i}`, timestamp: T0 + i });
    shipper.log({ message: 'ancient', timestamp: T0 - MAX_EVENT_AGE_MS - 1 });
    // Act
    await shipper.flush();
    // Assess: overflow counted at log() (m0–m3), tooOld when the batch was made; one marker names both.
    expect(markerLines()).toEqual([
      `cloudwatch-shipper: dropped 5 events since ${new Date(T0).toISOString()} (overflow 4, tooOld 1)`,
    ]);
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ logged: 9, sent: 4, markers: 1 });
    expect(stats.dropped).toMatchObject({ overflow: 4, tooOld: 1 });
  });

  it('writes at most one marker per stream per flush interval, and none to other streams', async () => {
    const shipper = makeShipper({ maxBufferedEvents: 2, flushIntervalMs: 1_000 });
    for (let i = 0; i < 5; i++) shipper.log(`a${i}`);
    shipper.log('clean', { logStreamName: 'other' });
    await shipper.flush();
    for (let i = 0; i < 5; i++) shipper.log(`b${i}`);
    await shipper.flush();
    expect(markerLines()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000);
    shipper.log('c');
    await shipper.flush();
    // The buffer bound is global: 'clean' for the other stream pushed out a fourth 'a'.
    expect(markerLines()).toEqual([
      expect.stringContaining('dropped 4 events'),
      expect.stringContaining('dropped 3 events'),
    ]);
    const byStream = putInputs().filter((i) => i.logStreamName === 'other');
    expect(byStream.flatMap((i) => i.logEvents?.map((e) => e.message))).toEqual(['clean']);
    expect(expectBalanced(shipper).markers).toBe(2);
  });

  it('does not count a marker that is rejected, nor mark its loss', async () => {
    const shipper = makeShipper({ maxBufferedEvents: 1, flushIntervalMs: 1 });
    shipper.on('error', () => {});
    shipper.log('first');
    shipper.log('second'); // overflows 'first'
    cwl.on(PutLogEventsCommand).rejects(new InvalidParameterException({ message: 'no', $metadata: {} }));
    await shipper.flush();
    const after = expectBalanced(shipper);
    expect(after).toMatchObject({ logged: 2, sent: 0, markers: 0 });
    expect(after.dropped).toMatchObject({ overflow: 1, rejected: 1 });
    // The rejected batch (second + marker) leaves a marker for 'rejected 1' only.
    cwl.on(PutLogEventsCommand).resolves({});
    await vi.advanceTimersByTimeAsync(5);
    shipper.log('third');
    await shipper.flush();
    expect(markerLines().at(-1)).toContain('(rejected 1)');
  });

  it('writes no marker when turned off', async () => {
    const shipper = makeShipper({ maxBufferedEvents: 1, dropMarkers: false });
    shipper.log('a');
    shipper.log('b');
    await shipper.flush();
    expect(markerLines()).toEqual([]);
  });
});

describe('LogShipper — adaptive concurrency', () => {
  it('halves the requests in flight on throttling and grows back on success', async () => {
    // Prepare: every request throttled until told otherwise.
    let throttling = true;
    let inFlight = 0;
    let peak = 0;
    cwl.on(PutLogEventsCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 10));
      inFlight--;
      if (throttling) throw throttled();
      return {};
    });
    const shipper = makeShipper({ concurrency: 8, perStreamConcurrency: 8, maxBatchEvents: 1 });
    for (let i = 0; i < 400; i++) shipper.log(`m${i}`);
    const flushing = shipper.flush();
    // Act
    await vi.advanceTimersByTimeAsync(2_000);
    const throttled8 = shipper.stats().concurrency;
    throttling = false;
    let done = false;
    void flushing.then(() => {
      done = true;
    });
    for (let waited = 0; !done && waited < 300_000; waited += 1_000) await vi.advanceTimersByTimeAsync(1_000);
    await flushing;
    // Assess
    expect(peak).toBe(8);
    expect(throttled8).toBe(1);
    expect(shipper.stats().concurrency).toBe(8);
    expect(expectBalanced(shipper).sent).toBe(400);
  });

  it('keeps a fixed limit when turned off', async () => {
    cwl.on(PutLogEventsCommand).rejectsOnce(throttled()).resolves({});
    const shipper = makeShipper({ concurrency: 8, adaptiveConcurrency: false });
    shipper.log('x');
    const flushing = shipper.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    await flushing;
    expect(shipper.stats().concurrency).toBe(8);
  });
});
