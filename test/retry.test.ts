import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as cloudWatchLogs from '@aws-sdk/client-cloudwatch-logs';
import {
  CloudWatchLogsServiceException,
  InvalidParameterException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { CredentialsProviderError, ProviderError } from '@smithy/core/config';
import {
  isClockSkewCorrectedError,
  isRetryableByTrait,
  isServerError,
  isThrottlingError,
  isTransientError,
  StandardRetryStrategy,
} from '@smithy/core/retry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  classifyError,
  type ErrorClass,
  isNoCredentialsError,
  KNOWN_TO_CLASSIFICATION,
} from '../src/retry.js';

// The parity test reads the lists the installed SDK classifies by, from the very module the
// client runs, so that a name the SDK learns later is run here too, and fails until it is decided.
const require = createRequire(import.meta.url);
const SDK_RETRY_MODULE = require.resolve('@smithy/core/retry');
const SDK_SOURCE = readFileSync(SDK_RETRY_MODULE, 'utf8');

function sdkList(constant: string): (string | number)[] {
  const match = new RegExp(`const ${constant} = \\[([^\\]]*)\\]`).exec(SDK_SOURCE);
  if (!match)
    throw new Error(`${constant} is not in ${SDK_RETRY_MODULE}: the parity test needs a new reader`);
  return [...(match[1] as string).matchAll(/"([^"]+)"|(\d+)/g)].map((m) =>
    m[1] === undefined ? Number(m[2]) : m[1],
  );
}

const SDK = {
  clockSkewNames: sdkList('CLOCK_SKEW_ERROR_CODES') as string[],
  throttlingNames: sdkList('THROTTLING_ERROR_CODES') as string[],
  transientNames: sdkList('TRANSIENT_ERROR_CODES') as string[],
  transientStatuses: sdkList('TRANSIENT_ERROR_STATUS_CODES') as number[],
  networkCodes: [
    ...(sdkList('NODEJS_TIMEOUT_ERROR_CODES') as string[]),
    ...(sdkList('NODEJS_NETWORK_ERROR_CODES') as string[]),
  ],
};

/** Every exception class CloudWatch Logs models, as the client exports them. */
type ExceptionClass = new (init: { message: string; $metadata: object }) => CloudWatchLogsServiceException;
const CLOUDWATCH_LOGS_EXCEPTIONS = (Object.values(cloudWatchLogs) as unknown[]).filter(
  (value): value is ExceptionClass =>
    typeof value === 'function' &&
    value !== CloudWatchLogsServiceException &&
    value.prototype instanceof CloudWatchLogsServiceException,
);

type Verdict = 'throttle' | 'transient' | 'fatal';

/**
 * What the SDK's standard retry strategy does with an error: it sorts it with these predicates, in
 * this order (`getRetryErrorType` in its retry middleware), and retries THROTTLING and TRANSIENT
 * only (the test of the strategy below checks that).
 */
function sdkVerdict(error: object): Verdict {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's predicates take its own error type.
  const e = error as any;
  if (isThrottlingError(e)) return 'throttle';
  if (isTransientError(e)) return 'transient';
  if (isServerError(e)) return 'fatal'; // SERVER_ERROR: not retried
  return 'fatal'; // CLIENT_ERROR
}

/** Ours in the SDK's terms: a clock-skew retry is the SDK's TRANSIENT (once corrected). */
function ourVerdict(error: unknown): Verdict | 'credentials' {
  const errorClass = classifyError(error);
  return errorClass === 'clockSkew' ? 'transient' : errorClass;
}

interface Row {
  readonly id: string;
  readonly error: object;
}

function named(name: string, status = 400, extra: Record<string, unknown> = {}): object {
  return Object.assign(new Error('A message the server wrote'), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

function withCode(code: string, message = 'connect failed'): object {
  return Object.assign(new Error(message), { code });
}

const union = <T>(...lists: readonly (readonly T[])[]): T[] => [...new Set(lists.flat())];

/** Every name, status and code either side knows, plus the cases their rules single out. */
function parityRows(): Row[] {
  const names = union(
    SDK.clockSkewNames,
    SDK.throttlingNames,
    SDK.transientNames,
    KNOWN_TO_CLASSIFICATION.throttlingNames,
    KNOWN_TO_CLASSIFICATION.clockSkewNames,
    KNOWN_TO_CLASSIFICATION.transientNames,
  );
  const rows: Row[] = names.map((name) => ({ id: `name ${name}`, error: named(name) }));
  for (const name of union(SDK.clockSkewNames, KNOWN_TO_CLASSIFICATION.clockSkewNames)) {
    rows.push({
      id: `name ${name}, clock skew corrected`,
      error: named(name, 400, { $metadata: { httpStatusCode: 400, clockSkewCorrected: true } }),
    });
  }
  for (const Exception of CLOUDWATCH_LOGS_EXCEPTIONS) {
    const probe = new Exception({ message: 'm', $metadata: {} });
    const status = probe.$fault === 'server' ? 500 : 400;
    rows.push({
      id: `CloudWatch Logs ${probe.name}`,
      error: new Exception({
        message: 'A message the server wrote',
        $metadata: { httpStatusCode: status },
      }),
    });
  }
  for (let status = 400; status <= 599; status++) {
    rows.push({ id: `status ${status}`, error: named('Unknown', status, { message: 'UnknownError' }) });
  }
  for (const code of union(SDK.networkCodes, KNOWN_TO_CLASSIFICATION.networkCodes)) {
    rows.push({ id: `code ${code}`, error: withCode(code) });
  }
  rows.push(
    {
      id: 'code ERR_HTTP2_STREAM_ERROR, refused stream',
      error: withCode('ERR_HTTP2_STREAM_ERROR', 'Stream closed with error code NGHTTP2_REFUSED_STREAM'),
    },
    { id: 'retryable trait', error: named('SomeModeledException', 400, { $retryable: {} }) },
    {
      id: 'retryable trait, throttling',
      error: named('SomeModeledException', 400, { $retryable: { throttling: true } }),
    },
    { id: 'AbortError with a 503', error: named('AbortError', 503) },
    {
      id: 'clock skew corrected on an InvalidParameterException',
      error: named('InvalidParameterException', 400, {
        $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
      }),
    },
    {
      id: 'clock skew corrected on a ThrottlingException',
      error: named('ThrottlingException', 400, {
        $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
      }),
    },
    {
      id: 'InvalidSignatureException: Signature expired, not corrected',
      error: Object.assign(named('InvalidSignatureException'), {
        message:
          'Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z (20260101T001000Z - 5 min.)',
      }),
    },
    {
      id: 'a network error one cause down',
      error: Object.assign(new Error('request failed'), { cause: withCode('ECONNRESET') }),
    },
    { id: 'fetch: Failed to fetch', error: new TypeError('Failed to fetch') },
    { id: 'socket hang up, no code', error: new Error('socket hang up') },
    {
      id: 'an HTTP answer whose message reads like a network error',
      error: named('InvalidParameterException', 400, {
        message: 'connection reset by peer, said the log line',
      }),
    },
    { id: 'CredentialsProviderError', error: new CredentialsProviderError('no credentials', false) },
    {
      id: 'ProviderError of a metadata endpoint that refused the connection',
      error: Object.assign(new ProviderError('Unable to connect to instance metadata service'), {
        code: 'ECONNREFUSED',
      }),
    },
  );
  return rows;
}

/**
 * Every case where we decide otherwise than the SDK, and why. A difference not listed here fails
 * the test; so does a listed one that no longer differs.
 */
const DIFFERENCES: Readonly<Record<string, { ours: Verdict | 'credentials'; sdk: Verdict; why: string }>> = {
  'name LimitExceededException': {
    ours: 'fatal',
    sdk: 'throttle',
    why:
      'CloudWatch Logs answers LimitExceededException when the account holds the most resources it may ' +
      '(log groups, filters, …), not to a rate: waiting does not help, and treating it as throttling ' +
      'would cut the request rate every stream shares.',
  },
  'name ServiceUnavailableException': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'The service says it failed; with its real 503 both retry. Kept by name for errors whose status was lost.',
  },
  'name ServiceUnavailable': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'As ServiceUnavailableException: the service says it failed, whatever the status.',
  },
  'name InternalFailure': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'The service says it failed (its real answer is a 500, retried by both).',
  },
  'name InternalServerError': { ours: 'transient', sdk: 'fatal', why: 'As InternalFailure.' },
  'name InternalServerException': { ours: 'transient', sdk: 'fatal', why: 'As InternalFailure.' },
  'name InternalServiceError': { ours: 'transient', sdk: 'fatal', why: 'As InternalFailure.' },
  'name InternalError': { ours: 'transient', sdk: 'fatal', why: 'As InternalFailure.' },
  'name IDPCommunicationError': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'STS could not reach the identity provider: a later attempt can get through.',
  },
  'name OperationAbortedException': {
    ours: 'transient',
    sdk: 'fatal',
    why:
      'CloudWatch Logs: "multiple requests to update the same resource were in conflict", e.g. two ' +
      'processes creating one group at start-up; the retry then finds it made (ResourceAlreadyExists).',
  },
  'CloudWatch Logs LimitExceededException': {
    ours: 'fatal',
    sdk: 'throttle',
    why: 'As the name LimitExceededException: the class CloudWatch Logs models for it.',
  },
  'CloudWatch Logs OperationAbortedException': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'As the name OperationAbortedException.',
  },
  'clock skew corrected on an InvalidParameterException': {
    ours: 'fatal',
    sdk: 'transient',
    why:
      'The SDK marks every error answer clockSkewCorrected once the host clock is 4 minutes or more off, ' +
      "whatever the error (test/retry-sdk.test.ts shows it). Only a refused signature is the clock's " +
      'doing; the SDK bounds its retry by 3 attempts, ours is bounded by time, so following it would ' +
      'retry a refused parameter for minutes on such a host (the C++ SDK made the same fix).',
  },
  'status 408': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'A proxy or server that gave up waiting for the request; RFC 9110 lets the client repeat it.',
  },
  'code ECONNABORTED': {
    ours: 'transient',
    sdk: 'fatal',
    why:
      'A connection that failed before an answer. PutLogEvents may be repeated (at worst a batch is ' +
      'stored twice, as README says); the SDK lists fewer codes because it serves every API.',
  },
  'code EHOSTDOWN': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'As ECONNABORTED: no route to the host, for now.',
  },
  'code ENETDOWN': { ours: 'transient', sdk: 'fatal', why: 'As ECONNABORTED: the network is down, for now.' },
  'code ENETRESET': { ours: 'transient', sdk: 'fatal', why: 'As ECONNABORTED.' },
  'code UND_ERR_SOCKET': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'undici (a fetch-based or custom handler): the socket failed before an answer.',
  },
  'code UND_ERR_CONNECT_TIMEOUT': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'undici: the connection timed out.',
  },
  'code UND_ERR_HEADERS_TIMEOUT': { ours: 'transient', sdk: 'fatal', why: 'undici: no answer in time.' },
  'code UND_ERR_BODY_TIMEOUT': { ours: 'transient', sdk: 'fatal', why: 'undici: the answer stalled.' },
  'code ERR_STREAM_PREMATURE_CLOSE': {
    ours: 'transient',
    sdk: 'fatal',
    why: 'The answer ended before it was whole: a connection failure.',
  },
  'code ERR_HTTP2_STREAM_ERROR': {
    ours: 'transient',
    sdk: 'fatal',
    why:
      'The SDK retries an HTTP/2 stream error only when the stream was refused; any stream error ' +
      'before an answer is a failed connection for PutLogEvents, which may be repeated.',
  },
  'socket hang up, no code': {
    ours: 'transient',
    sdk: 'fatal',
    why:
      "Node's message when the server closes the connection before answering, kept for clients whose " +
      'errors lost their code; a message is read only when there was no HTTP answer.',
  },
  CredentialsProviderError: {
    ours: 'credentials',
    sdk: 'fatal',
    why:
      'The SDK resolves credentials before its retry step and never retries them, so its classification ' +
      'is moot; ours retries them within their own, shorter bound (a metadata endpoint that fails once).',
  },
  'ProviderError of a metadata endpoint that refused the connection': {
    ours: 'credentials',
    sdk: 'transient',
    why: 'As CredentialsProviderError: a credentials failure first, whatever its code.',
  },
};

// Status 5xx other than the SDK's four: the server's failure, retried by us within
// retry.maxRetryTimeMs; the SDK names them SERVER_ERROR and does not retry them.
const OTHER_5XX_WHY =
  "A 5xx is the server's or a proxy's failure, not the request's; dropping the batch loses events a " +
  'later attempt would deliver, and ours is bounded by time. 501 and 505 (never handled) stay fatal, as in the SDK.';

function expectedDifference(
  row: Row,
): { ours: Verdict | 'credentials'; sdk: Verdict; why: string } | undefined {
  const listed = DIFFERENCES[row.id];
  if (listed) return listed;
  const status = /^status (\d+)$/.exec(row.id);
  if (status) {
    const code = Number(status[1]);
    if (code >= 506 && code <= 599) return { ours: 'transient', sdk: 'fatal', why: OTHER_5XX_WHY };
  }
  return undefined;
}

describe('classifyError', () => {
  it.each<[string, unknown, ErrorClass]>([
    [
      'ThrottlingException',
      new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } }),
      'throttle',
    ],
    ['HTTP 429 of any name', named('Whatever', 429), 'throttle'],
    ['a retryable trait that throttles', named('X', 400, { $retryable: { throttling: true } }), 'throttle'],
    ['ServiceUnavailableException (503)', named('ServiceUnavailableException', 503), 'transient'],
    ['HTTP 500 without a name', named('Unknown', 500), 'transient'],
    [
      'HTTP 502 from a proxy (SyntaxError)',
      Object.assign(new SyntaxError('Unexpected token <'), { $metadata: { httpStatusCode: 502 } }),
      'transient',
    ],
    ['HTTP 501', named('Unknown', 501), 'fatal'],
    ['HTTP 505', named('Unknown', 505), 'fatal'],
    ['HTTP 408', named('Unknown', 408), 'transient'],
    ['OperationAbortedException', named('OperationAbortedException'), 'transient'],
    ['LimitExceededException', named('LimitExceededException'), 'fatal'],
    [
      'InvalidParameterException',
      new InvalidParameterException({ message: 'bad', $metadata: { httpStatusCode: 400 } }),
      'fatal',
    ],
    ['AccessDeniedException', named('AccessDeniedException'), 'fatal'],
    [
      'AccessDeniedException, clock skew corrected',
      named('AccessDeniedException', 400, { $metadata: { httpStatusCode: 400, clockSkewCorrected: true } }),
      'clockSkew',
    ],
    [
      'InvalidSignatureException, clock skew corrected',
      named('InvalidSignatureException', 400, {
        $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
      }),
      'clockSkew',
    ],
    [
      'InvalidSignatureException: Signature expired',
      Object.assign(named('InvalidSignatureException'), {
        message: 'Signature expired: 20260101T000000Z is now earlier than …',
      }),
      'clockSkew',
    ],
    [
      'InvalidSignatureException, wrong secret',
      Object.assign(named('InvalidSignatureException'), {
        message: 'The request signature we calculated does not match the signature you provided.',
      }),
      'fatal',
    ],
    ['RequestTimeTooSkewed, not corrected', named('RequestTimeTooSkewed', 403), 'fatal'],
    [
      'InvalidParameterException, clock skew corrected',
      named('InvalidParameterException', 400, {
        $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
      }),
      'fatal',
    ],
    [
      'ThrottlingException, clock skew corrected',
      named('ThrottlingException', 400, { $metadata: { httpStatusCode: 400, clockSkewCorrected: true } }),
      'throttle',
    ],
    ['ECONNRESET', withCode('ECONNRESET'), 'transient'],
    [
      'ECONNREFUSED renamed TimeoutError by the SDK',
      Object.assign(withCode('ECONNREFUSED'), { name: 'TimeoutError' }),
      'transient',
    ],
    [
      'TimeoutError (no answer in time)',
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
      'transient',
    ],
    [
      'ECONNRESET two causes down',
      new Error('a', { cause: new Error('b', { cause: withCode('ECONNRESET') }) }),
      'transient',
    ],
    ['socket hang up', new Error('socket hang up'), 'transient'],
    [
      'a 400 whose message says socket hang up',
      named('InvalidParameterException', 400, { message: 'socket hang up' }),
      'fatal',
    ],
    [
      'fetch failed (TypeError, cause ECONNREFUSED)',
      new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }),
      'transient',
    ],
    ['AbortError', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'fatal'],
    [
      'AbortError around a network error',
      Object.assign(new Error('aborted'), { name: 'AbortError', cause: withCode('ECONNRESET') }),
      'fatal',
    ],
    [
      'CredentialsProviderError',
      new CredentialsProviderError('Could not load credentials from any providers', false),
      'credentials',
    ],
    [
      'ProviderError with a network code',
      Object.assign(new ProviderError('TimeoutError from instance metadata service'), { code: 'ETIMEDOUT' }),
      'credentials',
    ],
    ['a plain Error', new Error('boom'), 'fatal'],
    ['a string', 'boom', 'fatal'],
    ['null', null, 'fatal'],
    ['undefined', undefined, 'fatal'],
    [
      'an error-like with a throwing getter',
      {
        get name(): string {
          throw new Error('no');
        },
      },
      'fatal',
    ],
  ])('classifies %s', (_label, error, expected) => {
    // Act / Assess
    expect(classifyError(error)).toBe(expected);
  });

  it('stops following causes after a few levels', () => {
    // Prepare: a network error six wrappers down, past the depth followed.
    let error: unknown = withCode('ECONNRESET');
    for (let i = 0; i < 6; i++) error = new Error(`level ${i}`, { cause: error });
    // Act / Assess
    expect(classifyError(error)).toBe('fatal');
  });

  it('tells the chain\'s "no credentials" error from another provider failure', () => {
    // Assess
    expect(
      isNoCredentialsError(
        new CredentialsProviderError('Could not load credentials from any providers', false),
      ),
    ).toBe(true);
    expect(
      isNoCredentialsError(
        new CredentialsProviderError('Could not load credentials from any providers', true),
      ),
    ).toBe(false);
    expect(isNoCredentialsError(new ProviderError('TimeoutError from instance metadata service'))).toBe(
      false,
    );
    expect(isNoCredentialsError(new Error('Could not load credentials from any providers'))).toBe(false);
  });
});

describe('parity with the SDK', () => {
  it('classifies from the copy of @smithy/core the client runs', () => {
    // Assess: one copy, so the predicates below are the client's own.
    const clientRequire = createRequire(require.resolve('@aws-sdk/client-cloudwatch-logs'));
    expect(clientRequire.resolve('@smithy/core/retry')).toBe(SDK_RETRY_MODULE);
    expect(SDK.throttlingNames).toContain('ThrottlingException');
    expect(SDK.clockSkewNames).toContain('InvalidSignatureException');
    expect(SDK.transientStatuses).toEqual([500, 502, 503, 504]);
    expect(SDK.networkCodes).toContain('ECONNRESET');
    expect(CLOUDWATCH_LOGS_EXCEPTIONS.length).toBeGreaterThan(10);
  });

  it('agrees with the SDK on every name, status and code either side knows, but for the listed differences', () => {
    // Prepare
    const rows = parityRows();
    const unlisted: string[] = [];
    const stale: string[] = [];
    // Act
    for (const row of rows) {
      const ours = ourVerdict(row.error);
      const sdk = sdkVerdict(row.error);
      const expected = expectedDifference(row);
      if (expected === undefined) {
        if (ours !== sdk) unlisted.push(`${row.id}: ours ${ours}, SDK ${sdk}`);
      } else if (expected.ours !== ours || expected.sdk !== sdk) {
        stale.push(
          `${row.id}: listed ours ${expected.ours} / SDK ${expected.sdk}, now ours ${ours} / SDK ${sdk}`,
        );
      }
    }
    // Assess
    expect(unlisted).toEqual([]);
    expect(stale).toEqual([]);
    const ids = new Set(rows.map((row) => row.id));
    expect(Object.keys(DIFFERENCES).filter((id) => !ids.has(id))).toEqual([]);
  });

  it('runs the SDK predicates the classification mirrors', () => {
    // Assess: the predicates behave as the table assumes (a guard against a silent change).
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's predicates take its own error type.
    const e = (x: object) => x as any;
    expect(isClockSkewCorrectedError(e(named('X', 400, { $metadata: { clockSkewCorrected: true } })))).toBe(
      true,
    );
    expect(isRetryableByTrait(e(named('X', 400, { $retryable: {} })))).toBe(true);
    expect(isServerError(e(named('Unknown', 507)))).toBe(true);
    expect(isServerError(e(named('Unknown', 503)))).toBe(false);
  });

  describe("the SDK's standard strategy", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it.each([
      ['THROTTLING', true],
      ['TRANSIENT', true],
      ['SERVER_ERROR', false],
      ['CLIENT_ERROR', false],
    ] as const)('retries %s: %s', async (errorType, retried) => {
      // Prepare
      vi.useFakeTimers();
      const strategy = new StandardRetryStrategy(3);
      const token = await strategy.acquireInitialRetryToken('');
      // Act
      const refreshed = strategy.refreshRetryTokenForRetry(token, { errorType }).then(
        () => true,
        () => false,
      );
      await vi.runAllTimersAsync();
      // Assess
      expect(await refreshed).toBe(retried);
    });
  });
});
