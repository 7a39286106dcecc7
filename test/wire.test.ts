import { createHash } from 'node:crypto';
import * as awsSdk from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type PutInput, putLogEventsBody, putLogEventsCommand, reusableBody } from '../src/wire.js';

type Logger = NonNullable<ConstructorParameters<typeof CloudWatchLogsClient>[0]>['logger'];

interface Captured {
  body: Uint8Array;
  headers: Record<string, string>;
}

/** What the service answers to a PutLogEvents it stored. */
async function answeredOk() {
  const { Readable } = await import('node:stream');
  return {
    response: {
      statusCode: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: Readable.from([Buffer.from('{}')]),
    },
  };
}

/** A client whose requests stop at a handler that keeps them and answers as the service would. */
function capturingClient(extra: { logger?: Logger } = {}): {
  client: CloudWatchLogsClient;
  sent: Captured[];
} {
  const sent: Captured[] = [];
  const client = new CloudWatchLogsClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
    ...extra,
    requestHandler: {
      handle: async (request: { body: unknown; headers: Record<string, string> }) => {
        const body = request.body;
        sent.push({
          // The SDK's body is a Uint8Array subclass whose valueOf() is a string: copy its bytes.
          body:
            typeof body === 'string'
              ? Buffer.from(body)
              : Buffer.from(
                  Buffer.from(
                    (body as Uint8Array).buffer,
                    (body as Uint8Array).byteOffset,
                    (body as Uint8Array).byteLength,
                  ),
                ),
          headers: { ...request.headers },
        });
        return answeredOk();
      },
    },
  });
  return { client, sent };
}

// Any UTF-16 code unit: lone surrogates, control characters, quotes and backslashes included.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
// Plain text with, now and then, each thing JSON escapes or that takes more than one byte.
const tricky = fc.constantFrom(
  'a',
  ' ',
  '"',
  '\\',
  '\n',
  '\u0001',
  '\u001f',
  'é',
  '😀',
  '\ud800',
  '\udc00',
  '\u2028',
);
const anyMessage = fc.oneof(
  fc.string({ unit: codeUnit, minLength: 1 }),
  fc.string({ unit: 'binary', minLength: 1 }),
  fc.string({ unit: tricky, minLength: 1 }),
  fc.string({
    unit: fc.oneof({ weight: 20, arbitrary: fc.constant('x') }, { weight: 1, arbitrary: tricky }),
    minLength: 1,
  }),
);
const anyEvent = fc.record({
  timestamp: fc.integer({ min: 0, max: 8_640_000_000_000 }),
  message: anyMessage,
  // The pipeline's events carry two more fields, which no body may contain.
  bytes: fc.nat(),
  kind: fc.constantFrom('whole', 'piece'),
});
const anyInput = fc.record(
  {
    logGroupName: fc.string({ minLength: 1, maxLength: 20 }),
    logStreamName: fc.string({ minLength: 1, maxLength: 20 }),
    logEvents: fc.array(anyEvent, { minLength: 1, maxLength: 20 }),
    entity: fc.record({
      keyAttributes: fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
      attributes: fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
    }),
  },
  { requiredKeys: ['logGroupName', 'logStreamName', 'logEvents'] },
);

// For the writer against JSON.stringify: any number as a timestamp, and now and then what a client's
// middleware might leave that is not the model's shape (no names, a message that is not a string).
const anyNumber = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 8_640_000_000_000_000 }) },
  { weight: 2, arbitrary: fc.double() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      99_999_999,
      1e8,
      -1,
      -0.0000012345678901234567,
    ),
  },
);
const oddInput = fc.record(
  {
    logGroupName: fc.oneof(
      { weight: 9, arbitrary: fc.string({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    logStreamName: fc.oneof(
      { weight: 9, arbitrary: fc.string({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    logEvents: fc.array(
      fc.record({
        timestamp: fc.oneof(
          { weight: 19, arbitrary: anyNumber },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        message: fc.oneof(
          { weight: 19, arbitrary: anyMessage },
          { weight: 1, arbitrary: fc.oneof(fc.constant(undefined), fc.integer()) },
        ),
      }),
      { maxLength: 20 },
    ),
  },
  { requiredKeys: ['logGroupName', 'logStreamName', 'logEvents'] },
);

/** `JSON.stringify` of the model's members of an input, whatever they hold: what the body must be, byte for byte. */
function stringified(input: {
  logGroupName?: unknown;
  logStreamName?: unknown;
  logEvents: readonly { timestamp?: unknown; message?: unknown }[];
  entity?: unknown;
}): string {
  return JSON.stringify({
    logGroupName: input.logGroupName,
    logStreamName: input.logStreamName,
    logEvents: input.logEvents.map((e) => ({ timestamp: e.timestamp, message: e.message })),
    ...(input.entity === undefined ? {} : { entity: input.entity }),
  });
}

/** The headers two requests for the same input may differ in: they name the moment or the attempt. */
const PER_REQUEST = new Set(['amz-sdk-invocation-id', 'x-amz-date', 'authorization', 'x-amz-content-sha256']);

function stable(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_REQUEST.has(name.toLowerCase())));
}

describe('the PutLogEvents body', () => {
  let client: CloudWatchLogsClient | undefined;
  afterEach(() => client?.destroy());

  it('says what the SDK serializer says for any input', async () => {
    // Prepare
    const made = capturingClient();
    client = made.client;
    await fc.assert(
      fc.asyncProperty(anyInput, async (input) => {
        made.sent.length = 0;
        // Act
        await made.client.send(
          new PutLogEventsCommand(input as ConstructorParameters<typeof PutLogEventsCommand>[0]),
        );
        await made.client.send(putLogEventsCommand(awsSdk, input as PutInput));
        // Assess
        const [sdk, ours] = made.sent as [Captured, Captured];
        const parsed = JSON.parse(Buffer.from(ours.body).toString('utf8'));
        expect(parsed).toEqual(JSON.parse(Buffer.from(sdk.body).toString('utf8')));
        expect(Object.keys(parsed.logEvents[0]).sort()).toEqual(['message', 'timestamp']);
        expect(stable(ours.headers)).toEqual({
          ...stable(sdk.headers),
          'content-length': String(ours.body.byteLength),
        });
      }),
      { numRuns: 200 },
    );
  });

  it("is, byte for byte, JSON.stringify of the model's members, for any input", () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const expected = stringified(input);
        expect(putLogEventsBody(input as PutInput).toString('utf8')).toBe(expected);
        expect(putLogEventsBody(input as PutInput).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("is JSON.stringify's too for any timestamp, and for what is not the model's shape", () => {
    fc.assert(
      fc.property(oddInput, (input) => {
        const expected = stringified(input);
        expect(putLogEventsBody(input as unknown as PutInput).toString('utf8')).toBe(expected);
      }),
      { numRuns: 1_000 },
    );
  });

  it('grows its buffer for messages that escape to more than three bytes a unit', () => {
    // Control characters escape to six bytes each (\u0001), lone surrogates too: 1 MB of them.
    const input: PutInput = {
      logGroupName: 'g',
      logStreamName: 's',
      logEvents: [
        { timestamp: 1, message: '\u0001'.repeat(200_000) },
        { timestamp: 2, message: '\ud800'.repeat(200_000) },
        { timestamp: 3, message: 'plain' },
      ],
    };
    const body = putLogEventsBody(input);
    expect(body.equals(Buffer.from(JSON.stringify(input)))).toBe(true);
    expect(body.byteLength).toBe(
      2_400_000 +
        Buffer.byteLength(
          JSON.stringify({
            ...input,
            logEvents: [
              { timestamp: 1, message: '' },
              { timestamp: 2, message: '' },
              { timestamp: 3, message: 'plain' },
            ],
          }),
        ),
    );
  });

  it('is the body that is signed and counted', async () => {
    // Prepare
    const made = capturingClient();
    client = made.client;
    const input: PutInput = {
      logGroupName: 'g',
      logStreamName: 's',
      logEvents: [
        { timestamp: 1, message: 'é "quoted" \\ \n' },
        { timestamp: 2, message: '😀' },
      ],
    };
    // Act
    await made.client.send(putLogEventsCommand(awsSdk, input));
    // Assess
    const [ours] = made.sent as [Captured];
    expect(Buffer.from(ours.body).equals(putLogEventsBody(input))).toBe(true);
    expect(ours.headers['content-length']).toBe(String(ours.body.byteLength));
    expect(ours.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(ours.body).digest('hex'));
  });

  it("sends a batch's later attempts the body its first wrote, and only for the same events and place", async () => {
    // Prepare: a handler that keeps the bodies themselves, not copies. The sender retries a batch
    // with a new command over the same array of events.
    const bodies: unknown[] = [];
    client = new CloudWatchLogsClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { body: unknown }) => {
          bodies.push(request.body);
          return answeredOk();
        },
      },
    });
    const logEvents = [
      { timestamp: 1, message: 'one' },
      { timestamp: 2, message: 'two' },
    ];
    const input: PutInput = { logGroupName: 'g', logStreamName: 's', logEvents };
    // Act: two attempts of one batch; the same events, copied; the same array to another stream.
    await client.send(putLogEventsCommand(awsSdk, { ...input }));
    await client.send(putLogEventsCommand(awsSdk, { ...input }));
    await client.send(putLogEventsCommand(awsSdk, { ...input, logEvents: [...logEvents] }));
    await client.send(putLogEventsCommand(awsSdk, { ...input, logStreamName: 'other' }));
    // Assess
    const [first, again, copied, other] = bodies as Buffer[];
    expect(again).toBe(first);
    expect(first?.equals(putLogEventsBody(input))).toBe(true);
    expect(copied).not.toBe(first);
    expect(copied?.equals(putLogEventsBody(input))).toBe(true);
    expect(JSON.parse(String(other)).logStreamName).toBe('other');
    expect(reusableBody({ ...input, logStreamName: 'other' })).toBe(other);
  });

  it('tells a configured logger the destination and the number of events, never a message', async () => {
    // Prepare
    const told: unknown[] = [];
    const logger = { debug() {}, info: (entry: unknown) => told.push(entry), warn() {}, error() {} };
    const made = capturingClient({ logger });
    client = made.client;
    const input: PutInput = {
      logGroupName: 'g',
      logStreamName: 's',
      logEvents: [{ timestamp: 1, message: 'a message body' }],
    };
    // Act
    await made.client.send(putLogEventsCommand(awsSdk, input));
    // Assess
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told)).not.toContain('a message body');
    expect(told[0]).toMatchObject({
      commandName: 'PutLogEventsCommand',
      input: { logGroupName: 'g', logStreamName: 's', logEvents: '[1 events]' },
    });
    const [ours] = made.sent as [Captured];
    expect(JSON.parse(Buffer.from(ours.body).toString('utf8')).logEvents).toEqual([
      { timestamp: 1, message: 'a message body' },
    ]);
  });

  it("writes the events as a client's own middlewares left them (a redaction, say)", async () => {
    // Prepare: one middleware at each step before the serializer rewrites the messages.
    const made = capturingClient();
    client = made.client;
    const rewrite =
      (from: string, to: string) =>
      (next: (args: never) => Promise<unknown>) =>
      (args: { input: PutInput }) =>
        next({
          ...args,
          input: {
            ...args.input,
            logEvents: args.input.logEvents.map((e) => ({ ...e, message: e.message.replace(from, to) })),
          },
        } as never);
    made.client.middlewareStack.add(rewrite('secret', '[redacted]') as never, {
      step: 'initialize',
      name: 'redact',
    });
    made.client.middlewareStack.add(rewrite('token', '[gone]') as never, {
      step: 'serialize',
      priority: 'high',
      name: 'strip',
    });
    // Act
    await made.client.send(
      putLogEventsCommand(awsSdk, {
        logGroupName: 'g',
        logStreamName: 's',
        logEvents: [{ timestamp: 1, message: 'a secret and a token' }],
      }),
    );
    // Assess
    const [ours] = made.sent as [Captured];
    expect(JSON.parse(Buffer.from(ours.body).toString('utf8')).logEvents).toEqual([
      { timestamp: 1, message: 'a [redacted] and a [gone]' },
    ]);
  });

  it('leaves the command input whole, events and all', () => {
    // Prepare
    const logEvents = [{ timestamp: 1, message: 'one', bytes: 3, kind: 'whole' }];
    // Act
    const command = putLogEventsCommand(awsSdk, { logGroupName: 'g', logStreamName: 's', logEvents });
    // Assess
    expect(command.input.logEvents).toBe(logEvents);
  });
});
