import type { CreationOperation, FailureKind } from './failure.js';

/**
 * Every error this library creates is branded with a `Symbol.for` key per class, so that
 * `instanceof` holds across the ESM and CommonJS copies of the package loaded into one process.
 * A subclass's prototype inherits its parents' brands, so an instance answers to each of them.
 * @internal
 */
export function brand(target: { readonly brand: symbol; readonly prototype: object }): void {
  Object.defineProperty(target.prototype, target.brand, { value: true });
}

/** Base of every error this library creates: a `code` to match on, and the `cause` passed through. */
export class CloudWatchShipperError extends Error {
  static readonly brand: symbol = Symbol.for('cloudwatch-shipper.CloudWatchShipperError');
  static {
    brand(CloudWatchShipperError);
  }

  readonly code: string;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CloudWatchShipperError';
    this.code = options?.code ?? 'CWS_ERROR';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of `instanceof`, a subclass too.
    const brandKey = this.brand;
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brandKey] === true
    );
  }
}

/** A bad option given to a constructor: names the option, the value and what is allowed. */
export class ConfigError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.ConfigError');
  static {
    brand(ConfigError);
  }

  /** The option's name, such as `retry.maxDelayMs`. */
  readonly option: string;

  /** `message`, when given, replaces the usual "Expected `option` to be …, got …". */
  constructor(option: string, value: unknown, expected: string, message?: string) {
    super(message ?? `Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, {
      code: 'CWS_CONFIG',
    });
    this.name = 'ConfigError';
    this.option = option;
  }
}

/**
 * Why a batch's events were dropped on the way: `rejected`, the service refused them (retrying cannot
 * help); `failed`, retried until `retry.maxRetryTimeMs` ran out.
 */
export type FailureReason = 'rejected' | 'failed';

/** Where a failed batch was going, as a {@link DeliveryError} names it. */
interface FailedDestination {
  readonly logGroupName: string;
  readonly logStreamName: string;
}

/**
 * A batch could not be delivered. The message names the AWS error and the destination, never a
 * message body or a credential. Identical errors are reported once per minute, with `repeated`
 * counting the ones in between; those held back are reported once their minute is over, or at
 * close. `cause` is a copy of the SDK's error with its name, message, code and `$metadata` only:
 * the original holds the raw HTTP exchange, signed headers included.
 */
export class DeliveryError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.DeliveryError');
  static {
    brand(DeliveryError);
  }

  /**
   * The AWS error name, such as `AccessDeniedException`; for a failure without one, what it was
   * (`HTTP 502`, `ECONNREFUSED`, `timeout`, `credentials`).
   */
  readonly awsErrorName: string;
  /** What kind of failure it was: see `FailureKind`. */
  readonly kind: FailureKind;
  /** The creation call that failed on the way to PutLogEvents, if it was one. */
  readonly operation: CreationOperation | undefined;
  readonly httpStatusCode: number | undefined;
  /** The request id the endpoint gave, to find the request with AWS (CloudTrail, support). */
  readonly requestId: string | undefined;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly reason: FailureReason;
  /** Events dropped by this failure (and by those counted in `repeated`). */
  readonly events: number;
  /** Identical failures since the last report that were not reported on their own. */
  readonly repeated: number;

  constructor(init: {
    awsErrorName: string;
    kind: FailureKind;
    operation?: CreationOperation | undefined;
    httpStatusCode?: number | undefined;
    requestId?: string | undefined;
    destination: FailedDestination;
    reason: FailureReason;
    events: number;
    repeated: number;
    detail: string;
    cause: unknown;
  }) {
    const what = init.reason === 'failed' ? 'gave up retrying' : 'was rejected';
    const call = init.operation === undefined ? 'PutLogEvents' : `${init.operation} (for PutLogEvents)`;
    super(
      `${call} to ${init.destination.logGroupName} / ${init.destination.logStreamName} ${what} ` +
        `(${init.awsErrorName}${init.httpStatusCode === undefined || init.awsErrorName.startsWith('HTTP') ? '' : `, HTTP ${init.httpStatusCode}`}` +
        `${init.detail ? `: ${init.detail}` : ''}${init.requestId === undefined ? '' : `; request id ${init.requestId}`}); ` +
        `${init.events} events dropped` +
        (init.repeated > 0 ? `, ${init.repeated} more failures like it since the last report` : ''),
      { code: init.reason === 'failed' ? 'CWS_DELIVERY_FAILED' : 'CWS_DELIVERY_REJECTED', cause: init.cause },
    );
    this.name = 'DeliveryError';
    this.awsErrorName = init.awsErrorName;
    this.kind = init.kind;
    this.operation = init.operation;
    this.httpStatusCode = init.httpStatusCode;
    this.requestId = init.requestId;
    this.logGroupName = init.destination.logGroupName;
    this.logStreamName = init.destination.logStreamName;
    this.reason = init.reason;
    this.events = init.events;
    this.repeated = init.repeated;
  }
}

/**
 * A request abandoned after `requestTimeoutMs` without an answer; retried like a network error. Its
 * `name` is `TimeoutError`, the name the retry classification (like the SDK's) knows as transient.
 */
export class RequestTimeoutError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.RequestTimeoutError');
  static {
    brand(RequestTimeoutError);
  }

  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`No answer from CloudWatch Logs within ${timeoutMs} ms (requestTimeoutMs)`, {
      code: 'CWS_REQUEST_TIMEOUT',
    });
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** `value (type)`, short enough for an error message and never a whole object. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `\`${shown}\` (string)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `\`${String(value)}\` (${typeof value})`;
  }
  if (value === null) return '`null`';
  if (value === undefined) return '`undefined`';
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}

/**
 * A metric that cannot be written as a valid Embedded Metric Format event: names the field, the
 * value and what the format allows.
 */
export class EmfError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.EmfError');
  static {
    brand(EmfError);
  }

  /** The field's path in the metric given, such as `metrics[2].unit`. */
  readonly field: string;

  constructor(field: string, value: unknown, expected: string) {
    super(`Expected \`${field}\` to be ${expected}, got ${describeValue(value)}`, { code: 'CWS_EMF' });
    this.name = 'EmfError';
    this.field = field;
  }
}

/** A bad command line: the message says what is wrong; the usage follows it. @internal */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The AWS SDK (`@aws-sdk/client-cloudwatch-logs`, a dependency) could not be loaded when a pipeline
 * first needed it: no request was sent, and none will be (it is not retried). `reason` is Node's
 * code for the failure (`ERR_MODULE_NOT_FOUND`, …) or the thrown error's name; never its message.
 */
export class SdkUnavailableError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.SdkUnavailableError');
  static {
    brand(SdkUnavailableError);
  }

  readonly reason: string;

  constructor(reason: string, cause: unknown) {
    super(
      `The AWS SDK (@aws-sdk/client-cloudwatch-logs) could not be loaded (${reason}); no request was sent. ` +
        'It is a dependency of cloudwatch-shipper: install it beside the package, or bundle it',
      { code: 'CWS_SDK_UNAVAILABLE', cause },
    );
    this.name = 'SdkUnavailableError';
    this.reason = reason;
  }
}
