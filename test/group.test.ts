import {
  AccessDeniedException,
  CreateLogGroupCommand,
  type CreateLogGroupCommandInput,
  InvalidParameterException,
  LimitExceededException,
  OperationAbortedException,
  ResourceAlreadyExistsException,
  ServiceUnavailableException,
} from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import {
  createLogGroupInput,
  explainCreateLogGroupError,
  type LogGroupOptions,
  MAX_TAGS,
  resolveLogGroupOptions,
} from '../src/group.js';
import { captureBodies, cleanUp, clientFor, startEndpoint } from './e2e/helpers.js';

afterEach(cleanUp);

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const MRK_ARN = 'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';

function refusal(options: LogGroupOptions, createLogGroup = true): ConfigError {
  try {
    resolveLogGroupOptions(options, createLogGroup);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the options to be refused');
}

const metadata = { httpStatusCode: 400, requestId: 'r-1' };

describe('resolveLogGroupOptions', () => {
  it('accepts every setting and freezes what it returns', () => {
    // Act
    const resolved = resolveLogGroupOptions(
      {
        logGroupClass: 'INFREQUENT_ACCESS',
        kmsKeyId: KEY_ARN,
        tags: { team: 'payments', 'cost-center': '12 34', ключ: 'значение', empty: '' },
        deletionProtection: true,
      },
      true,
    );

    // Assess
    expect(resolved).toEqual({
      logGroupClass: 'INFREQUENT_ACCESS',
      kmsKeyId: KEY_ARN,
      tags: { team: 'payments', 'cost-center': '12 34', ключ: 'значение', empty: '' },
      deletionProtection: true,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.tags)).toBe(true);
  });

  it('returns nothing set when nothing is given, with or without createLogGroup', () => {
    expect(resolveLogGroupOptions({}, true)).toEqual({});
    expect(resolveLogGroupOptions({}, false)).toEqual({});
  });

  it('does not keep the caller’s tags object', () => {
    // Prepare
    const tags: Record<string, string> = { a: '1' };

    // Act
    const resolved = resolveLogGroupOptions({ tags }, true);
    tags.a = 'changed';

    // Assess
    expect(resolved.tags).toEqual({ a: '1' });
  });

  it('refuses a log class outside STANDARD and INFREQUENT_ACCESS', () => {
    // Act
    const error = refusal({ logGroupClass: 'infrequent_access' as never });

    // Assess
    expect(error).toMatchObject({ code: 'CWS_CONFIG', option: 'logGroupClass' });
    expect(error.message).toBe(
      "Expected `logGroupClass` to be one of 'STANDARD', 'INFREQUENT_ACCESS', got `infrequent_access` (string)",
    );
  });

  it('accepts key ARNs of any partition, multi-Region keys included', () => {
    expect(resolveLogGroupOptions({ kmsKeyId: MRK_ARN }, true).kmsKeyId).toBe(MRK_ARN);
    const china = 'arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(resolveLogGroupOptions({ kmsKeyId: china }, true).kmsKeyId).toBe(china);
  });

  it('refuses a KMS key that is not a key ARN, saying what to use instead', () => {
    // Act
    const alias = refusal({ kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:alias/logs' });
    const bare = refusal({ kmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
    const wrongService = refusal({ kmsKeyId: 'arn:aws:s3:::bucket' });
    const notString = refusal({ kmsKeyId: 42 as never });

    // Assess
    expect(alias.option).toBe('kmsKeyId');
    expect(alias.message).toContain('an alias ARN is not accepted, use the key ARN it points to');
    expect(bare.message).toContain('a bare key id or alias is not accepted, use the full key ARN');
    expect(wrongService.message).toContain(
      'Expected `kmsKeyId` to be a KMS key ARN (`arn:aws:kms:<region>:<account>:key/<key id>`)',
    );
    expect(notString.message).toContain('got `42` (number)');
  });

  it('refuses more than 50 tags and accepts exactly 50', () => {
    // Prepare
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

    // Act
    const fifty = resolveLogGroupOptions({ tags: tags(MAX_TAGS) }, true);
    const error = refusal({ tags: tags(MAX_TAGS + 1) });

    // Assess
    expect(Object.keys(fifty.tags ?? {})).toHaveLength(50);
    expect(error.message).toBe('Expected `tags` to be at most 50 tags (a count), got `51` (number)');
  });

  it('refuses tag keys and values the API does not allow', () => {
    expect(refusal({ tags: { '': 'x' } }).message).toContain('tag keys of 1 to 128');
    expect(refusal({ tags: { 'a*b': 'x' } }).message).toContain('got `a*b` (string)');
    expect(refusal({ tags: { ['k'.repeat(129)]: 'x' } }).option).toBe('tags');
    expect(refusal({ tags: { ok: 'v'.repeat(257) } })).toMatchObject({ option: 'tags.ok' });
    expect(refusal({ tags: { ok: 'a#b' } }).message).toContain(
      'Expected `tags.ok` to be a tag value of 0 to 256',
    );
    expect(refusal({ tags: { ok: 7 as never } }).message).toContain('got `7` (number)');
    expect(refusal({ tags: ['a'] as never }).message).toContain('got an array');
    expect(refusal({ tags: null as never }).message).toContain('got `null`');
  });

  it('counts tag lengths in characters, not UTF-16 units', () => {
    // Prepare: 128 characters that take 256 UTF-16 units (letters outside the BMP).
    const key = '𝒜'.repeat(128);

    // Act + Assess
    expect(resolveLogGroupOptions({ tags: { [key]: '𝒜'.repeat(256) } }, true).tags?.[key]).toHaveLength(512);
    expect(refusal({ tags: { [`${key}𝒜`]: 'x' } }).option).toBe('tags');
  });

  it('keeps a tag named __proto__ as a tag', () => {
    // Prepare
    const tags = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;

    // Act
    const resolved = resolveLogGroupOptions({ tags }, true);

    // Assess
    expect(Object.keys(resolved.tags ?? {})).toEqual(['__proto__', 'a']);
    expect(createLogGroupInput('/a', resolved).tags).toEqual(tags);
  });

  it('refuses the reserved aws: prefix on tag keys, in any case', () => {
    expect(refusal({ tags: { 'aws:owner': 'me' } }).message).toContain(
      'do not start with `aws:` (reserved for AWS)',
    );
    expect(refusal({ tags: { 'AWS:owner': 'me' } }).option).toBe('tags');
    expect(resolveLogGroupOptions({ tags: { 'awsome:owner': 'aws:me' } }, true).tags).toEqual({
      'awsome:owner': 'aws:me',
    });
  });

  it('refuses a deletionProtection that is not a boolean', () => {
    expect(refusal({ deletionProtection: 'yes' as never }).message).toBe(
      'Expected `deletionProtection` to be a boolean, got `yes` (string)',
    );
  });

  it('refuses any setting without createLogGroup, as it would not be applied', () => {
    // Act
    const error = refusal({ kmsKeyId: KEY_ARN }, false);

    // Assess
    expect(error.option).toBe('kmsKeyId');
    expect(error.message).toContain('to be left out unless `createLogGroup` is true');
    expect(refusal({ tags: { a: 'b' } }, false).option).toBe('tags');
  });

  it('accepts any tags that follow the documented rules (property)', () => {
    const char = fc.constantFrom(...'aZ09 _.:/=+-@éЖ中'.split(''));
    const key = fc
      .array(char, { minLength: 1, maxLength: 128 })
      .map((c) => c.join(''))
      .filter((k) => !/^aws:/i.test(k));
    const value = fc.array(char, { maxLength: 256 }).map((c) => c.join(''));
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 50 }), (tags) => {
        expect(resolveLogGroupOptions({ tags }, true).tags).toEqual(tags);
      }),
      { numRuns: 200 },
    );
  });
});

describe('createLogGroupInput', () => {
  it('carries every setting given, under the SDK’s field names', () => {
    // Prepare
    const resolved = resolveLogGroupOptions(
      {
        logGroupClass: 'INFREQUENT_ACCESS',
        kmsKeyId: KEY_ARN,
        tags: { team: 'a' },
        deletionProtection: false,
      },
      true,
    );

    // Act
    const input = createLogGroupInput('/app/web', resolved);

    // Assess
    expect(input).toEqual({
      logGroupName: '/app/web',
      logGroupClass: 'INFREQUENT_ACCESS',
      kmsKeyId: KEY_ARN,
      tags: { team: 'a' },
      deletionProtectionEnabled: false,
    });
  });

  it('sends only the name when nothing else is set, and leaves out empty tags', () => {
    expect(createLogGroupInput('/app', resolveLogGroupOptions({}, true))).toEqual({ logGroupName: '/app' });
    expect(createLogGroupInput('/app', resolveLogGroupOptions({ tags: {} }, true))).toEqual({
      logGroupName: '/app',
    });
  });

  it('puts the fields on the wire as the API names them, through the real SDK', async () => {
    // Prepare
    const cwl = await startEndpoint();
    const client = clientFor(cwl);
    const bodies = captureBodies(client, 'CreateLogGroup');
    const input = createLogGroupInput(
      '/app/complete',
      resolveLogGroupOptions(
        {
          logGroupClass: 'INFREQUENT_ACCESS',
          kmsKeyId: KEY_ARN,
          tags: { team: 'a' },
          deletionProtection: true,
        },
        true,
      ),
    );

    // Act
    await client.send(new CreateLogGroupCommand(input));

    // Assess
    expect(bodies).toEqual([
      {
        logGroupName: '/app/complete',
        logGroupClass: 'INFREQUENT_ACCESS',
        kmsKeyId: KEY_ARN,
        tags: { team: 'a' },
        deletionProtectionEnabled: true,
      },
    ]);
  });
});

describe('explainCreateLogGroupError', () => {
  const full: CreateLogGroupCommandInput = {
    logGroupName: '/app',
    logGroupClass: 'INFREQUENT_ACCESS',
    kmsKeyId: KEY_ARN,
    tags: { team: 'a' },
    deletionProtectionEnabled: true,
  };

  it('blames the KMS key for an invalid-parameter answer about KMS, with no retry', () => {
    // Prepare
    const error = new InvalidParameterException({
      message: `The specified KMS key does not exist or is not allowed to be used with Arn 'arn:aws:logs:eu-west-1:111122223333:log-group:/app'`,
      $metadata: metadata,
    });

    // Act
    const refusal = explainCreateLogGroupError(error, full);

    // Assess
    expect(refusal?.settings).toEqual(['kmsKeyId']);
    expect(refusal?.hint).toContain('the key must exist, be enabled and symmetric');
    expect(refusal?.retryInput).toBeUndefined();
  });

  it('never repeats the service’s message, which may quote account ids and ARNs', () => {
    // Prepare
    const secretish = 'arn:aws:logs:eu-west-1:999988887777:log-group:/private';
    const errors = [
      new InvalidParameterException({ message: `KMS key refused for ${secretish}`, $metadata: metadata }),
      new AccessDeniedException({
        message: `User ${secretish} is not authorized to perform: logs:TagResource`,
        $metadata: metadata,
      }),
      new LimitExceededException({ message: `quota for ${secretish}`, $metadata: metadata }),
      new ResourceAlreadyExistsException({ message: `exists: ${secretish}`, $metadata: metadata }),
    ];

    // Act
    const hints = errors.map((error) => explainCreateLogGroupError(error, full)?.hint ?? '');

    // Assess
    for (const hint of hints) {
      expect(hint.length).toBeGreaterThan(0);
      expect(hint).not.toContain('999988887777');
      expect(hint).not.toContain('/private');
    }
  });

  it('blames tagging for an access denial about TagResource, and offers a retry without tags', () => {
    // Prepare
    const error = new AccessDeniedException({
      message:
        'User: arn:aws:sts::111122223333:assumed-role/app is not authorized to perform: logs:TagResource',
      $metadata: metadata,
    });

    // Act
    const refusal = explainCreateLogGroupError(error, full);

    // Assess
    expect(refusal?.settings).toEqual(['tags']);
    expect(refusal?.hint).toBe(
      'CreateLogGroup was denied tagging: grant the role `logs:TagResource` (or the older `logs:TagLogGroup`), or remove `tags`',
    );
    expect(refusal?.retryInput).toEqual({
      logGroupName: '/app',
      logGroupClass: 'INFREQUENT_ACCESS',
      kmsKeyId: KEY_ARN,
      deletionProtectionEnabled: true,
    });
  });

  it('blames the CreateLogGroup permission when the denial names it, or when no setting was sent', () => {
    // Prepare
    const named = new AccessDeniedException({
      message: 'User is not authorized to perform: logs:CreateLogGroup',
      $metadata: metadata,
    });
    const bare = new AccessDeniedException({ message: 'Access denied', $metadata: metadata });

    // Act
    const withTags = explainCreateLogGroupError(named, full);
    const plain = explainCreateLogGroupError(bare, { logGroupName: '/app' });

    // Assess
    for (const refusal of [withTags, plain]) {
      expect(refusal?.settings).toEqual([]);
      expect(refusal?.hint).toContain('grant the role `logs:CreateLogGroup`');
      expect(refusal?.retryInput).toBeUndefined();
    }
  });

  it('blames the CreateLogGroup permission, not the key, when the denial names CreateLogGroup', () => {
    // Prepare
    const error = new AccessDeniedException({
      message: 'User is not authorized to perform: logs:CreateLogGroup',
      $metadata: metadata,
    });

    // Act
    const refusal = explainCreateLogGroupError(error, { logGroupName: '/a', kmsKeyId: KEY_ARN });

    // Assess
    expect(refusal?.settings).toEqual([]);
    expect(refusal?.hint).toContain('`logs:CreateLogGroup`');
  });

  it('blames the KMS key for an access denial about KMS', () => {
    // Prepare
    const error = new AccessDeniedException({
      message: 'Not authorized to use the KMS key',
      $metadata: metadata,
    });

    // Act
    const refusal = explainCreateLogGroupError(error, full);

    // Assess
    expect(refusal?.settings).toEqual(['kmsKeyId']);
    expect(refusal?.hint).toContain('key policy');
    expect(refusal?.retryInput).toBeUndefined();
  });

  it('blames the class for an invalid-parameter answer about the class, with no retry', () => {
    // Prepare
    const error = new InvalidParameterException({ message: 'Invalid log group class', $metadata: metadata });

    // Act
    const refusal = explainCreateLogGroupError(error, full);

    // Assess
    expect(refusal?.settings).toEqual(['logGroupClass']);
    expect(refusal?.hint).toContain('a group’s class cannot change later');
    expect(refusal?.retryInput).toBeUndefined();
  });

  it('blames the only setting sent when the message names none', () => {
    // Prepare
    const error = new InvalidParameterException({ message: 'Invalid parameter', $metadata: metadata });

    // Act
    const kms = explainCreateLogGroupError(error, { logGroupName: '/a', kmsKeyId: KEY_ARN });
    const protection = explainCreateLogGroupError(error, {
      logGroupName: '/a',
      deletionProtectionEnabled: true,
    });
    const several = explainCreateLogGroupError(error, full);

    // Assess
    expect(kms?.settings).toEqual(['kmsKeyId']);
    expect(protection?.settings).toEqual(['deletionProtection']);
    expect(protection?.retryInput).toEqual({ logGroupName: '/a' });
    expect(several?.settings).toEqual(['logGroupClass', 'kmsKeyId', 'tags', 'deletionProtection']);
    expect(several?.hint).toBe(
      'CreateLogGroup refused a parameter: check `logGroupClass`, `kmsKeyId`, `tags`, `deletionProtection`',
    );
    expect(several?.retryInput).toBeUndefined();
  });

  it('offers a retry without tags when the tags themselves are refused', () => {
    // Prepare
    const error = new InvalidParameterException({ message: 'Tag key is invalid', $metadata: metadata });

    // Act
    const refusal = explainCreateLogGroupError(error, { logGroupName: '/a', tags: { a: 'b' } });

    // Assess
    expect(refusal?.settings).toEqual(['tags']);
    expect(refusal?.retryInput).toEqual({ logGroupName: '/a' });
  });

  it('says which settings were not applied to a group that already existed', () => {
    // Prepare
    const error = new ResourceAlreadyExistsException({ message: 'exists', $metadata: metadata });

    // Act
    const withSettings = explainCreateLogGroupError(error, { logGroupName: '/a', kmsKeyId: KEY_ARN });
    const without = explainCreateLogGroupError(error, { logGroupName: '/a' });

    // Assess
    expect(withSettings?.hint).toContain('the log group already existed, so `kmsKeyId` was not applied');
    expect(without).toBeUndefined();
  });

  it('explains a quota, and leaves transient errors to the usual path', () => {
    expect(
      explainCreateLogGroupError(new LimitExceededException({ message: 'x', $metadata: metadata }), full)
        ?.hint,
    ).toContain('quota');
    expect(
      explainCreateLogGroupError(
        new ServiceUnavailableException({ message: 'x', $metadata: metadata }),
        full,
      ),
    ).toBeUndefined();
    expect(
      explainCreateLogGroupError(new OperationAbortedException({ message: 'x', $metadata: metadata }), full),
    ).toBeUndefined();
    expect(explainCreateLogGroupError(new Error('socket hang up'), full)).toBeUndefined();
    expect(explainCreateLogGroupError(undefined, full)).toBeUndefined();
  });

  it('reads plain error-like objects by name or code', () => {
    expect(
      explainCreateLogGroupError({ code: 'AccessDeniedException', message: '' }, full)?.settings,
    ).toEqual(['tags']);
  });
});
