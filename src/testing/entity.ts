import type { StoredEntity } from './types.js';

/**
 * The `errorType` values of `rejectedEntityInfo` (the RejectedEntityInfo reference). This endpoint
 * answers five of them; `EntitySizeTooLarge` (no size is documented) and `UnsupportedLogGroupType`
 * (no rule is documented) it never answers.
 */
export type EntityRejection =
  | 'InvalidEntity'
  | 'InvalidTypeValue'
  | 'InvalidKeyAttributes'
  | 'InvalidAttributes'
  | 'MissingRequiredFields';

/**
 * The five key attribute names the Entity reference allows (Amazon CloudWatch Logs API Reference,
 * "Entity", https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Entity.html):
 * "There are five allowed attributes (key names): Type, ResourceType, Identifier, Name, and
 * Environment".
 */
const KEY_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  'Type',
  'ResourceType',
  'Identifier',
  'Name',
  'Environment',
]);

/**
 * The kinds of entity, by `Type`, and the key attributes each needs: CloudWatch User Guide, "How to
 * add related information to custom telemetry sent to CloudWatch"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/adding-your-own-related-telemetry.html),
 * section "Identifying the entity using the KeyAttributes object".
 */
const REQUIRED_BY_TYPE: ReadonlyMap<string, readonly string[]> = new Map([
  ['AWS::Resource', ['ResourceType', 'Identifier']],
  ['AWS::Service', ['Name']],
  ['Service', ['Name', 'Environment']],
  ['Resource', ['ResourceType', 'Identifier']],
  ['RemoteService', ['Name']],
]);

export type EntityCheck =
  | { readonly ok: true; readonly entity: StoredEntity }
  | { readonly ok: false; readonly errorType: EntityRejection };

/**
 * Checks the `entity` of a PutLogEvents request. A rejected entity does not fail the request: the
 * service stores the events and answers `rejectedEntityInfo` (PutLogEvents reference: "When the
 * entity is rejected, the events may still be accepted").
 *
 * Limits from the Entity reference: `keyAttributes` has 2 to 4 entries, keys of 1 to 32 characters,
 * values of 1 to 512; `attributes` has at most 10 entries, keys of 1 to 256, values of 1 to 512.
 * Which broken rule yields which `errorType` is this endpoint's reading of the names: the reference
 * lists the types without mapping rules to them.
 */
export function checkEntity(entity: unknown): EntityCheck {
  if (!isPlainObject(entity)) return reject('InvalidEntity');
  const { keyAttributes, attributes } = entity as { keyAttributes?: unknown; attributes?: unknown };
  if (keyAttributes === undefined || keyAttributes === null) return reject('MissingRequiredFields');
  const keys = stringMap(keyAttributes, 4, 32, 512);
  if (keys === undefined || Object.keys(keys).length < 2) return reject('InvalidKeyAttributes');
  for (const name of Object.keys(keys))
    if (!KEY_ATTRIBUTE_NAMES.has(name)) return reject('InvalidKeyAttributes');
  const type = keys.Type;
  if (type === undefined) return reject('MissingRequiredFields');
  const required = REQUIRED_BY_TYPE.get(type);
  if (required === undefined) return reject('InvalidTypeValue');
  for (const name of required) if (keys[name] === undefined) return reject('MissingRequiredFields');
  let extra: Record<string, string> = {};
  if (attributes !== undefined && attributes !== null) {
    const parsed = stringMap(attributes, 10, 256, 512);
    if (parsed === undefined) return reject('InvalidAttributes');
    extra = parsed;
  }
  return { ok: true, entity: { keyAttributes: keys, attributes: extra } };
}

function reject(errorType: EntityRejection): EntityCheck {
  return { ok: false, errorType };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of `value` if it is a map of strings within the limits, else `undefined`. */
function stringMap(
  value: unknown,
  maxEntries: number,
  maxKeyLength: number,
  maxValueLength: number,
): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length > maxEntries) return undefined;
  // No prototype: the names come from the client, and `__proto__` must stay a plain key.
  const out = Object.create(null) as Record<string, string>;
  for (const [key, item] of entries) {
    if (key.length < 1 || key.length > maxKeyLength) return undefined;
    if (typeof item !== 'string' || item.length < 1 || item.length > maxValueLength) return undefined;
    out[key] = item;
  }
  return out;
}
