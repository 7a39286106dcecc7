import { setTimeout as sleep } from 'node:timers/promises';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type InputLogEvent,
  InvalidParameterException,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  LEGACY_MAX_EVENT_BYTES,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_FUTURE_MS,
} from '../src/limits.js';
import {
  type LocalCloudWatchLogs,
  type LocalCloudWatchLogsOptions,
  type LocalStats,
  startLocalCloudWatchLogs,
} from '../src/testing/index.js';

/** The injected clock: every timestamp below is relative to it. */
const NOW = Date.UTC(2025, 0, 15, 12);
const GROUP = '/app/test';
const STREAM = 'web-1';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(
  options: LocalCloudWatchLogsOptions = {},
): Promise<{ cwl: LocalCloudWatchLogs; client: CloudWatchLogsClient }> {
  const cwl = await startLocalCloudWatchLogs({ now: () => NOW, ...options });
  const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
  cleanups.push(async () => {
    client.destroy();
    await cwl.close();
  });
  return { cwl, client };
}

/** A server with {@link GROUP} and {@link STREAM} created. */
async function startWithStream(
  options: LocalCloudWatchLogsOptions = {},
): Promise<{ cwl: LocalCloudWatchLogs; client: CloudWatchLogsClient }> {
  const started = await start(options);
  await started.client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  await started.client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
  return started;
}

function put(logEvents: InputLogEvent[], logStreamName = STREAM): PutLogEventsCommand {
  return new PutLogEventsCommand({ logGroupName: GROUP, logStreamName, logEvents });
}

/** `count` events at {@link NOW}, each with a message of `messageBytes` ASCII bytes. */
function batch(count: number, messageBytes = 10): InputLogEvent[] {
  const message = 'm'.repeat(messageBytes);
  return Array.from({ length: count }, () => ({ timestamp: NOW, message }));
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected the promise to reject');
}

/** Every violation kind at 0 but `kind` (and `total`) at 1. */
function oneViolation(kind: Exclude<keyof LocalStats['violations'], 'total'>): LocalStats['violations'] {
  return {
    missingParameter: 0,
    emptyBatch: 0,
    tooManyEvents: 0,
    batchTooLarge: 0,
    emptyMessage: 0,
    eventTooLarge: 0,
    invalidTimestamp: 0,
    outOfOrder: 0,
    spanTooLong: 0,
    [kind]: 1,
    total: 1,
  };
}

describe('operations', () => {
  it('creates a log group and describes it by prefix, with its retention', async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/app/a' }));
    await client.send(new CreateLogGroupCommand({ logGroupName: '/app/b' }));
    await client.send(new CreateLogGroupCommand({ logGroupName: '/other' }));

    // Act
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/app/b', retentionInDays: 7 }));
    const described = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/' }));

    // Assess
    expect(
      described.logGroups?.map(({ logGroupName, retentionInDays, creationTime }) => ({
        logGroupName,
        retentionInDays,
        creationTime,
      })),
    ).toEqual([
      { logGroupName: '/app/a', retentionInDays: undefined, creationTime: NOW },
      { logGroupName: '/app/b', retentionInDays: 7, creationTime: NOW },
    ]);
  });

  it('pages DescribeLogGroups with limit and nextToken', async () => {
    // Prepare
    const { client } = await start();
    for (const name of ['c', 'a', 'b']) await client.send(new CreateLogGroupCommand({ logGroupName: name }));

    // Act
    const first = await client.send(new DescribeLogGroupsCommand({ limit: 2 }));
    const second = await client.send(new DescribeLogGroupsCommand({ limit: 2, nextToken: first.nextToken }));

    // Assess
    expect(first.logGroups?.map((group) => group.logGroupName)).toEqual(['a', 'b']);
    expect(second.logGroups?.map((group) => group.logGroupName)).toEqual(['c']);
    expect(second.nextToken).toBeUndefined();
  });

  it('creates log streams and describes them by prefix', async () => {
    // Prepare
    const { client } = await startWithStream();
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'web-2' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: 'worker-1' }));
    await client.send(put(batch(1)));

    // Act
    const described = await client.send(
      new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'web-' }),
    );

    // Assess
    expect(described.logStreams).toEqual([
      expect.objectContaining({
        logStreamName: 'web-1',
        creationTime: NOW,
        firstEventTimestamp: NOW,
        lastEventTimestamp: NOW,
        lastIngestionTime: NOW,
      }),
      expect.objectContaining({ logStreamName: 'web-2', creationTime: NOW }),
    ]);
  });

  it('stores accepted events in order and reads them back with GetLogEvents pages', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();
    const sent = Array.from({ length: 5 }, (_, index) => ({ timestamp: NOW + index, message: `é ${index}` }));

    // Act
    const response = await client.send(put(sent));
    const head = await client.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, startFromHead: true, limit: 3 }),
    );
    const next = await client.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: STREAM,
        limit: 3,
        nextToken: head.nextForwardToken,
      }),
    );
    const end = await client.send(
      new GetLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: STREAM,
        nextToken: next.nextForwardToken,
      }),
    );
    const tail = await client.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, limit: 2 }),
    );

    // Assess
    expect(response.rejectedLogEventsInfo).toBeUndefined();
    expect(cwl.events(GROUP, STREAM)).toEqual(sent.map((event) => ({ ...event, ingestionTime: NOW })));
    expect(head.events?.map((event) => event.message)).toEqual(['é 0', 'é 1', 'é 2']);
    expect(next.events?.map((event) => event.message)).toEqual(['é 3', 'é 4']);
    expect(end.events).toEqual([]);
    expect(end.nextForwardToken).toBe(next.nextForwardToken);
    expect(tail.events?.map((event) => event.message)).toEqual(['é 3', 'é 4']);
    expect(cwl.stats()).toMatchObject({ eventsAccepted: 5, bytesAccepted: 5 * 4 });
  });

  it('deletes a log group with its streams and events', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();
    await client.send(put(batch(1)));

    // Act
    await client.send(new DeleteLogGroupCommand({ logGroupName: GROUP }));

    // Assess
    expect((await client.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
    expect(cwl.events(GROUP, STREAM)).toEqual([]);
  });

  it('counts requests by operation and sequence tokens, which it ignores', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();

    // Act
    await client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: STREAM,
        logEvents: batch(1),
        sequenceToken: 'stale',
      }),
    );

    // Assess
    expect(cwl.stats()).toMatchObject({
      requests: { CreateLogGroup: 1, CreateLogStream: 1, PutLogEvents: 1 },
      sequenceTokensReceived: 1,
      eventsAccepted: 1,
    });
  });

  it('forgets groups, events and stats on reset but keeps the faults', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();
    await client.send(put(batch(1)));
    cwl.setFaults({ throttleRate: 1 });

    // Act
    cwl.reset();

    // Assess
    expect(cwl.events(GROUP, STREAM)).toEqual([]);
    expect(cwl.stats().eventsAccepted).toBe(0);
    expect(await rejection(client.send(put(batch(1))))).toBeInstanceOf(ThrottlingException);
  });
});

describe('errors', () => {
  it('raises ResourceAlreadyExistsException for an existing group or stream', async () => {
    // Prepare
    const { client } = await startWithStream();

    // Act
    const group = await rejection(client.send(new CreateLogGroupCommand({ logGroupName: GROUP })));
    const stream = await rejection(
      client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM })),
    );

    // Assess
    for (const error of [group, stream]) {
      expect(error).toBeInstanceOf(ResourceAlreadyExistsException);
      expect(error.name).toBe('ResourceAlreadyExistsException');
    }
  });

  it('raises ResourceNotFoundException for a missing group or stream, which is not a violation', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();

    // Act
    const noGroup = await rejection(
      client.send(
        new PutLogEventsCommand({ logGroupName: '/nope', logStreamName: STREAM, logEvents: batch(1) }),
      ),
    );
    const noStream = await rejection(client.send(put(batch(1), 'nope')));
    const noGroupForStream = await rejection(
      client.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 's' })),
    );

    // Assess
    for (const error of [noGroup, noStream, noGroupForStream]) {
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.name).toBe('ResourceNotFoundException');
    }
    expect(noGroup.message).toBe('The specified log group does not exist.');
    expect(noStream.message).toBe('The specified log stream does not exist.');
    expect(cwl.stats().violations.total).toBe(0);
  });

  it('raises InvalidParameterException for a retention the API does not offer', async () => {
    // Prepare
    const { client } = await startWithStream();

    // Act
    const error = await rejection(
      client.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 2 })),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.name).toBe('InvalidParameterException');
  });

  it('answers an unknown operation with UnknownOperationException in AWS JSON 1.1', async () => {
    // Prepare
    const { cwl } = await start();

    // Act
    const response = await fetch(cwl.endpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'Logs_20140328.Frobnicate', 'content-type': 'application/x-amz-json-1.1' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toEqual({
      __type: 'UnknownOperationException',
      message: 'Unknown operation: Frobnicate',
    });
  });

  it('rejects bad options with ConfigError', async () => {
    // Act
    const port = await rejection(startLocalCloudWatchLogs({ port: -1 }));
    const rate = await rejection(startLocalCloudWatchLogs({ faults: { throttleRate: 2 } }));

    // Assess
    expect(port).toBeInstanceOf(ConfigError);
    expect(port.message).toBe('Expected `port` to be an integer from 0 to 65535, got `-1` (number)');
    expect(rate).toBeInstanceOf(ConfigError);
    expect(rate.message).toContain('faults.throttleRate');
  });

  it('refuses a fault name that is only inherited, such as toString', async () => {
    const inherited = await rejection(startLocalCloudWatchLogs({ faults: { toString: 1 } as never }));
    expect(inherited).toBeInstanceOf(ConfigError);
    expect(inherited.message).toContain('faults.toString');
  });
});

describe('PutLogEvents validation', () => {
  it.each([
    { name: 'exactly 10,000 events', logEvents: () => batch(MAX_BATCH_EVENTS) },
    {
      // 16 events of 65,510 + 26 bytes make exactly 1,048,576.
      name: 'exactly 1,048,576 batch bytes',
      logEvents: () => batch(16, MAX_BATCH_BYTES / 16 - EVENT_OVERHEAD_BYTES),
    },
    {
      // PutLogEvents reference: the span of valid events "cannot exceed 24 hours".
      name: 'a span of exactly 24 h',
      logEvents: () => [
        { timestamp: NOW - MAX_BATCH_SPAN_MS, message: 'first' },
        { timestamp: NOW, message: 'last' },
      ],
    },
    {
      name: 'equal timestamps',
      logEvents: () => [
        { timestamp: NOW, message: 'a' },
        { timestamp: NOW, message: 'b' },
      ],
    },
  ])('accepts $name', async ({ logEvents }) => {
    // Prepare
    const { cwl, client } = await startWithStream();
    const events = logEvents();

    // Act
    const response = await client.send(put(events));

    // Assess
    expect(response.rejectedLogEventsInfo).toBeUndefined();
    expect(cwl.stats()).toMatchObject({ eventsAccepted: events.length, violations: { total: 0 } });
  });

  it.each([
    { name: '10,001 events', logEvents: () => batch(MAX_BATCH_EVENTS + 1), kind: 'tooManyEvents' },
    { name: 'an empty batch', logEvents: () => [], kind: 'emptyBatch' },
    {
      name: '1,048,577 batch bytes',
      logEvents: () => [...batch(15, MAX_BATCH_BYTES / 16 - EVENT_OVERHEAD_BYTES), ...batch(1, 65_511)],
      kind: 'batchTooLarge',
    },
    {
      name: 'a span of 24 h and 1 ms',
      logEvents: () => [
        { timestamp: NOW - MAX_BATCH_SPAN_MS - 1, message: 'first' },
        { timestamp: NOW, message: 'last' },
      ],
      kind: 'spanTooLong',
    },
    {
      name: 'events out of order',
      logEvents: () => [
        { timestamp: NOW, message: 'second' },
        { timestamp: NOW - 1, message: 'first' },
      ],
      kind: 'outOfOrder',
    },
    { name: 'an empty message', logEvents: () => [{ timestamp: NOW, message: '' }], kind: 'emptyMessage' },
    {
      name: 'a fractional timestamp',
      logEvents: () => [{ timestamp: NOW + 0.5, message: 'm' }],
      kind: 'invalidTimestamp',
    },
    {
      name: 'a negative timestamp',
      logEvents: () => [{ timestamp: -1, message: 'm' }],
      kind: 'invalidTimestamp',
    },
  ] as const)('rejects $name as $kind', async ({ logEvents, kind }) => {
    // Prepare
    const { cwl, client } = await startWithStream();

    // Act
    const error = await rejection(client.send(put([...logEvents()])));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.name).toBe('InvalidParameterException');
    expect(cwl.stats().violations).toEqual(oneViolation(kind));
    expect(cwl.events(GROUP, STREAM)).toEqual([]);
  });

  it('counts UTF-8 bytes against maxEventBytes: 262,144 accepted, one byte more rejected', async () => {
    // Prepare
    const { cwl, client } = await startWithStream({ maxEventBytes: LEGACY_MAX_EVENT_BYTES });
    // 'é' is 2 bytes in UTF-8 but one UTF-16 unit: a limit counted in string length would pass both.
    const fits = 'é'.repeat((LEGACY_MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES) / 2);

    // Act
    await client.send(put([{ timestamp: NOW, message: fits }]));
    const error = await rejection(client.send(put([{ timestamp: NOW, message: `${fits}a` }])));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe('Log event too large: 262145 bytes exceeds limit of 262144');
    expect(cwl.stats()).toMatchObject({
      eventsAccepted: 1,
      bytesAccepted: LEGACY_MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES,
      violations: oneViolation('eventTooLarge'),
    });
  });

  it('answers a missing logStreamName with InvalidParameterException as missingParameter', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();

    // Act
    const error = await rejection(
      client.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logEvents: batch(1),
        } as unknown as ConstructorParameters<typeof PutLogEventsCommand>[0]),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(cwl.stats().violations).toEqual(oneViolation('missingParameter'));
  });
});

describe('rejectedLogEventsInfo', () => {
  it('reports too-old and expired prefixes with exclusive end indices', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();
    await client.send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 1 }));
    const oldest = NOW - MAX_EVENT_AGE_MS;

    // Act
    const { rejectedLogEventsInfo } = await client.send(
      put([
        { timestamp: oldest - 2, message: 'too old' },
        { timestamp: oldest - 1, message: 'too old' },
        { timestamp: oldest, message: 'expired' },
      ]),
    );
    const boundary = await client.send(
      put([
        { timestamp: NOW - DAY_MS - 1, message: 'expired' },
        { timestamp: NOW - DAY_MS, message: 'kept' },
        { timestamp: NOW - 2, message: 'kept' },
      ]),
    );

    // Assess
    expect(rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 2, expiredLogEventEndIndex: 3 });
    expect(boundary.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 1 });
    expect(cwl.events(GROUP, STREAM).map((event) => event.timestamp)).toEqual([NOW - DAY_MS, NOW - 2]);
    expect(cwl.stats()).toMatchObject({
      eventsAccepted: 2,
      bytesAccepted: 8,
      rejected: { tooOld: 2, expired: 2, tooNew: 0 },
      violations: { total: 0 },
    });
  });

  it('reports only too-old events when the group keeps them longer than 14 days', async () => {
    // Prepare
    const { client } = await startWithStream();
    const oldest = NOW - MAX_EVENT_AGE_MS;

    // Act
    const { rejectedLogEventsInfo } = await client.send(
      put([
        { timestamp: oldest - 1, message: 'too old' },
        { timestamp: oldest, message: 'kept' },
      ]),
    );

    // Assess
    expect(rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
  });

  it('reports the too-new suffix with an inclusive start index', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();
    const newest = NOW + MAX_EVENT_FUTURE_MS;

    // Act
    const { rejectedLogEventsInfo } = await client.send(
      put([
        { timestamp: NOW, message: 'kept' },
        { timestamp: newest, message: 'kept' },
        { timestamp: newest + 1, message: 'too new' },
        { timestamp: newest + 2, message: 'too new' },
      ]),
    );

    // Assess
    expect(rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 2 });
    expect(cwl.events(GROUP, STREAM).map((event) => event.timestamp)).toEqual([NOW, newest]);
    expect(cwl.stats().rejected).toEqual({ tooOld: 0, expired: 0, tooNew: 2 });
  });
});

describe('faults', () => {
  it('answers ThrottlingException at throttleRate 1 and stores nothing', async () => {
    // Prepare
    const { cwl, client } = await startWithStream({ faults: { throttleRate: 1 } });

    // Act
    const error = await rejection(client.send(put(batch(3))));

    // Assess
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.name).toBe('ThrottlingException');
    expect(error.message).toBe('Rate exceeded');
    expect(cwl.events(GROUP, STREAM)).toEqual([]);
    expect(cwl.stats().faults.throttled).toBe(1);
  });

  it('answers 503 ServiceUnavailableException at unavailableRate 1', async () => {
    // Prepare
    const { cwl, client } = await startWithStream({ faults: { unavailableRate: 1 } });

    // Act
    const error = await rejection(client.send(put(batch(3))));

    // Assess
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(error.name).toBe('ServiceUnavailableException');
    expect((error as ServiceUnavailableException).$metadata.httpStatusCode).toBe(503);
    expect(cwl.stats().faults.unavailable).toBe(1);
  });

  it('applies faults to PutLogEvents only', async () => {
    // Prepare
    const { client } = await startWithStream({
      faults: { throttleRate: 1, unavailableRate: 1, resetRate: 1 },
    });

    // Act
    const described = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));

    // Assess
    expect(described.logStreams).toHaveLength(1);
  });

  it('destroys the connection before storing at resetRate 1 and resetAfterStoreRatio 0', async () => {
    // Prepare
    const { cwl, client } = await startWithStream({ faults: { resetRate: 1, resetAfterStoreRatio: 0 } });

    // Act
    const error = await rejection(client.send(put(batch(3))));

    // Assess
    expect(error).not.toBeInstanceOf(ThrottlingException);
    expect(cwl.events(GROUP, STREAM)).toEqual([]);
    expect(cwl.stats().faults).toMatchObject({ reset: 1, resetAfterStore: 0, eventsStoredBeforeReset: 0 });
  });

  it('stores the events, then destroys the connection, at resetAfterStoreRatio 1', async () => {
    // Prepare
    const { cwl, client } = await startWithStream({ faults: { resetRate: 1, resetAfterStoreRatio: 1 } });

    // Act
    const error = await rejection(client.send(put(batch(3))));
    cwl.setFaults({ resetRate: 0 });
    await client.send(put(batch(3)));

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(cwl.events(GROUP, STREAM)).toHaveLength(6);
    expect(cwl.stats().faults).toMatchObject({ reset: 1, resetAfterStore: 1, eventsStoredBeforeReset: 3 });
  });

  it('gives the same sequence of faults for the same seed', async () => {
    // Prepare
    const runs = await Promise.all(
      [1, 2].map(() => startWithStream({ seed: 7, faults: { throttleRate: 0.5 } })),
    );

    // Act
    const sequences = [];
    for (const { client } of runs) {
      const outcomes: string[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        outcomes.push(
          await client.send(put(batch(1))).then(
            () => 'ok',
            (error: Error) => error.name,
          ),
        );
      }
      sequences.push(outcomes);
    }

    // Assess
    expect(sequences[0]).toEqual(sequences[1]);
    expect(new Set(sequences[0])).toEqual(new Set(['ok', 'ThrottlingException']));
    expect(runs[0]?.cwl.stats().faults.throttled).toBe(sequences[0]?.filter((o) => o !== 'ok').length);
  });

  it('delays every response by latencyMs, after storing the events', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();
    cwl.setFaults({ latencyMs: 200 });
    let answered = false;
    const startedMs = performance.now();

    // Act
    const sent = client.send(put(batch(2))).finally(() => {
      answered = true;
    });
    await expect.poll(() => cwl.stats().eventsAccepted, { interval: 5 }).toBe(2);
    const answeredWhenStored = answered;
    await sent;

    // Assess
    expect(answeredWhenStored).toBe(false);
    // A timer may fire up to a millisecond early as measured by performance.now().
    expect(performance.now() - startedMs).toBeGreaterThanOrEqual(199);
  });

  it('drops every request for downForMs, then recovers', async () => {
    // Prepare
    const { cwl, client } = await startWithStream();

    // Act
    cwl.setFaults({ downForMs: 200 });
    const putError = await rejection(client.send(put(batch(1))));
    const describeError = await rejection(client.send(new DescribeLogGroupsCommand({})));
    await sleep(250);
    await client.send(put(batch(1)));

    // Assess
    expect(putError).toBeInstanceOf(Error);
    expect(describeError).toBeInstanceOf(Error);
    expect(cwl.stats().faults.down).toBeGreaterThanOrEqual(2);
    expect(cwl.events(GROUP, STREAM)).toHaveLength(1);
  });

  it('throttles PutLogEvents beyond tpsLimit per second', async () => {
    // Prepare
    const { cwl, client } = await startWithStream({ faults: { tpsLimit: 2 } });

    // Act
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => client.send(put(batch(1)))));

    // Assess
    const rejected = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(rejected).toHaveLength(3);
    for (const outcome of rejected) expect(outcome.reason).toBeInstanceOf(ThrottlingException);
    expect(cwl.stats().faults.tpsThrottled).toBe(3);
    expect(cwl.events(GROUP, STREAM)).toHaveLength(2);
  });
});

describe('listening', () => {
  it('listens on the port and host it is given and resolves with its URL', async () => {
    // Prepare: a port that was free a moment ago.
    const probe = await startLocalCloudWatchLogs();
    const port = Number(new URL(probe.endpoint).port);
    await probe.close();

    // Act
    const cwl = await startLocalCloudWatchLogs({ port, host: '127.0.0.1' });
    cleanups.push(() => cwl.close());
    const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
    cleanups.push(async () => client.destroy());
    const described = await client.send(new DescribeLogGroupsCommand({}));

    // Assess
    expect(cwl.endpoint).toBe(`http://127.0.0.1:${port}`);
    expect(cwl.clientConfig().endpoint).toBe(cwl.endpoint);
    expect(described.logGroups).toEqual([]);
  });

  it('rejects when the port is taken', async () => {
    // Prepare
    const { cwl } = await start();
    const port = Number(new URL(cwl.endpoint).port);

    // Act
    const error = await rejection(startLocalCloudWatchLogs({ port }));

    // Assess
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });
});

describe('close', () => {
  it('closes keep-alive connections and pending latency timers, idempotently', async () => {
    // Prepare
    await settleHandles(() => false);
    const handlesBefore = openHandles();
    const cwl = await startLocalCloudWatchLogs();
    const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    cwl.setFaults({ latencyMs: 60_000 });
    const pending = client.send(new DescribeLogGroupsCommand({}));
    await expect.poll(() => cwl.stats().requests.DescribeLogGroups).toBe(1);

    // Act
    const first = cwl.close();
    const second = cwl.close();
    await Promise.all([first, second]);
    await cwl.close();

    // Assess
    expect(second).toBe(first);
    expect(await rejection(pending)).toBeInstanceOf(Error);
    await settleHandles(() => handlesAdded(handlesBefore).length === 0);
    expect(handlesAdded(handlesBefore)).toEqual([]);
  });
});

/**
 * Lets closing sockets finish closing (it takes a few turns of the event loop) until `done`.
 * Turns with setImmediate, which adds no timer to the handles being counted.
 */
async function settleHandles(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 100 && !done(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Sockets, servers and timers keeping the process alive, counted by kind. */
function openHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout') {
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * The kinds of handle more numerous now than in `before`. Fewer is fine: the test runner's own
 * timers come and go.
 */
function handlesAdded(before: Map<string, number>): string[] {
  return [...openHandles()].filter(([kind, count]) => count > (before.get(kind) ?? 0)).map(([kind]) => kind);
}
