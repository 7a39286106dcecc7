/**
 * Is this error worth another attempt, and what kind of failure is it? Only the predicate lives
 * here; the policy (how long, how often) lives with the sender. The classification follows the AWS
 * SDK's own (`@smithy/core/retry`, which took over `@smithy/service-error-classification`): by error
 * name, by HTTP status (429 is throttling), by Node's network error codes, following `cause` chains.
 * Where it differs, test/retry.test.ts lists the difference and says why.
 */

/**
 * - `throttle`: the service asks for fewer requests; retry with backoff, and send less.
 * - `transient`: a later attempt can get past it (a 5xx, a dropped connection, a timeout).
 * - `clockSkew`: the signature was refused because the host's clock is off, and the SDK has since
 *   corrected its clock offset (`$metadata.clockSkewCorrected`): the next attempt is signed right.
 * - `credentials`: the client could not get credentials (a provider failed, or found none); no
 *   request was sent.
 * - `fatal`: the same request would fail the same way.
 */
export type ErrorClass = 'throttle' | 'transient' | 'clockSkew' | 'credentials' | 'fatal';

/**
 * The SDK's throttling names, less `LimitExceededException`: CloudWatch Logs answers it when an
 * account holds the most resources it may (log groups, subscription filters, …), not to a rate, so
 * slowing down cannot help and would cut the request rate every stream shares.
 */
const THROTTLING_NAMES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/**
 * Names under which AWS refuses a signature whose time is off. They are clock skew only when the
 * SDK has corrected its offset on that very answer: the same names also mean a wrong secret key or
 * a denied action.
 */
const CLOCK_SKEW_NAMES = new Set([
  'AccessDeniedException',
  'AuthFailure',
  'InvalidSignatureException',
  'RequestExpired',
  'RequestInTheFuture',
  'RequestTimeTooSkewed',
  'SignatureDoesNotMatch',
]);

const TRANSIENT_NAMES = new Set([
  // The SDK's own.
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  // The service saying it failed, even where the HTTP status was lost on the way.
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'InternalServiceError',
  'InternalError',
  'IDPCommunicationError',
  // CloudWatch Logs: "multiple requests to update the same resource were in conflict" (two
  // processes creating one group at once); the retry then finds it made.
  'OperationAbortedException',
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

/**
 * 5xx is the server's failure, retried, except the two that say it will never handle this request.
 * 408 is a proxy or server that gave up waiting for the request: RFC 9110 lets the client repeat it.
 */
const FATAL_5XX = new Set([501, 505]);
const REQUEST_TIMEOUT_STATUS = 408;

/** Only for errors without an HTTP answer: a server's message may quote anything. */
const NETWORK_MESSAGES = /socket hang up|network error|connection (?:was )?(?:reset|closed|refused)/i;
/** What `fetch` rejects with (as a TypeError) when the connection fails: the SDK's list. */
const FETCH_NETWORK_MESSAGES = new Set([
  'Failed to fetch',
  'NetworkError when attempting to fetch resource',
  'The Internet connection appears to be offline',
  'Load failed',
  'Network request failed',
]);

/** The chain's last word when no source had credentials (`@aws-sdk/credential-provider-node`). */
const NO_CREDENTIALS_MESSAGE = 'Could not load credentials from any providers';

/** Marks an error thrown while the client resolved its credentials; see {@link markCredentialFailures}. */
const CREDENTIALS_FAILED: unique symbol = Symbol.for('cloudwatch-shipper.credentialsFailed');
const WRAPPED: unique symbol = Symbol.for('cloudwatch-shipper.credentialsWrapped');

/** How many `cause` links are followed: the SDK and undici wrap network errors a level or two deep. */
const MAX_CAUSE_DEPTH = 5;

/**
 * The names, codes and statuses the classification knows, for the parity test with the SDK.
 * @internal
 */
export const KNOWN_TO_CLASSIFICATION = {
  throttlingNames: [...THROTTLING_NAMES],
  clockSkewNames: [...CLOCK_SKEW_NAMES],
  transientNames: [...TRANSIENT_NAMES],
  networkCodes: [...NETWORK_CODES],
  statuses: [429, REQUEST_TIMEOUT_STATUS, ...FATAL_5XX],
} as const;

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  tryNextLink?: unknown;
  $retryable?: { throttling?: boolean } | null | undefined;
  $metadata?: { httpStatusCode?: unknown; clockSkewCorrected?: unknown } | undefined;
  [CREDENTIALS_FAILED]?: true;
}

/** The class of `error`, whatever was thrown; never throws (a throwing getter makes it `fatal`). */
export function classifyError(error: unknown): ErrorClass {
  try {
    return classify(error);
  } catch {
    return 'fatal';
  }
}

function classify(error: unknown): ErrorClass {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const e = current as ErrorLike;
    const name = typeof e.name === 'string' ? e.name : '';
    // An abort is the caller's (or ours, at close); the SDK never retries one either.
    if (name === 'AbortError') return 'fatal';
    if (isCredentialsFailure(e)) return 'credentials';
    const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
    if (status === 429 || THROTTLING_NAMES.has(name) || e.$retryable?.throttling === true) return 'throttle';
    if (isClockSkew(e, name)) return 'clockSkew';
    if (e.$retryable !== undefined) return 'transient';
    if (TRANSIENT_NAMES.has(name)) return 'transient';
    if (status !== undefined) {
      if (status >= 500 && status <= 599 && !FATAL_5XX.has(status)) return 'transient';
      if (status === REQUEST_TIMEOUT_STATUS) return 'transient';
    }
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return 'transient';
    if (status === undefined && typeof e.message === 'string') {
      if (NETWORK_MESSAGES.test(e.message)) return 'transient';
      if (current instanceof TypeError && FETCH_NETWORK_MESSAGES.has(e.message)) return 'transient';
    }
    current = e.cause;
  }
  return 'fatal';
}

/**
 * The SDK marks an error `clockSkewCorrected` whenever the answer's `Date` is 4 minutes or more off
 * the host's clock, whatever the error: on a host whose clock is off, every error answer carries
 * the mark, a denied action too. Only a refused signature is the clock's doing. `Signature
 * expired` is retried without the mark too, as the SDK does (a concurrent request may have
 * corrected the offset already).
 */
function isClockSkew(e: ErrorLike, name: string): boolean {
  if (e.$metadata?.clockSkewCorrected === true && CLOCK_SKEW_NAMES.has(name)) return true;
  return (
    name === 'InvalidSignatureException' &&
    typeof e.message === 'string' &&
    e.message.includes('Signature expired')
  );
}

/**
 * A failure to get credentials: marked by {@link markCredentialFailures}, or one of the SDK's
 * provider errors (`CredentialsProviderError`, `ProviderError`, …), told by `tryNextLink`, which
 * only they carry (`instanceof` fails across copies of the package).
 */
function isCredentialsFailure(e: ErrorLike): boolean {
  return e[CREDENTIALS_FAILED] === true || typeof e.tryNextLink === 'boolean';
}

/**
 * Whether a `credentials` failure is the default chain's "Could not load credentials from any
 * providers". Beware: the chain ends in that same error when the instance or container metadata
 * endpoint failed or timed out, since it moves past a failed source to the next one; so it is not
 * proof that credentials are missing everywhere (test/retry-sdk.test.ts shows both).
 */
export function isNoCredentialsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorLike;
  return e.tryNextLink === false && e.message === NO_CREDENTIALS_MESSAGE;
}

/** The AWS error name of an SDK error (`ThrottlingException`, …), or the error's own name. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const name = (error as ErrorLike).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return 'UnknownError';
}

interface AuthScheme {
  readonly schemeId?: unknown;
  readonly identityProvider?: unknown;
  readonly [WRAPPED]?: true;
}

type IdentityProvider = (properties?: unknown) => Promise<unknown>;

/**
 * Makes a failure to get credentials recognisable to {@link classifyError}, whatever the provider
 * throws. A `credentials` function that throws a plain `Error` reaches the caller as that error, with
 * no sign that no request was sent (the SDK resolves credentials before its retry step, and never
 * retries them). This wraps the identity provider of each of the client's auth schemes so that what
 * it throws is marked; nothing else changes, and calling it again on the same client does nothing.
 * A thrown value that is not an object is replaced by an `Error` (with the value as `cause`).
 */
export function markCredentialFailures(client: { readonly config?: unknown }): void {
  // A test double, or a client of another shape, has nothing to wrap.
  const config = client.config as { httpAuthSchemes?: unknown } | null | undefined;
  if (typeof config !== 'object' || config === null) return;
  const schemes = config.httpAuthSchemes;
  if (!Array.isArray(schemes)) return;
  config.httpAuthSchemes = schemes.map((scheme: unknown) => {
    if (typeof scheme !== 'object' || scheme === null) return scheme;
    const s = scheme as AuthScheme;
    const { identityProvider } = s;
    if (s[WRAPPED] === true || typeof identityProvider !== 'function') return scheme;
    const wrapped = Object.assign(Object.create(Object.getPrototypeOf(scheme)), scheme, {
      identityProvider: (identityConfig: unknown) => {
        const provider: unknown = identityProvider.call(scheme, identityConfig);
        if (typeof provider !== 'function') return provider;
        return async (properties?: unknown) => {
          try {
            return await (provider as IdentityProvider)(properties);
          } catch (error) {
            throw markedCredentialsFailure(error);
          }
        };
      },
    });
    Object.defineProperty(wrapped, WRAPPED, { value: true });
    return wrapped;
  });
}

function markedCredentialsFailure(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && Object.isExtensible(error)) {
    Object.defineProperty(error, CREDENTIALS_FAILED, { value: true, configurable: true });
    return error;
  }
  const replacement = new Error('The credentials provider failed', { cause: error });
  replacement.name = 'CredentialsProviderError';
  Object.defineProperty(replacement, CREDENTIALS_FAILED, { value: true, configurable: true });
  return replacement;
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
