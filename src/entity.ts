/**
 * The `entity` sent with every PutLogEvents, so that the logs join CloudWatch's related
 * telemetry ("Explore related") as the CloudWatch agent's do.
 *
 * Rules, from the Amazon CloudWatch Logs API Reference, data type "Entity"
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Entity.html):
 * - `keyAttributes`: 2 to 4 entries; "There are five allowed attributes (key names): Type,
 *   ResourceType, Identifier, Name, and Environment"; keys 1–32 characters, values 1–512.
 * - `attributes`: 0 to 10 entries; keys 1–256 characters, values 1–512.
 * Which key attributes a given `Type` needs (a service: `Type`, `Name`, `Environment`; a resource:
 * `Type`, `ResourceType`, `Identifier`) is the User Guide's "How to add related information to
 * telemetry"; those combinations are left to the service, which answers a wrong one with
 * `rejectedEntityInfo` and still stores the events.
 */
import type { Entity, RejectedEntityInfo } from '@aws-sdk/client-cloudwatch-logs';
import { ConfigError } from './errors.js';

export const ENTITY_KEY_ATTRIBUTE_NAMES = [
  'Type',
  'ResourceType',
  'Identifier',
  'Name',
  'Environment',
] as const;
export type EntityKeyAttributeName = (typeof ENTITY_KEY_ATTRIBUTE_NAMES)[number];

export const MIN_ENTITY_KEY_ATTRIBUTES = 2;
export const MAX_ENTITY_KEY_ATTRIBUTES = 4;
export const MAX_ENTITY_ATTRIBUTES = 10;
export const MAX_ENTITY_ATTRIBUTE_KEY_LENGTH = 256;
export const MAX_ENTITY_VALUE_LENGTH = 512;

/** The code of the warning a rejected entity is reported with. */
export const ENTITY_REJECTED_WARNING_CODE = 'CWS_ENTITY_REJECTED';

/** The `entity` option: the API's Entity. */
export interface EntityOption {
  /**
   * What identifies the entity: 2 to 4 of `Type`, `ResourceType`, `Identifier`, `Name` and
   * `Environment`, such as `{ Type: 'Service', Name: 'checkout', Environment: 'prod' }`.
   */
  readonly keyAttributes: Readonly<Partial<Record<EntityKeyAttributeName, string>>>;
  /**
   * Up to 10 more attributes that describe the entity without identifying it, such as
   * `{ PlatformType: 'AWS::EC2', 'EC2.InstanceId': 'i-0123456789abcdef0' }`.
   */
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * Validates the `entity` option and returns the value to send with every PutLogEvents: a frozen
 * copy, or `undefined` when no entity is given. Throws a {@link ConfigError} naming the first
 * bad member.
 */
export function resolveEntity(value: unknown, option = 'entity'): Readonly<Entity> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(option, value, 'an object with `keyAttributes` and, optionally, `attributes`');
  }
  for (const member of Object.keys(value)) {
    if (member !== 'keyAttributes' && member !== 'attributes') {
      const hint =
        member.toLowerCase() === 'keyattributes' || member.toLowerCase() === 'attributes'
          ? ` (the CloudWatch Logs API spells it \`${member.toLowerCase() === 'attributes' ? 'attributes' : 'keyAttributes'}\`)`
          : '';
      throw new ConfigError(
        option,
        member,
        `an object with only \`keyAttributes\` and \`attributes\`${hint}`,
      );
    }
  }
  const { keyAttributes, attributes } = value as { keyAttributes?: unknown; attributes?: unknown };
  const entity: { keyAttributes: Record<string, string>; attributes?: Record<string, string> } = {
    keyAttributes: validateKeyAttributes(`${option}.keyAttributes`, keyAttributes),
  };
  if (attributes !== undefined) entity.attributes = validateAttributes(`${option}.attributes`, attributes);
  Object.freeze(entity.keyAttributes);
  if (entity.attributes) Object.freeze(entity.attributes);
  return Object.freeze(entity);
}

function entries(option: string, value: unknown, what: string): [string, unknown][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(option, value, what);
  }
  return Object.entries(value);
}

function validateKeyAttributes(option: string, value: unknown): Record<string, string> {
  const list = entries(
    option,
    value,
    `an object of ${MIN_ENTITY_KEY_ATTRIBUTES} to ${MAX_ENTITY_KEY_ATTRIBUTES} key attributes`,
  );
  const names = ENTITY_KEY_ATTRIBUTE_NAMES.join(', ');
  const result: [string, string][] = [];
  for (const [name, attribute] of list) {
    if (!(ENTITY_KEY_ATTRIBUTE_NAMES as readonly string[]).includes(name)) {
      const near = ENTITY_KEY_ATTRIBUTE_NAMES.find((known) => known.toLowerCase() === name.toLowerCase());
      throw new ConfigError(
        option,
        name,
        `key attribute names from ${names}${near === undefined ? '' : ` (did you mean \`${near}\`?)`}`,
      );
    }
    result.push([name, validateValue(`${option}.${name}`, attribute)]);
  }
  if (list.length < MIN_ENTITY_KEY_ATTRIBUTES || list.length > MAX_ENTITY_KEY_ATTRIBUTES) {
    throw new ConfigError(
      option,
      list.length,
      `${MIN_ENTITY_KEY_ATTRIBUTES} to ${MAX_ENTITY_KEY_ATTRIBUTES} key attributes (a count) from ${names}`,
    );
  }
  // fromEntries defines own properties: a `__proto__` name stays a name.
  return Object.fromEntries(result);
}

function validateAttributes(option: string, value: unknown): Record<string, string> {
  const list = entries(option, value, `an object of at most ${MAX_ENTITY_ATTRIBUTES} attributes`);
  if (list.length > MAX_ENTITY_ATTRIBUTES) {
    throw new ConfigError(option, list.length, `at most ${MAX_ENTITY_ATTRIBUTES} attributes (a count)`);
  }
  const result: [string, string][] = [];
  for (const [name, attribute] of list) {
    const length = codePoints(name);
    if (length < 1 || length > MAX_ENTITY_ATTRIBUTE_KEY_LENGTH) {
      throw new ConfigError(
        option,
        name,
        `attribute names of 1 to ${MAX_ENTITY_ATTRIBUTE_KEY_LENGTH} characters`,
      );
    }
    result.push([name, validateValue(`${option}.${name}`, attribute)]);
  }
  // fromEntries defines own properties: a `__proto__` name stays a name.
  return Object.fromEntries(result);
}

function validateValue(option: string, value: unknown): string {
  if (typeof value !== 'string' || codePoints(value) < 1 || codePoints(value) > MAX_ENTITY_VALUE_LENGTH) {
    throw new ConfigError(option, value, `a string of 1 to ${MAX_ENTITY_VALUE_LENGTH} characters`);
  }
  return value;
}

/** Characters as the API counts them: Unicode code points. */
function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** What each of the API's `EntityRejectionErrorType` values asks the operator to fix. */
const REJECTION_FIXES: Readonly<Record<string, string>> = {
  InvalidEntity: 'the entity is not valid as a whole; check `entity.keyAttributes` against the Type it names',
  InvalidTypeValue: '`entity.keyAttributes.Type` has a value the service does not know',
  InvalidKeyAttributes: '`entity.keyAttributes` does not fit its Type (the names given, or their values)',
  InvalidAttributes: '`entity.attributes` holds a name or value the service does not accept',
  MissingRequiredFields: '`entity.keyAttributes` lacks a field its Type requires',
  EntitySizeTooLarge: 'the entity is too large; shorten `entity.attributes` or drop some',
  UnsupportedLogGroupType: 'this log group does not take an entity; leave `entity` out for it',
};

/**
 * The one-line warning for a PutLogEvents response's `rejectedEntityInfo`, or `undefined` when
 * there is none. The service stored the events all the same (only the entity was refused), so
 * they count as sent; the shipper reports this once. Only the error type is quoted, and only
 * when it looks like one, never anything else from the response.
 */
export function rejectedEntityWarning(info: RejectedEntityInfo | undefined | null): string | undefined {
  if (info === undefined || info === null || typeof info !== 'object') return undefined;
  const type =
    typeof info.errorType === 'string' && /^[A-Za-z]{1,64}$/.test(info.errorType)
      ? info.errorType
      : undefined;
  const fix = type === undefined ? undefined : REJECTION_FIXES[type];
  const what = type === undefined ? '' : ` (${type})`;
  return `cloudwatch-shipper: CloudWatch Logs rejected the \`entity\` sent with PutLogEvents${what}: ${
    fix ?? 'check the `entity` option against the Entity reference'
  }. The events were stored without it.`;
}
