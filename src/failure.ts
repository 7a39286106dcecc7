/**
 * What a report may say about a failed request. An error from the SDK carries the server's own
 * message, and a server (or a proxy on the way) may quote the request in it: the events, the
 * headers, the session token. So nothing here repeats a message. A report says what kind of failure
 * it was, the AWS error name, the HTTP status, the request id, Node's error code, and a fixed
 * explanation chosen by those; never text the error brought with it.
 *
 * Why not the server's message when it matches a known AWS template? AWS's messages are no contract:
 * a list of templates would be guesswork that goes stale, and one loose enough to help (an ARN, a
 * group name, a parameter) would let quoted request text through. The request id is what finds the
 * request in CloudTrail or with AWS support.
 */
import { RequestTimeoutError, SdkUnavailableError } from './errors.js';
import { classifyError, errorName, isNoCredentialsError } from './retry.js';

/**
 * - `aws`: the endpoint answered with an AWS error (`awsErrorName`).
 * - `http`: the endpoint answered with an HTTP error that is not an AWS error: a proxy's or load
 *   balancer's page, an empty body, a body the SDK could not read.
 * - `network`: no answer, the connection failed (`code`).
 * - `timeout`: no answer in time.
 * - `credentials`: the client could not get credentials; no request was sent.
 * - `clockSkew`: the signature was refused because the host's clock is off (the SDK has corrected it).
 * - `unknown`: anything else that was thrown.
 */
export type FailureKind = 'aws' | 'http' | 'network' | 'timeout' | 'credentials' | 'clockSkew' | 'unknown';

export interface FailureDescription {
  readonly kind: FailureKind;
  /** The call that failed, when it was not PutLogEvents itself (a creation on the way to it). */
  readonly operation?: CreationOperation;
  /** The AWS error name (`ThrottlingException`, …), when the endpoint answered with one. */
  readonly awsErrorName?: string;
  readonly httpStatusCode?: number;
  /** The request id the endpoint gave (`x-amzn-RequestId`), to find the request with AWS. */
  readonly requestId?: string;
  /** Node's or undici's error code (`ECONNREFUSED`, …). */
  readonly code?: string;
  /** A short fixed explanation, chosen by the fields above; never the error's own message. */
  readonly detail: string;
}

/** What the SDK's own errors say; every name is refused as an AWS error name beyond this shape. */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const SAFE_CODE = /^[A-Za-z0-9_.-]{1,64}$/;
/**
 * CloudWatch Logs' request ids are UUIDs. Nothing longer, and no base64 (`+`, `/`, `=`): a session
 * token is hundreds of base64 characters, so even a server that put one there would not be repeated.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_CAUSE_DEPTH = 5;

/** The SDK's name for an error answer without an error type (an empty body, `{}`). */
const UNNAMED = 'Unknown';

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

const BAD_SIGNATURE =
  'the request signature was refused: a wrong secret access key or session token, or a host clock more than 5 minutes off';

/** A fixed explanation per AWS error name (CloudWatch Logs' own, and the common AWS ones). */
const AWS_DETAILS: Readonly<Record<string, string>> = {
  ThrottlingException:
    "CloudWatch Logs throttled the request: the account's request rate for the region is reached",
  ServiceUnavailableException: 'CloudWatch Logs could not handle the request at the moment',
  InternalServerException: 'CloudWatch Logs failed on its side',
  InternalFailure: 'the service failed on its side',
  InvalidParameterException:
    'CloudWatch Logs refused a parameter of the request (an event too large, a batch it does not take, a bad name, …)',
  ResourceNotFoundException: 'the log group or log stream does not exist',
  ResourceAlreadyExistsException: 'the log group or log stream exists already',
  AccessDeniedException: 'the credentials are not allowed this action on this resource (IAM policy)',
  UnrecognizedClientException: 'the access key or session token is not valid',
  InvalidClientTokenId: 'the access key is not valid',
  ExpiredTokenException: 'the session token has expired',
  ExpiredToken: 'the session token has expired',
  InvalidSignatureException: BAD_SIGNATURE,
  SignatureDoesNotMatch: BAD_SIGNATURE,
  IncompleteSignature: 'the request signature is incomplete',
  MissingAuthenticationToken: 'the request was not signed',
  RequestExpired: 'the request was refused as expired: the host clock is off',
  RequestTimeTooSkewed: 'the request was refused: the host clock is off',
  RequestInTheFuture: 'the request was refused as dated in the future: the host clock is off',
  LimitExceededException: 'the account holds the most resources of this kind it may (log groups, …)',
  OperationAbortedException: 'a concurrent change to the same log group or stream conflicted',
  DataAlreadyAcceptedException: 'the batch was already accepted',
  InvalidSequenceTokenException: 'the sequence token was refused',
  ValidationException: 'the request did not pass validation',
  ServiceQuotaExceededException: 'a service quota is reached',
  ConflictException: 'the request conflicts with a change under way',
  InvalidOperationException: 'the operation is not valid for this resource',
};

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $fault?: unknown;
  $metadata?: {
    httpStatusCode?: unknown;
    requestId?: unknown;
    attempts?: unknown;
    clockSkewCorrected?: unknown;
  };
}

/** The calls made on the way to a PutLogEvents, to create what it needs. */
export type CreationOperation = 'CreateLogStream' | 'CreateLogGroup' | 'PutRetentionPolicy';

const FAILED_OPERATION: unique symbol = Symbol.for('cloudwatch-shipper.failedOperation');

/**
 * Marks `error` as thrown by `operation`, so that its report names the call (and the IAM action) that
 * failed rather than the PutLogEvents it was made for. Returns the error.
 */
export function markOperation(error: unknown, operation: CreationOperation): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, FAILED_OPERATION, { value: operation, configurable: true });
  }
  return error;
}

/** What a report may say about `error`, whatever was thrown. Pure; never throws. */
export function describeFailure(error: unknown): FailureDescription {
  try {
    const description = describe(error);
    const operation = (error as { [FAILED_OPERATION]?: CreationOperation } | null)?.[FAILED_OPERATION];
    if (operation === undefined) return description;
    const denied = description.awsErrorName === 'AccessDeniedException';
    return {
      ...description,
      operation,
      detail: denied
        ? `the credentials may not call ${operation}: allow \`logs:${operation}\` in the role's policy` +
          (operation === 'PutRetentionPolicy' ? '' : ', or create the group and stream beforehand')
        : description.detail,
    };
  } catch {
    // A getter that throws, a revoked proxy: nothing about it can be read safely.
    return { kind: 'unknown', detail: 'an unexpected error was thrown' };
  }
}

function describe(error: unknown): FailureDescription {
  // The shipper's own timeout: its message is ours, and says how long it waited.
  if (error instanceof RequestTimeoutError) return { kind: 'timeout', detail: error.message };
  // The shipper's own too: the SDK could not be loaded, and the message says so with Node's code.
  if (error instanceof SdkUnavailableError)
    return { kind: 'unknown', code: error.reason, detail: error.message };
  const errorClass = classifyError(error);
  if (errorClass === 'credentials') {
    return {
      kind: 'credentials',
      detail: isNoCredentialsError(error)
        ? 'no credentials were found (environment, shared config and credentials files, SSO, credential ' +
          'process, web identity token, container or instance metadata); on EC2, ECS or Lambda the ' +
          'metadata endpoint may also have failed to answer in time. No request was sent'
        : 'the credentials provider failed. No request was sent',
    };
  }
  const e = informativeLevel(error);
  const status = httpStatusOf(e);
  const requestId = requestIdOf(e);
  const code = safeCode(e?.code);
  const name = safeName(e?.name);
  const fields = {
    ...(status === undefined ? {} : { httpStatusCode: status }),
    ...(requestId === undefined ? {} : { requestId }),
  };
  if (errorClass === 'clockSkew') {
    return {
      kind: 'clockSkew',
      ...(name === undefined ? {} : { awsErrorName: name }),
      ...fields,
      detail:
        "the signature was refused because the host's clock is off; the SDK has corrected its clock " +
        'offset, so the next attempt is signed with the right time',
    };
  }
  if (name !== undefined && isAwsError(e, name)) {
    return {
      kind: 'aws',
      awsErrorName: name,
      ...fields,
      detail: AWS_DETAILS[name] ?? `the endpoint answered with this AWS error${statusText(status)}`,
    };
  }
  if (status !== undefined) {
    return {
      kind: 'http',
      ...fields,
      detail:
        `the endpoint answered HTTP ${status} without an AWS error: ` +
        (status >= 500
          ? 'a proxy, load balancer or gateway on the way failed, or the endpoint is not CloudWatch Logs'
          : 'a proxy or gateway on the way refused the request, or the endpoint is not CloudWatch Logs'),
    };
  }
  const codeField = code === undefined ? {} : { code };
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', code, detail: 'no answer in time: the connection timed out' };
  }
  // Without an HTTP answer, what the classification retries is a failed connection, or a timeout
  // (the SDK names some connection failures `TimeoutError`: their code tells them apart).
  const retried = classifyError(e) === 'transient';
  if (retried && code !== undefined) {
    return { kind: 'network', code, detail: `no answer: the connection failed (${code})` };
  }
  if (name !== undefined && TIMEOUT_NAMES.has(name)) return { kind: 'timeout', detail: 'no answer in time' };
  if (retried) return { kind: 'network', detail: 'no answer: the connection failed' };
  return {
    kind: 'unknown',
    ...codeField,
    detail: `an unexpected ${name ?? 'error'}${code === undefined ? '' : ` (${code})`} was thrown`,
  };
}

/**
 * A copy of `error` that is safe to pass on as a report's `cause`: its name, `code`, `$fault` and
 * `$metadata` (`httpStatusCode`, `requestId`, `attempts`, `clockSkewCorrected`), with the fixed
 * explanation as its message. No message body, no `$response`, no `cause`, no stack of the original.
 */
export function sanitizedCause(
  error: unknown,
  description: FailureDescription = describeFailure(error),
): Error {
  try {
    return sanitizedCopy(error, description);
  } catch {
    const copy = new Error(description.detail);
    copy.stack = `Error: ${copy.message}`;
    return copy;
  }
}

function sanitizedCopy(error: unknown, description: FailureDescription): Error {
  const copy = new Error(description.detail);
  copy.name = safeName(errorName(error)) ?? 'Error';
  copy.stack = `${copy.name}: ${copy.message}`;
  const source = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const extra: Record<string, unknown> = {};
  const code = safeCode(source.code);
  if (code !== undefined) extra.code = code;
  if (source.$fault === 'client' || source.$fault === 'server') extra.$fault = source.$fault;
  const metadata = source.$metadata;
  if (typeof metadata === 'object' && metadata !== null) {
    const status = httpStatusOf(source);
    const requestId = requestIdOf(source);
    extra.$metadata = {
      httpStatusCode: status,
      requestId,
      attempts: typeof metadata.attempts === 'number' ? metadata.attempts : undefined,
      clockSkewCorrected: metadata.clockSkewCorrected === true ? true : undefined,
    };
  }
  return Object.assign(copy, extra);
}

/**
 * The error itself, or the first error down its `cause` chain that says something (an HTTP answer,
 * an error code, a timeout): a wrapper such as `new Error(message, { cause })` adds nothing.
 */
function informativeLevel(error: unknown): ErrorLike | undefined {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const e = current as ErrorLike;
    const name = safeName(e.name);
    if (
      httpStatusOf(e) !== undefined ||
      e.$fault !== undefined ||
      safeCode(e.code) !== undefined ||
      (name !== undefined && (TIMEOUT_NAMES.has(name) || AWS_DETAILS[name] !== undefined))
    ) {
      return e;
    }
    current = e.cause;
  }
  return typeof error === 'object' && error !== null ? (error as ErrorLike) : undefined;
}

function isAwsError(e: ErrorLike | undefined, name: string): boolean {
  if (name === UNNAMED) return false;
  return e?.$fault === 'client' || e?.$fault === 'server' || AWS_DETAILS[name] !== undefined;
}

function httpStatusOf(e: ErrorLike | undefined): number | undefined {
  const status = e?.$metadata?.httpStatusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599
    ? status
    : undefined;
}

function requestIdOf(e: ErrorLike | undefined): string | undefined {
  const id = e?.$metadata?.requestId;
  return typeof id === 'string' && SAFE_REQUEST_ID.test(id) ? id : undefined;
}

/** `name` if it has the shape of an error name (never free text), else undefined. */
export function safeName(name: unknown): string | undefined {
  return typeof name === 'string' && SAFE_NAME.test(name) ? name : undefined;
}

/** `code` if it has the shape of Node's or undici's error codes (never free text), else undefined. */
export function safeCode(code: unknown): string | undefined {
  return typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined;
}

function statusText(status: number | undefined): string {
  return status === undefined ? '' : ` (HTTP ${status})`;
}
