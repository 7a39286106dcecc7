import { LOG_GROUP_NAME_PATTERN, LOG_STREAM_NAME_PATTERN } from '../limits.js';
import { constraintViolation, groupNotFound, invalidParameter, streamNotFound } from './protocol.js';
import type { GroupData, LogStore, StreamData } from './store.js';

/** A parsed request body: a JSON object. */
export type Input = Readonly<Record<string, unknown>>;

/** The region and account the endpoint pretends to be, as its ARNs show them. */
export const REGION = 'us-east-1';
export const ACCOUNT_ID = '000000000000';

const GROUP_ARN_PREFIX = `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:`;

/** A log group's ARN without the trailing `:*` (the LogGroup reference's `logGroupArn`). */
export function groupArn(name: string): string {
  return `${GROUP_ARN_PREFIX}${name}`;
}

/** `logGroupIdentifier`: a name or an ARN, 1 to 2,048 of `[\w#+=/:,.@-]` (its shape in the API model). */
const LOG_GROUP_IDENTIFIER_PATTERN = /^[\w#+=/:,.@-]{1,2048}$/;

/**
 * A log group ARN as `logGroupIdentifier` and the tagging calls take it: the LogGroup reference's
 * `logGroupArn`, "without a trailing :*" (their patterns have no `*`; DescribeLogGroups' `arn` has one).
 */
const LOG_GROUP_ARN = /^arn:aws[a-z-]*:logs:([a-z0-9-]*):(\d{12}):log-group:([^:]+)$/;

/**
 * The name a log group ARN names, or `undefined` when it is not a log group ARN. An ARN of another
 * region or account names a group that does not exist here.
 */
export function groupNameOfArn(arn: string): { name: string; here: boolean } | undefined {
  const match = LOG_GROUP_ARN.exec(arn);
  if (match === null) return undefined;
  return { name: match[3] as string, here: match[1] === REGION && match[2] === ACCOUNT_ID };
}

/**
 * The group named by `logGroupName` or `logGroupIdentifier` (a name or an ARN), for the operations
 * whose reference accepts either (GetLogEvents, DescribeLogStreams, FilterLogEvents): "You must
 * include either logGroupIdentifier or logGroupName, but not both."
 */
export function groupByNameOrIdentifier(input: Input, store: LogStore): GroupData {
  const name = optionalString(input, 'logGroupName');
  const identifier = optionalString(input, 'logGroupIdentifier');
  if (name !== undefined && identifier !== undefined) {
    throw invalidParameter('LogGroupName and LogGroupIdentifier are mutually exclusive: send one of them.');
  }
  if (identifier !== undefined) return groupByIdentifier(identifier, store);
  return existingGroup(requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN), store);
}

/** The group a `logGroupIdentifier` (a name or an ARN) names. */
export function groupByIdentifier(
  identifier: unknown,
  store: LogStore,
  member = 'logGroupIdentifier',
): GroupData {
  const name = nameOfIdentifier(identifier, member);
  if (name === undefined) throw groupNotFound();
  return existingGroup(name, store);
}

/**
 * The name a `logGroupIdentifier` gives, or `undefined` for the ARN of a group of another region or
 * account (which does not exist here).
 */
export function nameOfIdentifier(identifier: unknown, member: string): string | undefined {
  if (typeof identifier !== 'string' || !LOG_GROUP_IDENTIFIER_PATTERN.test(identifier)) {
    throw constraintViolation(
      identifier,
      member,
      `Member must satisfy regular expression pattern: ${LOG_GROUP_IDENTIFIER_PATTERN.source}`,
    );
  }
  if (!identifier.startsWith('arn:')) return identifier;
  const arn = groupNameOfArn(identifier);
  if (arn === undefined) throw invalidParameter(`${member} is neither a log group name nor a log group ARN.`);
  return arn.here ? arn.name : undefined;
}

export function existingGroup(name: string, store: LogStore): GroupData {
  const group = store.groups.get(name);
  if (group === undefined) throw groupNotFound();
  return group;
}

export function existingStream(group: GroupData, name: string): StreamData {
  const stream = group.streams.get(name);
  if (stream === undefined) throw streamNotFound();
  return stream;
}

export function requiredGroupName(input: Input): string {
  return requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
}

export function requiredStreamName(input: Input): string {
  return requiredName(input, 'logStreamName', LOG_STREAM_NAME_PATTERN);
}

export function requiredName(input: Input, name: string, pattern: RegExp): string {
  const value = input[name];
  if (value === undefined || value === null) {
    throw invalidParameter(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw constraintViolation(
      value,
      name,
      `Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${name} must be a string.`);
  return value;
}

export function optionalBoolean(input: Input, name: string): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${name} must be a boolean.`);
  return value;
}

export function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw constraintViolation(value, name, `Member must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** An optional time in epoch milliseconds (the API's `Timestamp`: a long, at least 0). */
export function optionalTime(input: Input, name: string): number | undefined {
  return optionalInteger(input, name, 0, Number.MAX_SAFE_INTEGER);
}

/** An optional list of strings of at most `max` items. */
export function optionalStringList(
  input: Input,
  name: string,
  min: number,
  max: number,
): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw invalidParameter(`${name} must be a list of strings.`);
  }
  if (value.length < min || value.length > max) {
    throw constraintViolation(value, name, `Member must have length between ${min} and ${max}`);
  }
  return value as string[];
}

/** Code-unit order, as the API sorts names; `localeCompare` would not match it. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Pages of a list sorted once: the token is the index of the next item. */
export function pageStart(input: Input, total: number): number {
  const token = optionalString(input, 'nextToken');
  if (token === undefined) return 0;
  const start = /^\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!(start <= total)) throw invalidParameter('The specified nextToken is invalid.');
  return start;
}

export function withNextToken<T extends object>(
  output: T,
  next: number,
  total: number,
): T & { nextToken?: string } {
  return next < total ? { ...output, nextToken: String(next) } : output;
}
