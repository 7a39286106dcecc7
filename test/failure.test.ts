import { inspect } from 'node:util';
import {
  CloudWatchLogsClient,
  InvalidParameterException,
  PutLogEventsCommand,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { CredentialsProviderError } from '@smithy/core/config';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { describeFailure, type FailureDescription, sanitizedCause } from '../src/failure.js';
import { answerJson, startTinyEndpoint, type TinyEndpoint } from './support/tiny-endpoint.js';

const SECRET_KEY = 'PLANTED-secret-access-key-9f8e7d';
const SESSION_TOKEN = 'PLANTED-session-token-1a2b3c';
const BODY_SECRET = 'PLANTED-card-number-4111111111111111';
const PLANTED = [SECRET_KEY, SESSION_TOKEN, BODY_SECRET];

/** Everything a report could show of a description and a cause, hidden fields included. */
function shown(description: FailureDescription, cause: Error): string {
  return [
    JSON.stringify(description),
    cause.message,
    String(cause.stack),
    JSON.stringify(cause),
    inspect(cause, { depth: 10, showHidden: true }),
  ].join('\n');
}

function named(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${BODY_SECRET} quoted by the server`), {
    name,
    $metadata: { httpStatusCode: status, requestId: '6f1c2b7e-8d3a-4c5e-9f0a-1b2c3d4e5f60' },
    ...extra,
  });
}

function withCode(code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`connect ${code} ${BODY_SECRET}`), { code, ...extra });
}

describe('describeFailure', () => {
  it.each<[string, unknown, Partial<FailureDescription>]>([
    [
      'a modeled AWS error',
      new ThrottlingException({
        message: `Rate exceeded for ${BODY_SECRET}`,
        $metadata: { httpStatusCode: 400, requestId: 'req-1' },
      }),
      { kind: 'aws', awsErrorName: 'ThrottlingException', httpStatusCode: 400, requestId: 'req-1' },
    ],
    [
      'an AWS error the table does not know',
      named('SomeNewException', 400, { $fault: 'client' }),
      { kind: 'aws', awsErrorName: 'SomeNewException', httpStatusCode: 400 },
    ],
    [
      'an AWS name without $fault',
      named('AccessDeniedException', 400),
      { kind: 'aws', awsErrorName: 'AccessDeniedException' },
    ],
    [
      'an error answer without a type (empty body)',
      named('Unknown', 502, { $fault: 'server' }),
      { kind: 'http', httpStatusCode: 502 },
    ],
    [
      "a proxy's page the SDK could not parse",
      Object.assign(
        new SyntaxError(`Unexpected token '<', "${BODY_SECRET.slice(0, 10)}"... is not valid JSON`),
        {
          $metadata: { httpStatusCode: 502 },
        },
      ),
      { kind: 'http', httpStatusCode: 502 },
    ],
    [
      'a name that is not an identifier',
      named('Weird Name', 400, { $fault: 'client' }),
      { kind: 'http', httpStatusCode: 400 },
    ],
    [
      'a request id shaped like a session token',
      named('ThrottlingException', 400, {
        $metadata: { httpStatusCode: 400, requestId: `${'A'.repeat(80)}+/==` },
      }),
      { kind: 'aws', requestId: undefined },
    ],
    [
      'a refused signature once the SDK corrected its clock',
      named('InvalidSignatureException', 400, {
        $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
      }),
      { kind: 'clockSkew', awsErrorName: 'InvalidSignatureException', httpStatusCode: 400 },
    ],
    ['a refused connection', withCode('ECONNREFUSED'), { kind: 'network', code: 'ECONNREFUSED' }],
    [
      'a reset the SDK renamed TimeoutError',
      withCode('ECONNRESET', { name: 'TimeoutError' }),
      { kind: 'network', code: 'ECONNRESET' },
    ],
    ['a connection that timed out', withCode('ETIMEDOUT'), { kind: 'timeout', code: 'ETIMEDOUT' }],
    [
      'no answer within requestTimeoutMs',
      Object.assign(new Error('No answer within 30000 ms'), { name: 'TimeoutError' }),
      { kind: 'timeout', code: undefined },
    ],
    ['socket hang up', new Error('socket hang up'), { kind: 'network' }],
    [
      'a network error under a wrapper',
      new Error(`request failed: ${BODY_SECRET}`, { cause: withCode('ECONNRESET') }),
      { kind: 'network', code: 'ECONNRESET' },
    ],
    [
      'no credentials anywhere',
      new CredentialsProviderError('Could not load credentials from any providers', false),
      { kind: 'credentials', awsErrorName: undefined },
    ],
    [
      'a failing credentials provider',
      new CredentialsProviderError(`vault said ${SESSION_TOKEN}`, false),
      { kind: 'credentials' },
    ],
    ['a plain Error', new Error(`boom ${BODY_SECRET}`), { kind: 'unknown' }],
    [
      'a local error with a code',
      withCode('ERR_INVALID_ARG_TYPE'),
      { kind: 'unknown', code: 'ERR_INVALID_ARG_TYPE' },
    ],
    ['a string', BODY_SECRET, { kind: 'unknown' }],
    ['undefined', undefined, { kind: 'unknown' }],
    [
      'an error-like whose getter throws',
      {
        get name(): string {
          throw new Error(BODY_SECRET);
        },
      },
      { kind: 'unknown' },
    ],
  ])('describes %s', (_label, error, expected) => {
    // Act
    const description = describeFailure(error);
    const cause = sanitizedCause(error, description);
    // Assess: a field expected `undefined` must be absent.
    const present = Object.fromEntries(Object.entries(expected).filter(([, value]) => value !== undefined));
    expect(description).toMatchObject(present);
    for (const key of Object.keys(expected) as (keyof FailureDescription)[]) {
      if (expected[key] === undefined) expect(description).not.toHaveProperty(key);
    }
    expect(description.detail.length).toBeGreaterThan(0);
    expect(description.detail.length).toBeLessThan(400);
    for (const secret of PLANTED) expect(shown(description, cause)).not.toContain(secret);
  });

  it('says where credentials were looked for when none were found, and that no request was sent', () => {
    // Act
    const { detail } = describeFailure(
      new CredentialsProviderError('Could not load credentials from any providers', false),
    );
    // Assess
    expect(detail).toMatch(/no credentials were found/);
    expect(detail).toMatch(/instance metadata/);
    expect(detail).toMatch(/No request was sent/);
  });

  it('never repeats a message, nor a name, code or request id that is not identifier-shaped', () => {
    // Prepare: errors of every shape, a planted marker in every text they hold. Messages are never
    // repeated, whatever they hold; a name, code or request id is, when it is a bare identifier of
    // at most 64 characters (the AWS error name is the point of a report), so here those carry the
    // marker inside text that a server's sentence would hold: spaces, punctuation, length.
    const marker = 'ZQXJ';
    const anyText = fc.string({ maxLength: 30 }).map((s) => `${s}${marker}${s}`);
    const sentence = fc
      .tuple(fc.string({ maxLength: 20 }), fc.constantFrom(' ', ': ', '"', '<', '{', '/', 'x'.repeat(70)))
      .map(([s, glue]) => `${s}${glue}${marker}${s}`);
    const shape = fc.record({
      name: fc.oneof(
        fc.constantFrom(
          'ThrottlingException',
          'InvalidParameterException',
          'Unknown',
          'SyntaxError',
          'TimeoutError',
        ),
        sentence,
      ),
      message: anyText,
      code: fc.option(fc.oneof(fc.constantFrom('ECONNRESET', 'ETIMEDOUT'), sentence), { nil: undefined }),
      status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
      fault: fc.option(fc.constantFrom('client', 'server'), { nil: undefined }),
      requestId: fc.option(sentence, { nil: undefined }),
      clockSkewCorrected: fc.boolean(),
      wrapped: fc.boolean(),
    });
    fc.assert(
      fc.property(shape, (s) => {
        const inner = Object.assign(new Error(s.message), {
          name: s.name,
          code: s.code,
          $fault: s.fault,
          $metadata: {
            httpStatusCode: s.status,
            requestId: s.requestId,
            clockSkewCorrected: s.clockSkewCorrected,
          },
          $response: { body: s.message },
        });
        const error = s.wrapped ? new Error(s.message, { cause: inner }) : inner;
        // Act
        const description = describeFailure(error);
        // Assess
        expect(shown(description, sanitizedCause(error, description))).not.toContain(marker);
      }),
      { numRuns: 500 },
    );
  });
});

describe('sanitizedCause', () => {
  it('keeps the name, code, $fault and the safe $metadata, and nothing else', () => {
    // Prepare
    const $metadata = {
      httpStatusCode: 400,
      requestId: 'req-2',
      attempts: 3,
      clockSkewCorrected: true,
      extendedRequestId: 'ext',
      cfId: 'cf',
    };
    const error = Object.assign(
      new InvalidParameterException({ message: `rejected ${BODY_SECRET}`, $metadata }),
      {
        $response: { body: BODY_SECRET },
        cause: new Error(BODY_SECRET),
        code: 'SOME_CODE',
      },
    );
    // Act
    const cause = sanitizedCause(error);
    // Assess
    expect(cause.name).toBe('InvalidParameterException');
    expect(cause.message).toBe(describeFailure(error).detail);
    expect(cause.stack).toBe(`InvalidParameterException: ${cause.message}`);
    expect({ ...cause }).toEqual({
      name: 'InvalidParameterException',
      code: 'SOME_CODE',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-2', attempts: 3, clockSkewCorrected: true },
    });
    expect(cause.cause).toBeUndefined();
    expect(cause).not.toHaveProperty('$response');
  });
});

describe('through the real SDK', () => {
  let servers: TinyEndpoint[] = [];
  let clients: CloudWatchLogsClient[] = [];
  afterEach(async () => {
    for (const client of clients) client.destroy();
    clients = [];
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });

  async function send(
    answer: Parameters<typeof startTinyEndpoint>[0],
  ): Promise<{ error: unknown; server: TinyEndpoint }> {
    const server = await startTinyEndpoint(answer);
    servers.push(server);
    const client = new CloudWatchLogsClient({
      endpoint: server.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAPLANTED', secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN },
    });
    clients.push(client);
    try {
      await client.send(
        new PutLogEventsCommand({
          logGroupName: '/g',
          logStreamName: 's',
          logEvents: [{ timestamp: Date.now(), message: `user paid with ${BODY_SECRET}` }],
        }),
      );
    } catch (error) {
      return { error, server };
    }
    throw new Error('expected the send to fail');
  }

  it("describes a proxy's HTML 502 as an HTTP error with its status, not as a SyntaxError", async () => {
    // Prepare / Act: the page starts with the logged message, as a careless proxy's might.
    const { error } = await send((request, response) => {
      const { logEvents } = JSON.parse(request.body) as { logEvents: { message: string }[] };
      response.writeHead(502, { 'content-type': 'text/html', 'x-amzn-requestid': 'proxy-7' });
      response.end(`${logEvents[0]?.message}<html><body><h1>502 Bad Gateway</h1></body></html>`);
    });
    const description = describeFailure(error);
    const cause = sanitizedCause(error, description);
    // Assess: the SDK's error is a SyntaxError whose message quotes the start of the body.
    expect((error as Error).name).toBe('SyntaxError');
    expect((error as Error).message).toContain('"user paid "');
    expect(description).toEqual({
      kind: 'http',
      httpStatusCode: 502,
      requestId: 'proxy-7',
      detail: expect.stringContaining('HTTP 502'),
    });
    expect(description.detail).toMatch(/proxy/);
    expect(JSON.stringify(description)).not.toContain('SyntaxError');
    expect(shown(description, cause)).not.toContain('user paid');
    expect((cause as Error & { $metadata?: unknown }).$metadata).toEqual({
      httpStatusCode: 502,
      requestId: 'proxy-7',
      attempts: 1,
    });
  });

  it('keeps out every planted secret when the server echoes the request body and headers in its message', async () => {
    // Prepare / Act
    const { error, server } = await send((request, response) => {
      answerJson(
        response,
        400,
        {
          __type: 'InvalidParameterException',
          message: `Refused: ${request.body} ${JSON.stringify(request.headers)}`,
        },
        { 'x-amzn-requestid': 'echo-1' },
      );
    });
    const description = describeFailure(error);
    const cause = sanitizedCause(error, description);
    // Assess: the echo is real (the SDK's message holds the body and the session token)…
    expect(server.requests[0]?.headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    expect((error as Error).message).toContain(BODY_SECRET);
    expect((error as Error).message).toContain(SESSION_TOKEN);
    // …and none of it reaches the description or the cause.
    expect(description).toMatchObject({
      kind: 'aws',
      awsErrorName: 'InvalidParameterException',
      httpStatusCode: 400,
      requestId: 'echo-1',
    });
    const everything = shown(description, cause);
    for (const secret of PLANTED) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('Refused');
    expect(everything).not.toContain('AKIAPLANTED');
  });

  it('describes a refused connection as a network failure', async () => {
    // Prepare: a port that was just freed on 127.0.0.1.
    const { port } = await (async () => {
      const probe = await startTinyEndpoint((_request, response) => response.end());
      await probe.close();
      return probe;
    })();
    const client = new CloudWatchLogsClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAPLANTED', secretAccessKey: SECRET_KEY },
    });
    clients.push(client);
    // Act
    const error = await client
      .send(new PutLogEventsCommand({ logGroupName: '/g', logStreamName: 's', logEvents: [] }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // Assess
    expect(describeFailure(error)).toEqual({
      kind: 'network',
      code: 'ECONNREFUSED',
      detail: 'no answer: the connection failed (ECONNREFUSED)',
    });
  });
});
