import { LOG_GROUP_NAME_PATTERN, LOG_STREAM_NAME_PATTERN, RETENTION_DAYS } from '../limits.js';
import { ApiError, groupNotFound, invalidParameter, streamNotFound } from './protocol.js';
import { countViolation, type MutableStats } from './stats.js';
import { GroupData, type LogStore, StreamData } from './store.js';
import { checkBatch, findWindow, type InputEvent } from './validate.js';

/** What an operation needs besides its input. */
export interface OperationContext {
  readonly store: LogStore;
  readonly stats: MutableStats;
  readonly now: () => number;
  readonly maxEventBytes: number;
}

/** A parsed request body: a JSON object. */
export type Input = Readonly<Record<string, unknown>>;

type Operation = (input: Input, context: OperationContext) => object;

const ARN_PREFIX = 'arn:aws:logs:us-east-1:000000000000:log-group:';

/** Most items DescribeLogGroups and DescribeLogStreams return per page (their reference's `limit`). */
const MAX_DESCRIBE_LIMIT = 50;

/** Most events GetLogEvents returns per page (its reference's `limit`). */
const MAX_GET_LIMIT = 10_000;

function createLogGroup(input: Input, { store, now }: OperationContext): object {
  const name = requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
  if (store.groups.has(name)) {
    throw new ApiError('ResourceAlreadyExistsException', 'The specified log group already exists');
  }
  store.groups.set(name, new GroupData(name, now()));
  return {};
}

function createLogStream(input: Input, { store, now }: OperationContext): object {
  const groupName = requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
  const streamName = requiredName(input, 'logStreamName', LOG_STREAM_NAME_PATTERN);
  const group = store.groups.get(groupName);
  if (group === undefined) throw groupNotFound();
  if (group.streams.has(streamName)) {
    throw new ApiError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  }
  group.streams.set(streamName, new StreamData(streamName, now()));
  return {};
}

function deleteLogGroup(input: Input, { store }: OperationContext): object {
  const name = requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
  if (!store.groups.delete(name)) throw groupNotFound();
  return {};
}

function putRetentionPolicy(input: Input, { store }: OperationContext): object {
  const name = requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
  const days = input.retentionInDays;
  if (!(RETENTION_DAYS as readonly unknown[]).includes(days)) {
    throw invalidParameter(
      `1 validation error detected: Value '${String(days)}' at 'retentionInDays' failed to satisfy constraint: ` +
        `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
    );
  }
  const group = store.groups.get(name);
  if (group === undefined) throw groupNotFound();
  group.retentionInDays = days as number;
  return {};
}

function describeLogGroups(input: Input, { store }: OperationContext): object {
  const prefix = optionalString(input, 'logGroupNamePrefix') ?? '';
  const limit = optionalInteger(input, 'limit', 1, MAX_DESCRIBE_LIMIT) ?? MAX_DESCRIBE_LIMIT;
  const groups = [...store.groups.values()]
    .filter((group) => group.name.startsWith(prefix))
    .sort((a, b) => compareNames(a.name, b.name));
  const start = pageStart(input, groups.length);
  const page = groups.slice(start, start + limit).map((group) => ({
    logGroupName: group.name,
    creationTime: group.creationTime,
    ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
    metricFilterCount: 0,
    arn: `${ARN_PREFIX}${group.name}:*`,
    logGroupArn: `${ARN_PREFIX}${group.name}`,
    storedBytes: group.storedBytes,
    logGroupClass: 'STANDARD',
  }));
  return withNextToken({ logGroups: page }, start + limit, groups.length);
}

function describeLogStreams(input: Input, { store }: OperationContext): object {
  const groupName = requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
  const prefix = optionalString(input, 'logStreamNamePrefix');
  const orderBy = optionalString(input, 'orderBy') ?? 'LogStreamName';
  const descending = optionalBoolean(input, 'descending') ?? false;
  const limit = optionalInteger(input, 'limit', 1, MAX_DESCRIBE_LIMIT) ?? MAX_DESCRIBE_LIMIT;
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
    throw invalidParameter(`orderBy must be LogStreamName or LastEventTime, got ${orderBy}`);
  }
  if (orderBy === 'LastEventTime' && prefix !== undefined) {
    throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  const group = store.groups.get(groupName);
  if (group === undefined) throw groupNotFound();

  const streams = [...group.streams.values()]
    .filter((stream) => stream.name.startsWith(prefix ?? ''))
    .sort((a, b) =>
      orderBy === 'LogStreamName'
        ? compareNames(a.name, b.name)
        : (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0),
    );
  if (descending) streams.reverse();
  const start = pageStart(input, streams.length);
  const page = streams.slice(start, start + limit).map((stream) => ({
    logStreamName: stream.name,
    creationTime: stream.creationTime,
    ...(stream.size === 0
      ? {}
      : {
          firstEventTimestamp: stream.firstEventTimestamp,
          lastEventTimestamp: stream.lastEventTimestamp,
          lastIngestionTime: stream.lastIngestionTime,
        }),
    arn: `${ARN_PREFIX}${group.name}:log-stream:${stream.name}`,
    storedBytes: stream.storedBytes,
  }));
  return withNextToken({ logStreams: page }, start + limit, streams.length);
}

/**
 * Pages by index: `f/<n>` reads forward from event n, `b/<n>` backward from just before n. Without a
 * token the first page is the head (`startFromHead`) or, as in the API, the tail. At either end the
 * token handed back is the one that was passed in, which is how the API tells a client to stop.
 */
function getLogEvents(input: Input, { store }: OperationContext): object {
  const groupName = requiredName(input, 'logGroupName', LOG_GROUP_NAME_PATTERN);
  const streamName = requiredName(input, 'logStreamName', LOG_STREAM_NAME_PATTERN);
  const limit = optionalInteger(input, 'limit', 1, MAX_GET_LIMIT) ?? MAX_GET_LIMIT;
  const startFromHead = optionalBoolean(input, 'startFromHead') ?? false;
  const token = optionalString(input, 'nextToken');
  const group = store.groups.get(groupName);
  if (group === undefined) throw groupNotFound();
  const stream = group.streams.get(streamName);
  if (stream === undefined) throw streamNotFound();

  const size = stream.size;
  let forward = startFromHead;
  let position = startFromHead ? 0 : size;
  if (token !== undefined) {
    const match = /^([fb])\/(\d+)$/.exec(token);
    const parsed = match === null ? Number.NaN : Number(match[2]);
    if (!(parsed <= size)) throw invalidParameter('The specified nextToken is invalid.');
    forward = match?.[1] === 'f';
    position = parsed;
  }
  const from = forward ? position : Math.max(0, position - limit);
  const to = forward ? Math.min(size, position + limit) : position;
  return {
    events: stream.read(from, to),
    nextForwardToken: `f/${to}`,
    nextBackwardToken: `b/${from}`,
  };
}

function putLogEvents(input: Input, { store, stats, now, maxEventBytes }: OperationContext): object {
  if (input.sequenceToken !== undefined && input.sequenceToken !== null) stats.sequenceTokensReceived++;
  const { logGroupName, logStreamName, logEvents } = input;
  for (const [name, value] of [
    ['logGroupName', logGroupName],
    ['logStreamName', logStreamName],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      countViolation(stats, 'missingParameter');
      throw invalidParameter(`Missing required parameter in input: "${name}"`);
    }
  }
  if (!Array.isArray(logEvents)) {
    countViolation(stats, 'missingParameter');
    throw invalidParameter('Missing required parameter in input: "logEvents"');
  }
  // A missing group or stream is the normal path of clients that create on demand, not a violation.
  const group = store.groups.get(logGroupName as string);
  if (group === undefined) throw groupNotFound();
  const stream = group.streams.get(logStreamName as string);
  if (stream === undefined) throw streamNotFound();

  const check = checkBatch(logEvents, maxEventBytes);
  if (!check.ok) {
    countViolation(stats, check.kind);
    throw invalidParameter(check.message);
  }
  const { events } = check;
  const nowMs = now();
  const { tooOldEnd, expiredEnd, tooNewStart } = findWindow(events, nowMs, group.retentionInDays);
  let bytes = check.messageBytes;
  if (expiredEnd > 0 || tooNewStart < events.length) {
    bytes -= messageBytes(events, 0, expiredEnd) + messageBytes(events, tooNewStart, events.length);
  }
  stream.append(events, expiredEnd, tooNewStart, nowMs, bytes);
  stats.eventsAccepted += tooNewStart - expiredEnd;
  stats.bytesAccepted += bytes;
  stats.rejected.tooOld += tooOldEnd;
  stats.rejected.expired += expiredEnd - tooOldEnd;
  stats.rejected.tooNew += events.length - tooNewStart;

  if (expiredEnd === 0 && tooNewStart === events.length) return {};
  return {
    rejectedLogEventsInfo: {
      ...(tooOldEnd > 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
      ...(expiredEnd > tooOldEnd ? { expiredLogEventEndIndex: expiredEnd } : {}),
      ...(tooNewStart < events.length ? { tooNewLogEventStartIndex: tooNewStart } : {}),
    },
  };
}

/** The operations the endpoint speaks, by the name after `Logs_20140328.` in `x-amz-target`. */
export const operations: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['CreateLogGroup', createLogGroup],
  ['CreateLogStream', createLogStream],
  ['DeleteLogGroup', deleteLogGroup],
  ['DescribeLogGroups', describeLogGroups],
  ['DescribeLogStreams', describeLogStreams],
  ['GetLogEvents', getLogEvents],
  ['PutLogEvents', putLogEvents],
  ['PutRetentionPolicy', putRetentionPolicy],
]);

function messageBytes(events: readonly InputEvent[], from: number, to: number): number {
  let bytes = 0;
  for (let index = from; index < to; index++) {
    bytes += Buffer.byteLength((events[index] as InputEvent).message, 'utf8');
  }
  return bytes;
}

/** Code-unit order, as the API sorts names; `localeCompare` would not match it. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pageStart(input: Input, total: number): number {
  const token = optionalString(input, 'nextToken');
  if (token === undefined) return 0;
  const start = /^\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!(start <= total)) throw invalidParameter('The specified nextToken is invalid.');
  return start;
}

function withNextToken<T extends object>(output: T, next: number, total: number): T & { nextToken?: string } {
  return next < total ? { ...output, nextToken: String(next) } : output;
}

function requiredName(input: Input, name: string, pattern: RegExp): string {
  const value = input[name];
  if (value === undefined || value === null) {
    throw invalidParameter(
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw invalidParameter(
      `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${name} must be a string.`);
  return value;
}

function optionalBoolean(input: Input, name: string): boolean | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${name} must be a boolean.`);
  return value;
}

function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint: ` +
        `Member must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}
