import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ENTITY_KEY_ATTRIBUTE_NAMES,
  type EntityOption,
  rejectedEntityWarning,
  resolveEntity,
} from '../src/entity.js';
import { ConfigError } from '../src/errors.js';
import { captureBodies, cleanUp, clientFor, startEndpoint } from './e2e/helpers.js';

afterEach(cleanUp);

const SERVICE: EntityOption = {
  keyAttributes: { Type: 'Service', Name: 'checkout', Environment: 'prod' },
  attributes: { PlatformType: 'AWS::EC2', 'EC2.InstanceId': 'i-0123456789abcdef0' },
};

function refusal(value: unknown): ConfigError {
  try {
    resolveEntity(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the entity to be refused');
}

describe('resolveEntity', () => {
  it('returns a frozen copy of a valid entity', () => {
    // Act
    const entity = resolveEntity(SERVICE);

    // Assess
    expect(entity).toEqual(SERVICE);
    expect(entity).not.toBe(SERVICE);
    expect(Object.isFrozen(entity)).toBe(true);
    expect(Object.isFrozen(entity?.keyAttributes)).toBe(true);
    expect(Object.isFrozen(entity?.attributes)).toBe(true);
  });

  it('returns undefined when no entity is given', () => {
    expect(resolveEntity(undefined)).toBeUndefined();
  });

  it('accepts an entity without attributes', () => {
    expect(
      resolveEntity({ keyAttributes: { Type: 'Resource', ResourceType: 'AWS::EC2::Instance' } }),
    ).toEqual({
      keyAttributes: { Type: 'Resource', ResourceType: 'AWS::EC2::Instance' },
    });
  });

  it('refuses key attribute names outside the five the API allows, suggesting the right case', () => {
    // Act
    const unknown = refusal({ keyAttributes: { Type: 'Service', Service: 'x' } });
    const lowercase = refusal({ keyAttributes: { type: 'Service', Name: 'x' } });

    // Assess
    expect(unknown).toMatchObject({ code: 'CWS_CONFIG', option: 'entity.keyAttributes' });
    expect(unknown.message).toBe(
      'Expected `entity.keyAttributes` to be key attribute names from Type, ResourceType, Identifier, Name, Environment, got `Service` (string)',
    );
    expect(lowercase.message).toContain('(did you mean `Type`?)');
  });

  it('refuses fewer than 2 or more than 4 key attributes', () => {
    // Act
    const one = refusal({ keyAttributes: { Type: 'Service' } });
    const five = refusal({
      keyAttributes: { Type: 'a', ResourceType: 'b', Identifier: 'c', Name: 'd', Environment: 'e' },
    });

    // Assess
    expect(one.message).toContain('to be 2 to 4 key attributes (a count)');
    expect(one.message).toContain('got `1` (number)');
    expect(five.message).toContain('got `5` (number)');
  });

  it('refuses empty, over-long and non-string values, counting characters', () => {
    expect(refusal({ keyAttributes: { Type: '', Name: 'x' } }).option).toBe('entity.keyAttributes.Type');
    expect(refusal({ keyAttributes: { Type: 'x', Name: 'n'.repeat(513) } }).option).toBe(
      'entity.keyAttributes.Name',
    );
    expect(refusal({ keyAttributes: { Type: 'x', Name: 3 } }).message).toContain('got `3` (number)');
    // 512 characters of two UTF-16 units each are still 512 characters.
    expect(resolveEntity({ keyAttributes: { Type: 'x', Name: '𝒜'.repeat(512) } })).toBeDefined();
  });

  it('refuses more than 10 attributes, and attribute names or values out of bounds', () => {
    // Prepare
    const attributes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, 'v']));
    const keyAttributes = { Type: 'Service', Name: 'x' };

    // Act + Assess
    expect(resolveEntity({ keyAttributes, attributes: attributes(10) })?.attributes).toEqual(attributes(10));
    expect(refusal({ keyAttributes, attributes: attributes(11) }).message).toBe(
      'Expected `entity.attributes` to be at most 10 attributes (a count), got `11` (number)',
    );
    expect(refusal({ keyAttributes, attributes: { ['k'.repeat(257)]: 'v' } }).option).toBe(
      'entity.attributes',
    );
    expect(refusal({ keyAttributes, attributes: { '': 'v' } }).option).toBe('entity.attributes');
    expect(refusal({ keyAttributes, attributes: { k: '' } }).option).toBe('entity.attributes.k');
  });

  it('keeps an attribute named __proto__ as an attribute', () => {
    // Prepare
    const attributes = JSON.parse('{"__proto__":"x"}') as Record<string, string>;

    // Act
    const entity = resolveEntity({ keyAttributes: { Type: 'Service', Name: 'x' }, attributes });

    // Assess
    expect(Object.keys(entity?.attributes ?? {})).toEqual(['__proto__']);
  });

  it('refuses members other than keyAttributes and attributes, pointing at the API’s spelling', () => {
    // Act
    const capital = refusal({ KeyAttributes: { Type: 'Service', Name: 'x' } });
    const extra = refusal({ keyAttributes: { Type: 'Service', Name: 'x' }, tags: {} });

    // Assess
    expect(capital.message).toContain('(the CloudWatch Logs API spells it `keyAttributes`)');
    expect(extra.message).toContain('got `tags` (string)');
  });

  it('refuses a value that is not an object, and a missing keyAttributes', () => {
    expect(refusal('Service').message).toContain('Expected `entity` to be an object');
    expect(refusal([]).message).toContain('got an array');
    expect(refusal({}).option).toBe('entity.keyAttributes');
    expect(refusal({ keyAttributes: null }).message).toContain('got `null`');
  });

  it('accepts every entity within the documented limits (property)', () => {
    const value = fc.string({ minLength: 1, maxLength: 512, unit: 'grapheme-ascii' });
    const keyAttributes = fc
      .subarray([...ENTITY_KEY_ATTRIBUTE_NAMES], { minLength: 2, maxLength: 4 })
      .chain((names) => fc.tuple(...names.map((name) => value.map((v) => [name, v] as const))))
      .map((pairs) => Object.fromEntries(pairs));
    const attributes = fc.dictionary(fc.string({ minLength: 1, maxLength: 256 }), value, { maxKeys: 10 });
    fc.assert(
      fc.property(keyAttributes, fc.option(attributes, { nil: undefined }), (keys, extra) => {
        const option =
          extra === undefined ? { keyAttributes: keys } : { keyAttributes: keys, attributes: extra };
        expect(resolveEntity(option)).toEqual(option);
      }),
      { numRuns: 200 },
    );
  });

  it('goes on the wire as PutLogEvents’ entity member, through the real SDK', async () => {
    // Prepare
    const cwl = await startEndpoint();
    const client = clientFor(cwl);
    const bodies = captureBodies(client, 'PutLogEvents');
    await client.send(new CreateLogGroupCommand({ logGroupName: '/entity' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/entity', logStreamName: 's' }));
    const entity = resolveEntity(SERVICE);

    // Act
    await client.send(
      new PutLogEventsCommand({
        logGroupName: '/entity',
        logStreamName: 's',
        logEvents: [{ timestamp: Date.now(), message: 'hello' }],
        entity,
      }),
    );

    // Assess
    expect((bodies[0] as { entity: unknown }).entity).toEqual(SERVICE);
  });
});

describe('rejectedEntityWarning', () => {
  it('returns nothing when the entity was accepted', () => {
    expect(rejectedEntityWarning(undefined)).toBeUndefined();
    expect(rejectedEntityWarning(null)).toBeUndefined();
  });

  it('says what to fix for each documented error type, in one line', () => {
    // Prepare
    const types = [
      'InvalidEntity',
      'InvalidTypeValue',
      'InvalidKeyAttributes',
      'InvalidAttributes',
      'MissingRequiredFields',
      'EntitySizeTooLarge',
      'UnsupportedLogGroupType',
    ] as const;

    // Act
    const warnings = types.map((errorType) => rejectedEntityWarning({ errorType }));

    // Assess
    for (const [i, warning] of warnings.entries()) {
      expect(warning).toContain(`rejected the \`entity\` sent with PutLogEvents (${types[i]}): `);
      expect(warning).toContain('The events were stored without it.');
      expect(warning).not.toContain('\n');
      expect(warning).not.toContain('check the `entity` option against the Entity reference');
    }
    expect(warnings[5]).toContain('shorten `entity.attributes`');
  });

  it('stays generic for an unknown type and quotes nothing that does not look like one', () => {
    // Act
    const future = rejectedEntityWarning({ errorType: 'SomethingNew' as never });
    const odd = rejectedEntityWarning({ errorType: 'x\nsecret: 123' as never });
    const none = rejectedEntityWarning({} as never);

    // Assess
    expect(future).toContain('(SomethingNew): check the `entity` option against the Entity reference');
    expect(odd).not.toContain('secret');
    expect(odd).not.toContain('\n');
    expect(none).toContain('rejected the `entity` sent with PutLogEvents: check');
  });
});
