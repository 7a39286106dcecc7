import {
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  InvalidParameterException,
  paginateFilterLogEvents,
} from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern } from '../src/testing/filter.js';
import { GROUP, NOW, put, rejection, type Started, startWithStreams } from './support/local.js';

const MESSAGES = [
  'INFO request served in 12 ms',
  'ERROR Failed to process order 42',
  'WARN slow request',
  'error lower case',
  'ERROR Exiting',
  '{"level":"error","latencyMs":250,"user":{"id":"u-1"},"tags":["a","b"],"ok":false,"note":null}',
  '{"level":"info","latencyMs":12,"user":{"id":"u-2"},"tags":["b"],"ok":true}',
  '{"level":"warn","latencyMs":99.5,"path":"/api/orders/7"}',
  'not json {"level":"error"}',
];

/** {@link MESSAGES} in one stream, one millisecond apart from {@link NOW}. */
async function startWithMessages(): Promise<Started> {
  const started = await startWithStreams();
  await started.client.send(put(MESSAGES.map((message, index) => ({ timestamp: NOW + index, message }))));
  return started;
}

async function filter({ client }: Started, input: Partial<FilterLogEventsCommandInput>): Promise<string[]> {
  const response = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, ...input }));
  return response.events?.map((event) => event.message ?? '') ?? [];
}

describe('FilterLogEvents patterns', () => {
  it.each([
    { pattern: '', expected: MESSAGES },
    { pattern: 'ERROR', expected: [MESSAGES[1], MESSAGES[4]] },
    { pattern: 'ERROR Exiting', expected: [MESSAGES[4]] },
    { pattern: '"Failed to process"', expected: [MESSAGES[1]] },
    { pattern: '?WARN ?Exiting', expected: [MESSAGES[2], MESSAGES[4]] },
    { pattern: 'ERROR -Exiting', expected: [MESSAGES[1]] },
    { pattern: 'error', expected: [MESSAGES[3], MESSAGES[5], MESSAGES[8]] },
    { pattern: '%[0-9]+ ms%', expected: [MESSAGES[0]] },
  ])('matches terms: $pattern', async ({ pattern, expected }) => {
    // Prepare
    const started = await startWithMessages();

    // Act
    const messages = await filter(started, { filterPattern: pattern });

    // Assess
    expect(messages).toEqual(expected);
  });

  it.each([
    { pattern: '{ $.level = "error" }', expected: [5] },
    { pattern: '{ $.level != "error" }', expected: [6, 7] },
    { pattern: '{ $.level = err* }', expected: [5] },
    { pattern: '{ $.latencyMs > 99 }', expected: [5, 7] },
    { pattern: '{ $.latencyMs <= 99.5 }', expected: [6, 7] },
    { pattern: '{ $.latencyMs = 12 }', expected: [6] },
    { pattern: '{ $.level = "info" || $.latencyMs >= 250 }', expected: [5, 6] },
    { pattern: '{ ($.level = "error" || $.level = "warn") && $.latencyMs < 100 }', expected: [7] },
    { pattern: '{ $.user.id = "u-2" }', expected: [6] },
    { pattern: '{ $.tags[1] = "b" }', expected: [5] },
    { pattern: '{ $.path = "/api/orders/*" }', expected: [7] },
    { pattern: '{ $.note IS NULL }', expected: [5] },
    { pattern: '{ $.ok IS TRUE }', expected: [6] },
    { pattern: '{ $.ok IS FALSE }', expected: [5] },
    { pattern: '{ $.user NOT EXISTS }', expected: [7] },
  ])('matches JSON properties: $pattern', async ({ pattern, expected }) => {
    // Prepare
    const started = await startWithMessages();

    // Act
    const messages = await filter(started, { filterPattern: pattern });

    // Assess
    expect(messages).toEqual(expected.map((index) => MESSAGES[index]));
  });

  it.each([
    '{ $.level = "error" ',
    '{ level = "error" }',
    '{ $.latencyMs > "high" }',
    '{ ($.level = "error" }',
    '"unclosed',
    '[ip, user]',
  ])('refuses the malformed or unsupported pattern %s with InvalidParameterException', async (pattern) => {
    // Prepare
    const started = await startWithMessages();

    // Act
    const error = await rejection(filter(started, { filterPattern: pattern }));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
  });

  it('matches a single term exactly where the message contains it, case-sensitively', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_]{1,6}$/), fc.string({ maxLength: 30 }), (term, message) => {
        expect(compileFilterPattern(term)(message)).toBe(message.includes(term));
        expect(compileFilterPattern(`"${term}"`)(message)).toBe(message.includes(term));
        expect(compileFilterPattern(`-${term}`)(message)).toBe(!message.includes(term));
      }),
    );
  });
});

describe('FilterLogEvents streams, times and pages', () => {
  /** Three streams whose events interleave: stream `s<k>` has times NOW + k, NOW + k + 3, ... */
  async function startInterleaved(): Promise<Started> {
    const started = await startWithStreams(['s0', 's1', 's2']);
    for (let stream = 0; stream < 3; stream++) {
      await started.client.send(
        put(
          Array.from({ length: 10 }, (_, index) => ({
            timestamp: NOW + stream + index * 3,
            message: `t${stream + index * 3}`,
          })),
          `s${stream}`,
        ),
      );
    }
    return started;
  }

  it('interleaves the streams by time and pages with limit and nextToken until the token is gone', async () => {
    // Prepare
    const { client } = await startInterleaved();

    // Act
    const pages: string[][] = [];
    const ids = new Set<string>();
    const paginator = paginateFilterLogEvents(
      { client, pageSize: 7 },
      { logGroupName: GROUP, interleaved: true },
    );
    let last: string | undefined = 'first';
    for await (const page of paginator) {
      pages.push(page.events?.map((event) => `${event.logStreamName}:${event.message}`) ?? []);
      for (const event of page.events ?? []) ids.add(event.eventId ?? '');
      last = page.nextToken;
    }

    // Assess
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 7, 2]);
    expect(pages.flat()).toEqual(Array.from({ length: 30 }, (_, time) => `s${time % 3}:t${time}`));
    expect(ids.size).toBe(30);
    expect(last).toBeUndefined();
  });

  it('reads only the streams named or prefixed, and refuses both together', async () => {
    // Prepare
    const started = await startInterleaved();

    // Act
    const named = await filter(started, { logStreamNames: ['s2', 'missing'], limit: 3 });
    const prefixed = await filter(started, { logStreamNamePrefix: 's1', limit: 3 });
    const both = await rejection(filter(started, { logStreamNames: ['s1'], logStreamNamePrefix: 's' }));

    // Assess
    expect(named).toEqual(['t2', 't5', 't8']);
    expect(prefixed).toEqual(['t1', 't4', 't7']);
    expect(both).toBeInstanceOf(InvalidParameterException);
  });

  it('keeps events from startTime to endTime, both inclusive', async () => {
    // Prepare
    const started = await startInterleaved();

    // Act
    const messages = await filter(started, { startTime: NOW + 10, endTime: NOW + 14 });

    // Assess
    expect(messages).toEqual(['t10', 't11', 't12', 't13', 't14']);
  });

  it('returns the latest events first with startFromHead false, and pages back from there', async () => {
    // Prepare
    const { client } = await startInterleaved();
    const input = { logGroupName: GROUP, startTime: NOW, startFromHead: false, limit: 4 };

    // Act
    const first = await client.send(new FilterLogEventsCommand(input));
    const second = await client.send(new FilterLogEventsCommand({ ...input, nextToken: first.nextToken }));

    // Assess
    expect(first.events?.map((event) => event.message)).toEqual(['t29', 't28', 't27', 't26']);
    expect(second.events?.map((event) => event.message)).toEqual(['t25', 't24', 't23', 't22']);
  });

  it('reads a group named by logGroupIdentifier and answers an empty searchedLogStreams', async () => {
    // Prepare
    const { client } = await startInterleaved();

    // Act
    const response = await client.send(
      new FilterLogEventsCommand({
        logGroupIdentifier: `arn:aws:logs:us-east-1:000000000000:log-group:${GROUP}`,
        filterPattern: 't29',
      }),
    );

    // Assess
    expect(response.events).toEqual([
      {
        logStreamName: 's2',
        timestamp: NOW + 29,
        message: 't29',
        ingestionTime: NOW,
        eventId: expect.any(String),
      },
    ]);
    expect(response.searchedLogStreams).toEqual([]);
    expect(response.nextToken).toBeUndefined();
  });

  it('continues after a page even when new events arrive between the calls, as `aws logs tail --follow` polls', async () => {
    // Prepare
    const { client } = await startInterleaved();
    const first = await client.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 28 }));

    // Act: an event later than all, and one earlier than the client's place.
    await client.send(put([{ timestamp: NOW + 40, message: 'later' }], 's0'));
    await client.send(put([{ timestamp: NOW + 1, message: 'earlier' }], 's1'));
    const rest = await client.send(
      new FilterLogEventsCommand({ logGroupName: GROUP, nextToken: first.nextToken }),
    );

    // Assess
    expect(rest.events?.map((event) => event.message)).toEqual(['t28', 't29', 'later']);
  });
});
