import type { Operation } from './context.js';
import { filterLogEvents, getLogEvents, putLogEvents } from './events.js';
import {
  createLogGroup,
  deleteLogGroup,
  deleteRetentionPolicy,
  describeLogGroups,
  listTagsForResource,
  listTagsLogGroup,
  putLogGroupDeletionProtection,
  putRetentionPolicy,
  tagLogGroup,
  tagResource,
  untagLogGroup,
  untagResource,
} from './groups.js';
import { createLogStream, deleteLogStream, describeLogStreams } from './streams.js';

export type { OperationContext } from './context.js';
export type { Input } from './input.js';

/**
 * The operations the endpoint speaks, by the name after `Logs_20140328.` in `x-amz-target`. Any
 * other name is answered 400 `UnknownOperationException`.
 */
export const operations: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['CreateLogGroup', createLogGroup],
  ['CreateLogStream', createLogStream],
  ['DeleteLogGroup', deleteLogGroup],
  ['DeleteLogStream', deleteLogStream],
  ['DeleteRetentionPolicy', deleteRetentionPolicy],
  ['DescribeLogGroups', describeLogGroups],
  ['DescribeLogStreams', describeLogStreams],
  ['FilterLogEvents', filterLogEvents],
  ['GetLogEvents', getLogEvents],
  ['ListTagsForResource', listTagsForResource],
  ['ListTagsLogGroup', listTagsLogGroup],
  ['PutLogEvents', putLogEvents],
  ['PutLogGroupDeletionProtection', putLogGroupDeletionProtection],
  ['PutRetentionPolicy', putRetentionPolicy],
  ['TagLogGroup', tagLogGroup],
  ['TagResource', tagResource],
  ['UntagLogGroup', untagLogGroup],
  ['UntagResource', untagResource],
]);
