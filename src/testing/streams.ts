import type { OperationContext } from './context.js';
import { refuseIfProtected } from './groups.js';
import {
  compareNames,
  existingGroup,
  existingStream,
  groupArn,
  groupByNameOrIdentifier,
  type Input,
  optionalBoolean,
  optionalInteger,
  optionalString,
  pageStart,
  requiredGroupName,
  requiredStreamName,
  withNextToken,
} from './input.js';
import { ApiError, invalidParameter } from './protocol.js';
import { StreamData } from './store.js';

/** Most items DescribeLogStreams returns per page (its reference's `limit`: 1 to 50, default 50). */
const MAX_DESCRIBE_LIMIT = 50;

export function createLogStream(input: Input, { store, now }: OperationContext): object {
  const groupName = requiredGroupName(input);
  const streamName = requiredStreamName(input);
  const group = existingGroup(groupName, store);
  if (group.streams.has(streamName)) {
    throw new ApiError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  }
  group.streams.set(streamName, new StreamData(streamName, now()));
  return {};
}

export function deleteLogStream(input: Input, { store }: OperationContext): object {
  const group = existingGroup(requiredGroupName(input), store);
  const stream = existingStream(group, requiredStreamName(input));
  refuseIfProtected(group);
  group.streams.delete(stream.name);
  return {};
}

export function describeLogStreams(input: Input, { store }: OperationContext): object {
  const prefix = optionalString(input, 'logStreamNamePrefix');
  const orderBy = optionalString(input, 'orderBy') ?? 'LogStreamName';
  const descending = optionalBoolean(input, 'descending') ?? false;
  const limit = optionalInteger(input, 'limit', 1, MAX_DESCRIBE_LIMIT) ?? MAX_DESCRIBE_LIMIT;
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
    throw invalidParameter(`orderBy must be LogStreamName or LastEventTime, got ${orderBy.slice(0, 100)}`);
  }
  if (orderBy === 'LastEventTime' && prefix !== undefined) {
    throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
  }
  const group = groupByNameOrIdentifier(input, store);

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
    // Deprecated and ignored by PutLogEvents, but older clients still read it.
    uploadSequenceToken: sequenceToken(stream),
    arn: `${groupArn(group.name)}:log-stream:${stream.name}`,
    // LogStream reference: "As of June 17, 2019, this parameter is no longer supported for log
    // streams, and is always reported as zero."
    storedBytes: 0,
  }));
  return withNextToken({ logStreams: page }, start + limit, streams.length);
}

/**
 * A sequence token for `stream`: the service's are 56-digit numbers. PutLogEvents ignores them (its
 * reference: "The sequence token is now ignored"), so this only has to look like one and change.
 */
export function sequenceToken(stream: StreamData): string {
  return String(stream.uploads + 1).padStart(56, '0');
}
