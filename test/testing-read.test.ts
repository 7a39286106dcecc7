import {
  DeleteLogStreamCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
  type GetLogEventsCommandInput,
  InvalidParameterException,
  PutLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_EVENT_AGE_MS } from '../src/limits.js';
import { StreamData } from '../src/testing/store.js';
import { GROUP, NOW, put, rejection, STREAM, type Started, startWithStreams } from './support/local.js';

const ARN = 'arn:aws:logs:us-east-1:000000000000:log-group:/app/test';

function get(input: Partial<GetLogEventsCommandInput> = {}): GetLogEventsCommand {
  return new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, ...input });
}

/** Every event of the stream, page by page forward from the head, and how many pages it took. */
async function readAllForward(
  { client }: Started,
  input: Partial<GetLogEventsCommandInput> = {},
): Promise<{ messages: string[]; pages: number[] }> {
  const messages: string[] = [];
  const pages: number[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    const response = await client.send(get({ ...input, startFromHead: true, nextToken }));
    if (response.events?.length === 0) {
      expect(response.nextForwardToken).toBe(nextToken);
      return { messages, pages };
    }
    pages.push(response.events?.length ?? 0);
    for (const event of response.events ?? []) messages.push(event.message ?? '');
    nextToken = response.nextForwardToken;
  }
  throw new Error('GetLogEvents never reached the end of the stream');
}

describe('GetLogEvents', () => {
  it('returns the events from startTime (inclusive) to endTime (exclusive)', async () => {
    // Prepare: 2,500 events one millisecond apart.
    const started = await startWithStreams();
    const first = NOW - 10_000;
    for (let batch = 0; batch < 5; batch++) {
      await started.client.send(
        put(
          Array.from({ length: 500 }, (_, index) => ({
            timestamp: first + batch * 500 + index,
            message: `#${batch * 500 + index}`,
          })),
        ),
      );
    }

    // Act
    const window = await started.client.send(
      get({ startTime: first + 1_000, endTime: first + 1_010, startFromHead: true }),
    );
    const tail = await started.client.send(get({ startTime: first + 1_000, endTime: first + 1_010 }));

    // Assess
    const expected = Array.from({ length: 10 }, (_, index) => first + 1_000 + index);
    expect(window.events?.map((event) => event.timestamp)).toEqual(expected);
    expect(tail.events?.map((event) => event.timestamp)).toEqual(expected);
  });

  it('returns events by timestamp, ties in arrival order, whatever order the batches came in', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();

    // Act: two requests whose times interleave, then a third with a time equal to one stored.
    await client.send(
      put([
        { timestamp: NOW + 100, message: 'B100' },
        { timestamp: NOW + 300, message: 'D300' },
      ]),
    );
    await client.send(
      put([
        { timestamp: NOW, message: 'A000' },
        { timestamp: NOW + 200, message: 'C200' },
      ]),
    );
    await client.send(put([{ timestamp: NOW + 100, message: 'B100 again' }]));
    const read = await client.send(get({ startFromHead: true }));

    // Assess
    const order = ['A000', 'B100', 'B100 again', 'C200', 'D300'];
    expect(read.events?.map((event) => event.message)).toEqual(order);
    expect(cwl.events(GROUP, STREAM).map((event) => event.message)).toEqual(order);
  });

  it('fills pages to about 1 MB: six 600 KB events come one per page', async () => {
    // Prepare
    const started = await startWithStreams();
    const big = 'x'.repeat(600_000);
    for (let index = 0; index < 6; index++) {
      await started.client.send(put([{ timestamp: NOW + index, message: `${index}${big}` }]));
    }

    // Act
    const { messages, pages } = await readAllForward(started);

    // Assess
    expect(pages).toEqual([1, 1, 1, 1, 1, 1]);
    expect(messages.map((message) => message[0])).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('stops a page of small events at 1,048,576 bytes counted as PutLogEvents counts them', async () => {
    // Prepare: 20,000 events of 100 bytes, 126 bytes each with the overhead.
    const started = await startWithStreams();
    for (let batch = 0; batch < 4; batch++) {
      await started.client.send(
        put(
          Array.from({ length: 5_000 }, (_, index) => ({
            timestamp: NOW,
            message: String(batch * 5_000 + index).padStart(100, '0'),
          })),
        ),
      );
    }

    // Act
    const { messages, pages } = await readAllForward(started);
    const limited = await started.client.send(get({ startFromHead: true, limit: 100 }));

    // Assess
    const perPage = Math.floor(MAX_BATCH_BYTES / (100 + EVENT_OVERHEAD_BYTES));
    expect(pages[0]).toBe(perPage);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(messages).toEqual(Array.from({ length: 20_000 }, (_, index) => String(index).padStart(100, '0')));
    expect(limited.events).toHaveLength(100);
  });

  it('pages backward from the tail without gaps or repeats, and echoes the token at the head', async () => {
    // Prepare
    const { client } = await startWithStreams();
    await client.send(
      put(Array.from({ length: 25 }, (_, index) => ({ timestamp: NOW + index, message: `#${index}` }))),
    );

    // Act
    const seen: string[][] = [];
    let response = await client.send(get({ limit: 10 }));
    let token: string | undefined;
    for (let page = 0; page < 10 && (response.events?.length ?? 0) > 0; page++) {
      seen.push(response.events?.map((event) => event.message ?? '') ?? []);
      token = response.nextBackwardToken;
      response = await client.send(get({ limit: 10, nextToken: token }));
    }

    // Assess
    expect(seen.map((page) => page.length)).toEqual([10, 10, 5]);
    expect(seen.reverse().flat()).toEqual(Array.from({ length: 25 }, (_, index) => `#${index}`));
    expect(response.events).toEqual([]);
    expect(response.nextBackwardToken).toBe(token);
  });

  it('keeps a forward token valid when a late event lands before it', async () => {
    // Prepare
    const { client } = await startWithStreams();
    await client.send(
      put(Array.from({ length: 4 }, (_, index) => ({ timestamp: NOW + index * 10, message: `#${index}` }))),
    );
    const head = await client.send(get({ startFromHead: true, limit: 2 }));

    // Act: an event older than every stored one, then one after the client's place.
    await client.send(put([{ timestamp: NOW - 5, message: 'late' }]));
    await client.send(put([{ timestamp: NOW + 15, message: 'between' }]));
    const rest = await client.send(get({ nextToken: head.nextForwardToken }));

    // Assess
    expect(head.events?.map((event) => event.message)).toEqual(['#0', '#1']);
    expect(rest.events?.map((event) => event.message)).toEqual(['between', '#2', '#3']);
  });

  it('picks up events that arrive after an empty stream was read, through the forward token', async () => {
    // Prepare
    const { client } = await startWithStreams();
    const empty = await client.send(get({}));

    // Act
    await client.send(put([{ timestamp: NOW, message: 'first' }]));
    const next = await client.send(get({ nextToken: empty.nextForwardToken }));

    // Assess
    expect(empty.events).toEqual([]);
    expect(next.events?.map((event) => event.message)).toEqual(['first']);
  });

  it('refuses a token it did not hand out', async () => {
    // Prepare
    const { client } = await startWithStreams();

    // Act
    const error = await rejection(client.send(get({ nextToken: 'f/12' })));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe('The specified nextToken is invalid.');
  });
});

describe('logGroupIdentifier', () => {
  it('names the group by name or ARN in GetLogEvents and DescribeLogStreams', async () => {
    // Prepare
    const { client } = await startWithStreams();
    await client.send(put([{ timestamp: NOW, message: 'hello' }]));

    // Act
    const byArn = await client.send(
      new GetLogEventsCommand({ logGroupIdentifier: ARN, logStreamName: STREAM, startFromHead: true }),
    );
    const byName = await client.send(
      new GetLogEventsCommand({ logGroupIdentifier: GROUP, logStreamName: STREAM, startFromHead: true }),
    );
    const streams = await client.send(new DescribeLogStreamsCommand({ logGroupIdentifier: ARN }));

    // Assess
    expect(byArn.events?.map((event) => event.message)).toEqual(['hello']);
    expect(byName.events?.map((event) => event.message)).toEqual(['hello']);
    expect(streams.logStreams?.map((stream) => stream.logStreamName)).toEqual([STREAM]);
  });

  it('refuses a name and an identifier together, and finds no group of another account', async () => {
    // Prepare
    const { client } = await startWithStreams();

    // Act
    const both = await rejection(
      client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logGroupIdentifier: ARN })),
    );
    const elsewhere = await rejection(
      client.send(
        new DescribeLogStreamsCommand({
          logGroupIdentifier: 'arn:aws:logs:us-east-1:123456789012:log-group:/app/test',
        }),
      ),
    );
    const neither = await rejection(client.send(new DescribeLogStreamsCommand({})));

    // Assess
    expect(both).toBeInstanceOf(InvalidParameterException);
    expect(elsewhere).toBeInstanceOf(ResourceNotFoundException);
    expect(neither).toBeInstanceOf(InvalidParameterException);
    expect(neither.message).toContain("Value null at 'logGroupName'");
  });
});

describe('what older clients read', () => {
  it('answers nextSequenceToken and uploadSequenceToken, and storedBytes 0 for streams', async () => {
    // Prepare
    const { client } = await startWithStreams();

    // Act
    const first = await client.send(put([{ timestamp: NOW, message: 'one' }]));
    const second = await client.send(put([{ timestamp: NOW, message: 'two' }]));
    const { logStreams } = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));

    // Assess
    expect(first.nextSequenceToken).toMatch(/^\d{56}$/);
    expect(second.nextSequenceToken).not.toBe(first.nextSequenceToken);
    expect(logStreams?.[0]?.uploadSequenceToken).toBe(second.nextSequenceToken);
    expect(logStreams?.[0]?.storedBytes).toBe(0);
  });
});

describe('DeleteLogStream', () => {
  it('deletes a stream and its events, and answers ResourceNotFoundException for a missing one', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams([STREAM, 'other']);
    await client.send(put([{ timestamp: NOW, message: 'gone' }]));

    // Act
    await client.send(new DeleteLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    const again = await rejection(
      client.send(new DeleteLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM })),
    );
    const { logStreams } = await client.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));

    // Assess
    expect(again).toBeInstanceOf(ResourceNotFoundException);
    expect(logStreams?.map((stream) => stream.logStreamName)).toEqual(['other']);
    expect(cwl.events(GROUP, STREAM)).toEqual([]);
    expect(cwl.stats().requests.DeleteLogStream).toBe(2);
  });
});

describe('the 24-hour span of PutLogEvents', () => {
  it('stores the valid events of a batch that also holds a 15-day-old one', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();

    // Act
    const old = await client.send(
      put([
        { timestamp: NOW - 15 * DAY_MS, message: 'too old' },
        { timestamp: NOW, message: 'now' },
      ]),
    );
    const wide = await client.send(
      put([
        { timestamp: NOW - 15 * DAY_MS, message: 'too old' },
        { timestamp: NOW, message: 'now' },
        { timestamp: NOW + 3 * 60 * 60 * 1000, message: 'too new' },
      ]),
    );

    // Assess
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
    expect(wide.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 2 });
    expect(cwl.events(GROUP, STREAM).map((event) => event.message)).toEqual(['now', 'now']);
    expect(cwl.stats().violations.total).toBe(0);
  });

  it('accepts valid events exactly 24 hours apart and refuses them 24 hours and 1 ms apart', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();

    // Act
    const exactly = await client.send(
      put([
        { timestamp: NOW - DAY_MS, message: 'first' },
        { timestamp: NOW, message: 'last' },
      ]),
    );
    const over = await rejection(
      client.send(
        put([
          { timestamp: NOW - DAY_MS - 1, message: 'first' },
          { timestamp: NOW, message: 'last' },
        ]),
      ),
    );

    // Assess
    expect(exactly.rejectedLogEventsInfo).toBeUndefined();
    expect(over).toBeInstanceOf(InvalidParameterException);
    expect(over.message).toBe(
      'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
    );
    expect(cwl.stats().violations).toMatchObject({ spanTooLong: 1, total: 1 });
    expect(cwl.events(GROUP, STREAM)).toHaveLength(2);
  });

  it('refuses a span of more than 24 hours among valid events even with a too-old one before them', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();

    // Act
    const error = await rejection(
      client.send(
        new PutLogEventsCommand({
          logGroupName: GROUP,
          logStreamName: STREAM,
          logEvents: [
            { timestamp: NOW - MAX_EVENT_AGE_MS - 1, message: 'too old' },
            { timestamp: NOW - 2 * DAY_MS, message: 'valid' },
            { timestamp: NOW, message: 'valid' },
          ],
        }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(cwl.stats()).toMatchObject({ eventsAccepted: 0, rejected: { tooOld: 0 } });
  });
});

describe('StreamData', () => {
  it('keeps events sorted by timestamp, ties in arrival order, for any arrival of sorted batches', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 20 }), { maxLength: 20 }),
        (batches) => {
          // Prepare
          const stream = new StreamData('s', 0);
          const arrived: { timestamp: number; message: string }[] = [];
          let seq = 0;
          let made = 0;

          // Act
          for (const timestamps of batches) {
            const events = [...timestamps]
              .sort((a, b) => a - b)
              .map((timestamp) => ({ timestamp, message: `#${made++}` }));
            for (const event of events) arrived.push(event);
            stream.insert(events, 0, events.length, 0, seq, 0);
            seq += events.length;
          }

          // Assess: Array.prototype.sort is stable, so this is arrival order within a timestamp.
          const expected = [...arrived].sort((a, b) => a.timestamp - b.timestamp);
          expect(stream.read().map((event) => event.message)).toEqual(expected.map((event) => event.message));
          for (let index = 1; index < stream.size; index++) {
            const previous = stream.key(index - 1);
            const current = stream.key(index);
            expect(
              previous.timestamp < current.timestamp ||
                (previous.timestamp === current.timestamp && previous.seq < current.seq),
            ).toBe(true);
          }
        },
      ),
    );
  });
});

describe('an endpoint with the old 256 KB event limit', () => {
  it('refuses the whole request for one 300,000-byte event, in the service words', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams([STREAM], { maxEventBytes: 262_144 });
    const logEvents = Array.from({ length: 20 }, (_, index) => ({
      timestamp: NOW + index,
      message: index === 7 ? 'x'.repeat(300_000) : `small ${index}`,
    }));

    // Act
    const error = await rejection(client.send(put(logEvents)));
    await client.send(put(logEvents.filter((_, index) => index !== 7)));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe('Log event too large: 300026 bytes exceeds limit of 262144');
    expect(cwl.events(GROUP, STREAM)).toHaveLength(19);
    expect(cwl.stats().violations).toMatchObject({ eventTooLarge: 1, total: 1 });
  });
});
