/**
 * Log groups created complete: with `createLogGroup`, the one CreateLogGroup call carries the
 * group's class, KMS key, tags and deletion protection, so the group has them from its first
 * event. This module validates those options, builds the request, and turns the service's refusal
 * of any of them into a short hint saying what to fix.
 *
 * Sources for the rules (Amazon CloudWatch Logs API Reference):
 * - CreateLogGroup, "Request Parameters": `kmsKeyId` is the ARN of the KMS key, at most 256
 *   characters; `logGroupClass` cannot change after the group is created; a key that does not
 *   exist or is disabled answers `InvalidParameterException`; CloudWatch Logs supports only
 *   symmetric keys; `deletionProtectionEnabled` is the field's name.
 *   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 * - TagResource / TagLogGroup, `tags`: at most 50 entries; keys 1–128 characters of
 *   `^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$`; values at most 256 characters of `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`.
 *   https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_TagLogGroup.html
 * - The `aws:` prefix of tag keys is reserved for AWS ("AWS generated tags … are typically
 *   prefixed with aws. This prefix cannot be used in user-defined tag keys"): Best Practices for
 *   Tagging AWS Resources, "What are tags?",
 *   https://docs.aws.amazon.com/whitepapers/latest/tagging-best-practices/what-are-tags.html;
 *   the AWS::Logs::LogGroup resource schema says the same of log group tag keys ("cannot be
 *   prefixed with aws:"). Other services' pages add that any case of it (`AWS:`) is reserved.
 * - The SDK's `CreateLogGroupRequest` documents that tagging at creation needs the
 *   `logs:TagResource` or `logs:TagLogGroup` permission.
 */
import type { CreateLogGroupCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { ConfigError } from './errors.js';

/**
 * The log classes a shipper can create. `INFREQUENT_ACCESS` costs less and "supports a subset of
 * CloudWatch Logs features" (the SDK's CreateLogGroupRequest): among them, Logs Insights runs every
 * command but `pattern`, `diff`, `filterIndex` and `unmask` ("Logs Insights QL commands supported
 * in log classes", CloudWatch Logs User Guide); the full table is the guide's "Log classes" page.
 * The class cannot change after the group is created. The SDK also lists `DELIVERY` (only for
 * Lambda logs delivered on to S3 or Firehose, kept one day) and `ESSENTIALS`, not offered here.
 */
export const LOG_GROUP_CLASSES = ['STANDARD', 'INFREQUENT_ACCESS'] as const;
export type LogGroupClass = (typeof LOG_GROUP_CLASSES)[number];

/** Most tags on one log group (TagResource reference). */
export const MAX_TAGS = 50;
/** Longest tag key and value, in characters (Unicode code points). */
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
/** Longest `kmsKeyId` CreateLogGroup accepts. */
export const MAX_KMS_KEY_ID_LENGTH = 256;

const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const RESERVED_TAG_PREFIX = /^aws:/i;
/**
 * A KMS key ARN: `arn:<partition>:kms:<region>:<account>:key/<key id>`, the key id a UUID or,
 * for a multi-Region key, `mrk-` and 32 hex digits (AWS KMS Developer Guide, "Key identifiers").
 */
const KMS_KEY_ARN =
  /^arn:aws(?:-[a-z]+)*:kms:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/i;

/** What a created log group gets besides its name and retention. */
export interface LogGroupOptions {
  /**
   * The class of a group the shipper creates. Infrequent Access costs less and gives up some
   * features; it cannot be changed later.
   * @default undefined (the service's default, 'STANDARD')
   */
  readonly logGroupClass?: LogGroupClass;
  /**
   * ARN of a symmetric KMS key that encrypts a group the shipper creates, such as
   * `arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab`. Its key policy
   * must let CloudWatch Logs use it.
   * @default undefined (CloudWatch Logs' own encryption)
   */
  readonly kmsKeyId?: string;
  /**
   * Tags of a group the shipper creates: at most 50; keys 1–128 characters, values up to 256, of
   * letters, digits, spaces and `_ . : / = + - @`; keys may not start with `aws:`. Tagging at
   * creation needs the `logs:TagResource` permission.
   * @default undefined (no tags)
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Create the group with deletion protection on: every deletion is refused until it is turned off.
   * @default undefined (off, the service's default)
   */
  readonly deletionProtection?: boolean;
}

/** The validated settings, frozen; only the ones given are present. */
export interface ResolvedLogGroupOptions {
  readonly logGroupClass?: LogGroupClass;
  readonly kmsKeyId?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly deletionProtection?: boolean;
}

/** The option names of the settings, as a refusal names them. */
export type LogGroupSetting = keyof LogGroupOptions;

/**
 * Validates the log group settings; throws a {@link ConfigError} naming the first bad one. They
 * apply only to groups the shipper creates, so any of them without `createLogGroup` is refused
 * too: a key or tags silently not applied would be worse than an error.
 */
export function resolveLogGroupOptions(
  options: LogGroupOptions,
  createLogGroup: boolean,
): ResolvedLogGroupOptions {
  const resolved: {
    logGroupClass?: LogGroupClass;
    kmsKeyId?: string;
    tags?: Readonly<Record<string, string>>;
    deletionProtection?: boolean;
  } = {};
  const { logGroupClass, kmsKeyId, tags, deletionProtection } = options;
  if (logGroupClass !== undefined) {
    if (!(LOG_GROUP_CLASSES as readonly unknown[]).includes(logGroupClass)) {
      throw new ConfigError(
        'logGroupClass',
        logGroupClass,
        `one of ${LOG_GROUP_CLASSES.map((c) => `'${c}'`).join(', ')}`,
      );
    }
    resolved.logGroupClass = logGroupClass;
  }
  if (kmsKeyId !== undefined) resolved.kmsKeyId = validateKmsKeyId(kmsKeyId);
  if (tags !== undefined) resolved.tags = validateTags(tags);
  if (deletionProtection !== undefined) {
    if (typeof deletionProtection !== 'boolean') {
      throw new ConfigError('deletionProtection', deletionProtection, 'a boolean');
    }
    resolved.deletionProtection = deletionProtection;
  }
  if (!createLogGroup) {
    const given = Object.keys(resolved)[0];
    if (given !== undefined) {
      throw new ConfigError(
        given,
        (resolved as Record<string, unknown>)[given],
        'left out unless `createLogGroup` is true (it applies only to a group the shipper creates)',
      );
    }
  }
  return Object.freeze(resolved);
}

function validateKmsKeyId(value: unknown): string {
  const expected = 'a KMS key ARN (`arn:aws:kms:<region>:<account>:key/<key id>`)';
  if (typeof value !== 'string') throw new ConfigError('kmsKeyId', value, expected);
  if (value.length > MAX_KMS_KEY_ID_LENGTH || !KMS_KEY_ARN.test(value)) {
    const why = /^arn:[^:]*:kms:[^:]*:[^:]*:alias\//.test(value)
      ? '; an alias ARN is not accepted, use the key ARN it points to'
      : /^(?:alias\/|[0-9a-f]{8}-|mrk-)/i.test(value)
        ? '; a bare key id or alias is not accepted, use the full key ARN'
        : '';
    throw new ConfigError('kmsKeyId', value, `${expected}${why}`);
  }
  return value;
}

function validateTags(value: unknown): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('tags', value, 'an object of tag keys to tag values');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_TAGS) {
    throw new ConfigError('tags', entries.length, `at most ${MAX_TAGS} tags (a count)`);
  }
  const tags: [string, string][] = [];
  for (const [key, tagValue] of entries) {
    const keyLength = codePoints(key);
    if (keyLength < 1 || keyLength > MAX_TAG_KEY_LENGTH || !TAG_KEY_PATTERN.test(key)) {
      throw new ConfigError(
        'tags',
        key,
        `tag keys of 1 to ${MAX_TAG_KEY_LENGTH} letters, digits, spaces and \`_.:/=+-@\``,
      );
    }
    if (RESERVED_TAG_PREFIX.test(key)) {
      throw new ConfigError('tags', key, 'tag keys that do not start with `aws:` (reserved for AWS)');
    }
    if (
      typeof tagValue !== 'string' ||
      codePoints(tagValue) > MAX_TAG_VALUE_LENGTH ||
      !TAG_VALUE_PATTERN.test(tagValue)
    ) {
      throw new ConfigError(
        `tags.${key}`,
        tagValue,
        `a tag value of 0 to ${MAX_TAG_VALUE_LENGTH} letters, digits, spaces and \`_.:/=+-@\``,
      );
    }
    tags.push([key, tagValue]);
  }
  // fromEntries defines own properties: a `__proto__` key stays a key.
  return Object.freeze(Object.fromEntries(tags));
}

/** Characters as the API counts them: Unicode code points, not UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** The one CreateLogGroup request for a group, with every setting given. */
export function createLogGroupInput(
  logGroupName: string,
  group: ResolvedLogGroupOptions,
): CreateLogGroupCommandInput {
  const input: CreateLogGroupCommandInput = { logGroupName };
  if (group.logGroupClass !== undefined) input.logGroupClass = group.logGroupClass;
  if (group.kmsKeyId !== undefined) input.kmsKeyId = group.kmsKeyId;
  if (group.tags !== undefined && Object.keys(group.tags).length > 0) input.tags = { ...group.tags };
  if (group.deletionProtection !== undefined) input.deletionProtectionEnabled = group.deletionProtection;
  return input;
}

/** What to tell the operator about a refused CreateLogGroup, and whether a plainer group may do. */
export interface CreateLogGroupRefusal {
  /** The settings the refusal is about; empty when it is about the call itself (a permission, a quota). */
  readonly settings: readonly LogGroupSetting[];
  /**
   * One line saying what to fix. Made from the error's name and the settings sent, never from
   * the service's message, which may quote ARNs and account ids.
   */
  readonly hint: string;
  /**
   * When the group can still be made without the refused settings, and each of them can be added
   * to it later: the request to retry once, so that events are not lost for want of a group.
   * Never offered for `kmsKeyId` (events would be stored without the encryption asked for) nor
   * `logGroupClass` (a group's class is fixed at creation).
   */
  readonly retryInput: CreateLogGroupCommandInput | undefined;
}

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
}

/**
 * Explains a CreateLogGroup error, given the request that was sent. `undefined` for errors that
 * say nothing about the settings or the caller's rights (throttling, outages, a group that already
 * exists when no setting was sent): those follow the shipper's usual error path.
 */
export function explainCreateLogGroupError(
  error: unknown,
  sent: CreateLogGroupCommandInput,
): CreateLogGroupRefusal | undefined {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : typeof e.code === 'string' ? e.code : '';
  // The message is only searched for a keyword, never repeated.
  const message = typeof e.message === 'string' ? e.message : '';
  const sentSettings = settingsIn(sent);
  const mentions = {
    kmsKeyId: /\bkms\b/i.test(message),
    tags: /\btag/i.test(message),
    logGroupClass: /class/i.test(message),
    deletionProtection: /deletion/i.test(message),
  };
  const about = (setting: LogGroupSetting): boolean =>
    sentSettings.includes(setting) &&
    (mentions[setting] || (sentSettings.length === 1 && !Object.values(mentions).some(Boolean)));

  switch (name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnauthorizedOperation': {
      const kms = sentSettings.includes('kmsKeyId');
      const tags = sentSettings.includes('tags');
      if (kms && mentions.kmsKeyId) return refusal(['kmsKeyId'], KMS_PERMISSION_HINT, undefined);
      if (tags && mentions.tags) return refusal(['tags'], TAG_PERMISSION_HINT, without(sent, 'tags'));
      // A denial names the action it denies; one that names neither tagging nor the key but does
      // name CreateLogGroup is about the call itself.
      if (!/CreateLogGroup/.test(message)) {
        // Since tagging on creation needs logs:TagResource, that is the likeliest denial when tags went.
        if (tags) return refusal(['tags'], TAG_PERMISSION_HINT, without(sent, 'tags'));
        if (kms) return refusal(['kmsKeyId'], KMS_PERMISSION_HINT, undefined);
      }
      return refusal(
        [],
        'CreateLogGroup was denied: grant the role `logs:CreateLogGroup` on this group, or create the group beforehand',
        undefined,
      );
    }
    case 'InvalidParameterException':
    case 'ValidationException': {
      if (about('kmsKeyId')) return refusal(['kmsKeyId'], KMS_KEY_HINT, undefined);
      if (about('logGroupClass')) return refusal(['logGroupClass'], CLASS_HINT, undefined);
      if (about('tags')) {
        return refusal(
          ['tags'],
          'CreateLogGroup refused `tags`: check them against the account and organization tag policies, or remove them; they can be added later with TagResource',
          without(sent, 'tags'),
        );
      }
      if (about('deletionProtection')) {
        return refusal(
          ['deletionProtection'],
          'CreateLogGroup refused `deletionProtection`: this endpoint may not support it; remove it, or turn it on later with PutLogGroupDeletionProtection',
          without(sent, 'deletionProtection'),
        );
      }
      return refusal(
        sentSettings,
        sentSettings.length === 0
          ? 'CreateLogGroup refused a parameter: check `logGroupName`'
          : `CreateLogGroup refused a parameter: check ${sentSettings.map((s) => `\`${s}\``).join(', ')}`,
        undefined,
      );
    }
    case 'LimitExceededException':
      return refusal(
        [],
        'CreateLogGroup hit a quota: the account has as many log groups as it may have in this Region; delete unused ones or ask for a higher quota',
        undefined,
      );
    case 'ResourceAlreadyExistsException':
      // Another writer made the group first: it is usable, but made without these settings.
      if (sentSettings.length === 0) return undefined;
      return refusal(
        sentSettings,
        `the log group already existed, so ${sentSettings.map((s) => `\`${s}\``).join(', ')} ${sentSettings.length === 1 ? 'was' : 'were'} not applied; a group keeps what it was created with (set tags, key and deletion protection with their own calls)`,
        undefined,
      );
    default:
      return undefined;
  }
}

const KMS_KEY_HINT =
  'CreateLogGroup refused `kmsKeyId`: the key must exist, be enabled and symmetric, be in the log group’s Region, and its key policy must allow the CloudWatch Logs service principal (`logs.<region>.amazonaws.com`) to use it';
const KMS_PERMISSION_HINT =
  'CreateLogGroup was denied the use of `kmsKeyId`: allow the CloudWatch Logs service principal (`logs.<region>.amazonaws.com`) in the key policy, and check that the key is enabled';
const TAG_PERMISSION_HINT =
  'CreateLogGroup was denied tagging: grant the role `logs:TagResource` (or the older `logs:TagLogGroup`), or remove `tags`';
const CLASS_HINT =
  'CreateLogGroup refused `logGroupClass`: this Region or endpoint may not offer that class; use `STANDARD` or leave it out (a group’s class cannot change later)';

function refusal(
  settings: readonly LogGroupSetting[],
  hint: string,
  retryInput: CreateLogGroupCommandInput | undefined,
): CreateLogGroupRefusal {
  return Object.freeze({ settings: Object.freeze([...settings]), hint, retryInput });
}

function settingsIn(sent: CreateLogGroupCommandInput): LogGroupSetting[] {
  const settings: LogGroupSetting[] = [];
  if (sent.logGroupClass !== undefined) settings.push('logGroupClass');
  if (sent.kmsKeyId !== undefined) settings.push('kmsKeyId');
  if (sent.tags !== undefined && Object.keys(sent.tags).length > 0) settings.push('tags');
  if (sent.deletionProtectionEnabled !== undefined) settings.push('deletionProtection');
  return settings;
}

function without(
  sent: CreateLogGroupCommandInput,
  setting: 'tags' | 'deletionProtection',
): CreateLogGroupCommandInput {
  const { tags, deletionProtectionEnabled, ...rest } = sent;
  if (setting === 'tags')
    return deletionProtectionEnabled === undefined ? rest : { ...rest, deletionProtectionEnabled };
  return tags === undefined ? rest : { ...rest, tags };
}
