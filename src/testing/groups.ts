import { LOG_GROUP_NAME_PATTERN, RETENTION_DAYS } from '../limits.js';
import type { OperationContext } from './context.js';
import {
  compareNames,
  existingGroup,
  groupArn,
  groupByIdentifier,
  groupNameOfArn,
  type Input,
  nameOfIdentifier,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalStringList,
  pageStart,
  requiredGroupName,
  withNextToken,
} from './input.js';
import {
  ApiError,
  constraintViolation,
  groupNotFound,
  invalidParameter,
  validationError,
} from './protocol.js';
import { GroupData, type LogStore } from './store.js';

/**
 * The log group classes of the pinned SDK's `LogGroupClass` (3.1169: `STANDARD`, `INFREQUENT_ACCESS`,
 * `DELIVERY`, `ESSENTIALS`); CreateLogGroup reference: "If you omit this parameter, the default of
 * STANDARD is used", and the class "can't be changed after a log group is created".
 */
export const LOG_GROUP_CLASSES = ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY', 'ESSENTIALS'] as const;

/** Most items DescribeLogGroups returns per page (its reference's `limit`: 1 to 50, default 50). */
const MAX_DESCRIBE_LIMIT = 50;

/**
 * Tags, from the API model's `Tags`, `TagKey` and `TagValue` shapes (the same for CreateLogGroup,
 * TagResource and TagLogGroup): 1 to 50 entries; keys of 1 to 128 characters, values of 0 to 256,
 * both of letters, separators (`\p{Z}`), digits and `_.:/=+-@`. TagResource reference: "You can
 * associate as many as 50 tags with a CloudWatch Logs resource."
 */
const MAX_TAGS = 50;
const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/**
 * A KMS key ARN (CreateLogGroup reference: `kmsKeyId` is "The Amazon Resource Name (ARN) of the KMS
 * key"): `arn:<partition>:kms:<region>:<account>:key/<key id>`, the key id a UUID or a multi-Region
 * `mrk-` id. An alias or a bare key id is not a key ARN.
 */
const KMS_KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

export function createLogGroup(input: Input, { store, now, kmsKeys }: OperationContext): object {
  const name = requiredGroupName(input);
  // CreateLogGroup reference: "Log group names can't start with the string aws/".
  if (name.startsWith('aws/')) {
    throw invalidParameter(
      "Log group names can't start with the string aws/ (names starting with /aws/ are fine).",
    );
  }
  const logGroupClass = optionalString(input, 'logGroupClass') ?? 'STANDARD';
  if (!(LOG_GROUP_CLASSES as readonly string[]).includes(logGroupClass)) {
    throw constraintViolation(
      logGroupClass,
      'logGroupClass',
      `Member must satisfy enum value set: [${LOG_GROUP_CLASSES.join(', ')}]`,
    );
  }
  const kmsKeyId = optionalString(input, 'kmsKeyId');
  const tags = checkTags(input.tags, 'tags', true);
  const deletionProtectionEnabled = optionalBoolean(input, 'deletionProtectionEnabled') ?? false;
  if (kmsKeyId !== undefined && !KMS_KEY_ARN.test(kmsKeyId)) {
    // What the service answers a key given by id or alias instead of ARN.
    throw invalidParameter(`The specified KMS Key Id could not be found. '${name}'`);
  }
  if (store.groups.has(name)) {
    throw new ApiError('ResourceAlreadyExistsException', 'The specified log group already exists');
  }
  if (kmsKeyId !== undefined && kmsKeys !== undefined && kmsKeys.get(kmsKeyId) !== 'Enabled') {
    // The reference says InvalidParameterException for a key that "does not exist or ... is disabled";
    // the service has answered this AccessDeniedException since at least 2024 (reported in
    // hashicorp/terraform-provider-aws#29282 and for AssociateKmsKey alike), which is what clients meet.
    throw new ApiError(
      'AccessDeniedException',
      `The specified KMS key does not exist or is not allowed to be used with Arn '${groupArn(name)}'`,
    );
  }
  store.groups.set(
    name,
    new GroupData(name, now(), {
      logGroupClass,
      kmsKeyId,
      deletionProtectionEnabled,
      tags: tags ?? new Map(),
    }),
  );
  return {};
}

export function deleteLogGroup(input: Input, { store }: OperationContext): object {
  const group = existingGroup(requiredGroupName(input), store);
  refuseIfProtected(group);
  store.groups.delete(group.name);
  return {};
}

/**
 * CreateLogGroup reference: deletion protection "blocks all deletion operations until it is
 * explicitly disabled". DeleteLogGroup and DeleteLogStream list `ValidationException` among their
 * errors for it; the message is this endpoint's.
 */
export function refuseIfProtected(group: GroupData): void {
  if (group.deletionProtectionEnabled) {
    throw validationError(
      `Log group ${group.name} has deletion protection enabled; disable it with PutLogGroupDeletionProtection first.`,
    );
  }
}

export function putRetentionPolicy(input: Input, { store }: OperationContext): object {
  const name = requiredGroupName(input);
  const days = input.retentionInDays;
  if (!(RETENTION_DAYS as readonly unknown[]).includes(days)) {
    throw constraintViolation(
      days,
      'retentionInDays',
      `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
    );
  }
  existingGroup(name, store).retentionInDays = days as number;
  return {};
}

export function deleteRetentionPolicy(input: Input, { store }: OperationContext): object {
  existingGroup(requiredGroupName(input), store).retentionInDays = undefined;
  return {};
}

export function putLogGroupDeletionProtection(input: Input, { store }: OperationContext): object {
  if (input.logGroupIdentifier === undefined || input.logGroupIdentifier === null) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'logGroupIdentifier' failed to satisfy constraint: Member must not be null",
    );
  }
  const group = groupByIdentifier(input.logGroupIdentifier, store);
  const enabled = optionalBoolean(input, 'deletionProtectionEnabled');
  if (enabled === undefined) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'deletionProtectionEnabled' failed to satisfy constraint: Member must not be null",
    );
  }
  group.deletionProtectionEnabled = enabled;
  return {};
}

/**
 * DescribeLogGroups reference: `logGroupNamePrefix` and `logGroupNamePattern` "are mutually exclusive";
 * the pattern is "a case-sensitive substring search", and with it "only arn, creationTime, and
 * logGroupName are included in the response"; `logGroupClass` INFREQUENT_ACCESS or ESSENTIALS
 * includes both classes; with `logGroupIdentifiers`, "the only other filter that you can choose to
 * specify is includeLinkedAccounts".
 */
export function describeLogGroups(input: Input, { store }: OperationContext): object {
  const prefix = optionalString(input, 'logGroupNamePrefix');
  const pattern = optionalString(input, 'logGroupNamePattern');
  const logGroupClass = optionalString(input, 'logGroupClass');
  const identifiers = optionalStringList(input, 'logGroupIdentifiers', 1, MAX_DESCRIBE_LIMIT);
  const limit = optionalInteger(input, 'limit', 1, MAX_DESCRIBE_LIMIT) ?? MAX_DESCRIBE_LIMIT;
  if (prefix !== undefined && pattern !== undefined) {
    throw invalidParameter('LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive.');
  }
  if (
    identifiers !== undefined &&
    (prefix !== undefined || pattern !== undefined || logGroupClass !== undefined)
  ) {
    throw invalidParameter(
      'LogGroupIdentifiers cannot be combined with LogGroupNamePrefix, LogGroupNamePattern or LogGroupClass.',
    );
  }
  if (prefix !== undefined && !/^[.\-_/#A-Za-z0-9]{1,512}$/.test(prefix)) {
    throw constraintViolation(
      prefix,
      'logGroupNamePrefix',
      'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+',
    );
  }
  if (pattern !== undefined && !/^[.\-_/#A-Za-z0-9]{0,512}$/.test(pattern)) {
    throw constraintViolation(
      pattern,
      'logGroupNamePattern',
      'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]*',
    );
  }
  if (logGroupClass !== undefined && !(LOG_GROUP_CLASSES as readonly string[]).includes(logGroupClass)) {
    throw constraintViolation(
      logGroupClass,
      'logGroupClass',
      `Member must satisfy enum value set: [${LOG_GROUP_CLASSES.join(', ')}]`,
    );
  }
  const classes =
    logGroupClass === 'INFREQUENT_ACCESS' || logGroupClass === 'ESSENTIALS'
      ? ['INFREQUENT_ACCESS', 'ESSENTIALS']
      : logGroupClass === undefined
        ? undefined
        : [logGroupClass];
  const named = identifiers === undefined ? undefined : namesOf(identifiers);

  const groups = [...store.groups.values()]
    .filter(
      (group) =>
        (prefix === undefined || group.name.startsWith(prefix)) &&
        (pattern === undefined || group.name.includes(pattern)) &&
        (classes === undefined || classes.includes(group.logGroupClass)) &&
        (named === undefined || named.has(group.name)),
    )
    .sort((a, b) => compareNames(a.name, b.name));
  const start = pageStart(input, groups.length);
  const page = groups
    .slice(start, start + limit)
    .map((group) =>
      pattern === undefined
        ? describeGroup(group)
        : { logGroupName: group.name, creationTime: group.creationTime, arn: `${groupArn(group.name)}:*` },
    );
  return withNextToken({ logGroups: page }, start + limit, groups.length);
}

/** The names that `logGroupIdentifiers` (names or ARNs of this account and region) name. */
function namesOf(identifiers: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const identifier of identifiers) {
    const name = nameOfIdentifier(identifier, 'logGroupIdentifiers');
    if (name !== undefined) names.add(name);
  }
  return names;
}

function describeGroup(group: GroupData): object {
  return {
    logGroupName: group.name,
    creationTime: group.creationTime,
    ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
    metricFilterCount: 0,
    arn: `${groupArn(group.name)}:*`,
    // LogGroup reference: log groups still report it (streams report 0 since June 2019).
    storedBytes: group.storedBytes,
    ...(group.kmsKeyId === undefined ? {} : { kmsKeyId: group.kmsKeyId }),
    logGroupClass: group.logGroupClass,
    logGroupArn: groupArn(group.name),
    deletionProtectionEnabled: group.deletionProtectionEnabled,
  };
}

/**
 * Checks a tag map against the API's `Tags` shape. Returns `undefined` when it is absent and
 * `optional`. Answers as the service does to a value outside its constraints.
 */
function checkTags(value: unknown, member: string, optional: boolean): Map<string, string> | undefined {
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw invalidParameter(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter(`${member} must be a map of strings.`);
  const entries = Object.entries(value);
  if (entries.length < 1 || entries.length > MAX_TAGS) {
    throw constraintViolation(value, member, `Member must have length between 1 and ${MAX_TAGS}`);
  }
  const tags = new Map<string, string>();
  for (const [key, tagValue] of entries) {
    if (!TAG_KEY_PATTERN.test(key)) {
      throw constraintViolation(
        value,
        member,
        `Map keys must satisfy constraint: [Member must have length between 1 and 128, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+)$]`,
      );
    }
    if (typeof tagValue !== 'string' || !TAG_VALUE_PATTERN.test(tagValue)) {
      throw constraintViolation(
        value,
        member,
        `Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$]`,
      );
    }
    tags.set(key, tagValue);
  }
  return tags;
}

/** The group a tagging call's `resourceArn` names: only log groups can be tagged here. */
function taggedGroup(input: Input, store: LogStore): GroupData {
  const arn = input.resourceArn;
  if (arn === undefined || arn === null) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'resourceArn' failed to satisfy constraint: Member must not be null",
    );
  }
  // The API model's AmazonResourceName: 1 to 1,011 of `[\w+=/:,.@-]` (so no `:*` suffix, no `#`).
  if (typeof arn !== 'string' || !/^[\w+=/:,.@-]{1,1011}$/.test(arn)) {
    throw constraintViolation(
      arn,
      'resourceArn',
      'Member must satisfy regular expression pattern: [\\w+=/:,.@-]*',
    );
  }
  const parsed = groupNameOfArn(arn);
  if (parsed === undefined) {
    if (/^arn:aws[a-z-]*:logs:/.test(arn))
      throw new ApiError('ResourceNotFoundException', 'The specified resource does not exist.');
    throw invalidParameter(`Invalid resourceArn: ${arn.slice(0, 100)}`);
  }
  if (!parsed.here || !LOG_GROUP_NAME_PATTERN.test(parsed.name)) throw groupNotFound();
  return existingGroup(parsed.name, store);
}

/** TagResource reference: new keys are added, existing keys get the new value, at most 50 in all. */
function addTags(group: GroupData, tags: Map<string, string>): void {
  let count = group.tags.size;
  for (const key of tags.keys()) if (!group.tags.has(key)) count++;
  if (count > MAX_TAGS) {
    throw new ApiError('TooManyTagsException', `A resource can have no more than ${MAX_TAGS} tags.`, 400, {
      resourceName: groupArn(group.name),
    });
  }
  for (const [key, value] of tags) group.tags.set(key, value);
}

function tagsOf(group: GroupData): object {
  return { tags: Object.fromEntries(group.tags) };
}

export function tagResource(input: Input, { store }: OperationContext): object {
  const group = taggedGroup(input, store);
  addTags(group, checkTags(input.tags, 'tags', false) as Map<string, string>);
  return {};
}

export function untagResource(input: Input, { store }: OperationContext): object {
  const group = taggedGroup(input, store);
  const keys = optionalStringList(input, 'tagKeys', 0, MAX_TAGS);
  if (keys === undefined) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
    );
  }
  for (const key of keys) group.tags.delete(key);
  return {};
}

export function listTagsForResource(input: Input, { store }: OperationContext): object {
  return tagsOf(taggedGroup(input, store));
}

/** The legacy TagLogGroup (its reference: "on the path to deprecation"), by group name. */
export function tagLogGroup(input: Input, { store }: OperationContext): object {
  const group = existingGroup(requiredGroupName(input), store);
  addTags(group, checkTags(input.tags, 'tags', false) as Map<string, string>);
  return {};
}

export function untagLogGroup(input: Input, { store }: OperationContext): object {
  const group = existingGroup(requiredGroupName(input), store);
  const keys = optionalStringList(input, 'tags', 1, MAX_TAGS);
  if (keys === undefined) {
    throw invalidParameter(
      "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
    );
  }
  for (const key of keys) group.tags.delete(key);
  return {};
}

export function listTagsLogGroup(input: Input, { store }: OperationContext): object {
  return tagsOf(existingGroup(requiredGroupName(input), store));
}
