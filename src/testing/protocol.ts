/**
 * AWS JSON 1.1, as `@aws-sdk/client-cloudwatch-logs` v3 speaks it: `POST /` with
 * `x-amz-target: Logs_20140328.<Operation>` and a JSON body. The SDK reads an error's name from the
 * `x-amzn-errortype` header (then from the body's `__type`) and raises the exception class of that name.
 */

/** Prefix of the `x-amz-target` header; the operation name follows it. */
export const TARGET_PREFIX = 'Logs_20140328.';

export const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** An error answered to the client, never thrown out of the endpoint. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  /** Members of the error's shape besides `message`, such as `resourceName`. */
  readonly fields: Readonly<Record<string, string>>;

  constructor(type: string, message: string, status = 400, fields: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'ApiError';
    this.type = type;
    this.status = status;
    this.fields = fields;
  }
}

export function invalidParameter(message: string): ApiError {
  return new ApiError('InvalidParameterException', message);
}

export function groupNotFound(): ApiError {
  return new ApiError('ResourceNotFoundException', 'The specified log group does not exist.');
}

export function streamNotFound(): ApiError {
  return new ApiError('ResourceNotFoundException', 'The specified log stream does not exist.');
}

/** The body of an error response. */
export function errorBody(error: ApiError): string {
  return JSON.stringify({ __type: error.type, message: error.message, ...error.fields });
}

/** A request the service understood but refuses for the state of a resource (deletion protection). */
export function validationError(message: string): ApiError {
  return new ApiError('ValidationException', message);
}

/** The "1 validation error detected" answer of a value outside the API's constraints. */
export function constraintViolation(value: unknown, member: string, constraint: string): ApiError {
  return invalidParameter(
    `1 validation error detected: Value '${describeValue(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** A short rendering of a client's value for an error message: never more than 100 characters. */
function describeValue(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
