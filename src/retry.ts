/**
 * Is this error worth another attempt? Only the predicate lives here; the policy (how long, how
 * often) lives with the sender. The classification follows the AWS SDK's own
 * (`@smithy/service-error-classification`): by error name, by HTTP status (429 is throttling), and
 * by Node's network error codes, following `cause` chains.
 */

/** `throttle`: slow down and retry. `transient`: retry. `fatal`: retrying cannot help. */
export type ErrorClass = 'throttle' | 'transient' | 'fatal';

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'RequestThrottled',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

const TRANSIENT_NAMES = new Set([
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'InternalServiceError',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'IDPCommunicationError',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const NETWORK_MESSAGES = /socket hang up|network error|connection (?:was )?(?:reset|closed|refused)/i;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $retryable?: { throttling?: boolean } | undefined;
  $metadata?: { httpStatusCode?: number } | undefined;
}

export function classifyError(error: unknown): ErrorClass {
  let current: unknown = error;
  // Follow `cause` a few levels: the SDK and undici wrap network errors.
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const e = current as ErrorLike;
    const name = typeof e.name === 'string' ? e.name : '';
    if (THROTTLING_NAMES.has(name)) return 'throttle';
    const status = e.$metadata?.httpStatusCode;
    if (status === 429) return 'throttle';
    if (e.$retryable) return e.$retryable.throttling ? 'throttle' : 'transient';
    if (TRANSIENT_NAMES.has(name)) return 'transient';
    if (typeof status === 'number' && status >= 500) return 'transient';
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'transient';
    if (typeof e.message === 'string' && NETWORK_MESSAGES.test(e.message)) return 'transient';
    current = e.cause;
  }
  return 'fatal';
}

/** The AWS error name of an SDK error (`ThrottlingException`, …), or the error's own name. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const name = (error as ErrorLike).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'UnknownError';
}

/**
 * Full-jitter exponential backoff: a random delay between 0 and min(max, min × 2^(attempt−1)).
 * `random` is injected so tests decide the draw.
 */
export function backoffDelay(
  attempt: number,
  minDelayMs: number,
  maxDelayMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
