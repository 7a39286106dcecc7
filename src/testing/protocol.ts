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

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'ApiError';
    this.type = type;
    this.status = status;
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
  return JSON.stringify({ __type: error.type, message: error.message });
}
