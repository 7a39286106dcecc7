import {
  AccessDeniedException,
  CreateLogGroupCommand,
  type CreateLogGroupCommandInput,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  type LogGroupClass,
  PutLogGroupDeletionProtectionCommand,
  PutRetentionPolicyCommand,
  ResourceNotFoundException,
  TagLogGroupCommand,
  TagResourceCommand,
  TooManyTagsException,
  UntagLogGroupCommand,
  UntagResourceCommand,
  ValidationException,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { startLocalCloudWatchLogs } from '../src/testing/index.js';
import { NOW, rejection, start } from './support/local.js';

const ARN_PREFIX = 'arn:aws:logs:us-east-1:000000000000:log-group:';
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const DISABLED_KEY = 'arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';

/** `count` tags `k0: v0`, `k1: v1`, ... */
function tags(count: number, from = 0): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, index) => [`k${from + index}`, `v${from + index}`]),
  );
}

describe('CreateLogGroup', () => {
  it('stores the class, key, tags and deletion protection, and DescribeLogGroups shows them', async () => {
    // Prepare
    const { client } = await start();

    // Act
    await client.send(
      new CreateLogGroupCommand({
        logGroupName: '/app/ia',
        logGroupClass: 'INFREQUENT_ACCESS',
        kmsKeyId: KEY,
        tags: { team: 'core', 'cost center': 'a/b=c+d-e@f' },
        deletionProtectionEnabled: true,
      }),
    );
    await client.send(new CreateLogGroupCommand({ logGroupName: '/app/plain' }));
    const { logGroups } = await client.send(new DescribeLogGroupsCommand({}));
    const listed = await client.send(new ListTagsForResourceCommand({ resourceArn: `${ARN_PREFIX}/app/ia` }));

    // Assess
    expect(logGroups).toEqual([
      {
        logGroupName: '/app/ia',
        creationTime: NOW,
        metricFilterCount: 0,
        arn: `${ARN_PREFIX}/app/ia:*`,
        logGroupArn: `${ARN_PREFIX}/app/ia`,
        storedBytes: 0,
        kmsKeyId: KEY,
        logGroupClass: 'INFREQUENT_ACCESS',
        deletionProtectionEnabled: true,
      },
      expect.objectContaining({
        logGroupName: '/app/plain',
        logGroupClass: 'STANDARD',
        deletionProtectionEnabled: false,
      }),
    ]);
    expect(logGroups?.[1]).not.toHaveProperty('kmsKeyId');
    expect(listed.tags).toEqual({ team: 'core', 'cost center': 'a/b=c+d-e@f' });
  });

  it.each(['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY', 'ESSENTIALS'] as const)(
    'accepts the class %s',
    async (logGroupClass) => {
      // Prepare
      const { client } = await start();

      // Act
      await client.send(new CreateLogGroupCommand({ logGroupName: '/c', logGroupClass }));
      const { logGroups } = await client.send(new DescribeLogGroupsCommand({}));

      // Assess
      expect(logGroups?.[0]?.logGroupClass).toBe(logGroupClass);
    },
  );

  it.each<{ name: string; input: Partial<CreateLogGroupCommandInput>; text: string }>([
    {
      name: 'a class the API does not list',
      input: { logGroupClass: 'GLACIER' as LogGroupClass },
      text: "at 'logGroupClass'",
    },
    { name: 'a name starting with aws/', input: { logGroupName: 'aws/mine' }, text: 'aws/' },
    {
      name: 'a key id instead of a key ARN',
      input: { kmsKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' },
      text: 'KMS Key Id',
    },
    {
      name: 'an alias ARN',
      input: { kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:alias/logs' },
      text: 'KMS Key Id',
    },
    { name: '51 tags', input: { tags: tags(51) }, text: 'length between 1 and 50' },
    { name: 'a tag key of 129 characters', input: { tags: { ['k'.repeat(129)]: 'v' } }, text: 'Map keys' },
    { name: 'a tag key with a comma', input: { tags: { 'a,b': 'v' } }, text: 'Map keys' },
    { name: 'a tag value of 257 characters', input: { tags: { k: 'v'.repeat(257) } }, text: 'Map value' },
    { name: 'a tag value with a semicolon', input: { tags: { k: 'a;b' } }, text: 'Map value' },
  ])('refuses $name with InvalidParameterException', async ({ input, text }) => {
    // Prepare
    const { cwl, client } = await start();

    // Act
    const error = await rejection(client.send(new CreateLogGroupCommand({ logGroupName: '/g', ...input })));

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toContain(text);
    expect((await client.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
    expect(cwl.stats().requests.CreateLogGroup).toBe(1);
  });

  it('accepts 50 tags, a 128-character key, a 256-character value, an empty value and /aws/ names', async () => {
    // Prepare
    const { client } = await start();

    // Act
    await client.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/fn', tags: tags(50) }));
    await client.send(
      new CreateLogGroupCommand({
        logGroupName: '/g',
        tags: { ['k'.repeat(128)]: 'v'.repeat(256), empty: '' },
      }),
    );
    const listed = await client.send(new ListTagsLogGroupCommand({ logGroupName: '/aws/lambda/fn' }));

    // Assess
    expect(Object.keys(listed.tags ?? {})).toHaveLength(50);
  });

  it('answers AccessDeniedException for a key that is not known or is disabled, and accepts a known one', async () => {
    // Prepare
    const { client } = await start({ kmsKeys: { [KEY]: 'Enabled', [DISABLED_KEY]: 'Disabled' } });
    const unknown = KEY.replace('1234abcd-', '9999abcd-');

    // Act
    await client.send(new CreateLogGroupCommand({ logGroupName: '/known', kmsKeyId: KEY }));
    const disabled = await rejection(
      client.send(new CreateLogGroupCommand({ logGroupName: '/d', kmsKeyId: DISABLED_KEY })),
    );
    const missing = await rejection(
      client.send(new CreateLogGroupCommand({ logGroupName: '/m', kmsKeyId: unknown })),
    );
    const { logGroups } = await client.send(new DescribeLogGroupsCommand({}));

    // Assess
    for (const error of [disabled, missing]) expect(error).toBeInstanceOf(AccessDeniedException);
    expect(disabled.message).toBe(
      `The specified KMS key does not exist or is not allowed to be used with Arn '${ARN_PREFIX}/d'`,
    );
    expect(logGroups?.map((group) => group.logGroupName)).toEqual(['/known']);
  });

  it('rejects a kmsKeys option that is not a map of ARNs to Enabled or Disabled', async () => {
    // Act
    const error = await rejection(
      startLocalCloudWatchLogs({ kmsKeys: { [KEY]: 'On' } as unknown as Record<string, 'Enabled'> }),
    );

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('kmsKeys');
  });
});

describe('DescribeLogGroups', () => {
  async function startWithGroups(): Promise<Awaited<ReturnType<typeof start>>> {
    const started = await start();
    for (const [logGroupName, logGroupClass] of [
      ['/app/DataLogs', 'STANDARD'],
      ['aws-DataLogs', 'INFREQUENT_ACCESS'],
      ['/GroupDataLogs', 'ESSENTIALS'],
      ['/app/datalogs', 'DELIVERY'],
      ['/Data/log/s', 'STANDARD'],
    ] as const) {
      await started.client.send(new CreateLogGroupCommand({ logGroupName, logGroupClass }));
    }
    return started;
  }

  it('matches logGroupNamePattern as a case-sensitive substring and answers only name, time and arn', async () => {
    // Prepare
    const { client } = await startWithGroups();

    // Act
    const { logGroups } = await client.send(
      new DescribeLogGroupsCommand({ logGroupNamePattern: 'DataLogs' }),
    );

    // Assess
    expect(logGroups).toEqual(
      ['/GroupDataLogs', '/app/DataLogs', 'aws-DataLogs'].map((logGroupName) => ({
        logGroupName,
        creationTime: NOW,
        arn: `${ARN_PREFIX}${logGroupName}:*`,
      })),
    );
  });

  it('refuses logGroupNamePattern together with logGroupNamePrefix', async () => {
    // Prepare
    const { client } = await startWithGroups();

    // Act
    const error = await rejection(
      client.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'Data', logGroupNamePrefix: '/app' })),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toContain('mutually exclusive');
  });

  it('filters by logGroupClass, INFREQUENT_ACCESS and ESSENTIALS together', async () => {
    // Prepare
    const { client } = await startWithGroups();

    // Act
    const infrequent = await client.send(
      new DescribeLogGroupsCommand({ logGroupClass: 'INFREQUENT_ACCESS' }),
    );
    const standard = await client.send(new DescribeLogGroupsCommand({ logGroupClass: 'STANDARD' }));

    // Assess
    expect(infrequent.logGroups?.map((group) => group.logGroupName)).toEqual([
      '/GroupDataLogs',
      'aws-DataLogs',
    ]);
    expect(standard.logGroups?.map((group) => group.logGroupName)).toEqual(['/Data/log/s', '/app/DataLogs']);
  });

  it('returns the groups named in logGroupIdentifiers, by name or ARN, and refuses it with a prefix', async () => {
    // Prepare
    const { client } = await startWithGroups();

    // Act
    const named = await client.send(
      new DescribeLogGroupsCommand({
        logGroupIdentifiers: ['/app/datalogs', `${ARN_PREFIX}/Data/log/s`, '/missing'],
      }),
    );
    const combined = await rejection(
      client.send(
        new DescribeLogGroupsCommand({ logGroupIdentifiers: ['/app/datalogs'], logGroupNamePrefix: '/' }),
      ),
    );

    // Assess
    expect(named.logGroups?.map((group) => group.logGroupName)).toEqual(['/Data/log/s', '/app/datalogs']);
    expect(combined).toBeInstanceOf(InvalidParameterException);
  });
});

describe('retention', () => {
  it('removes a retention policy with DeleteRetentionPolicy', async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/r' }));
    await client.send(new PutRetentionPolicyCommand({ logGroupName: '/r', retentionInDays: 7 }));

    // Act
    await client.send(new DeleteRetentionPolicyCommand({ logGroupName: '/r' }));
    const missing = await rejection(client.send(new DeleteRetentionPolicyCommand({ logGroupName: '/nope' })));
    const { logGroups } = await client.send(new DescribeLogGroupsCommand({}));

    // Assess
    expect(logGroups?.[0]).not.toHaveProperty('retentionInDays');
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('deletion protection', () => {
  it('refuses to delete a protected group or its streams until protection is turned off', async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/p', deletionProtectionEnabled: true }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/p', logStreamName: 's' }));

    // Act
    const group = await rejection(client.send(new DeleteLogGroupCommand({ logGroupName: '/p' })));
    const stream = await rejection(
      client.send(new DeleteLogStreamCommand({ logGroupName: '/p', logStreamName: 's' })),
    );
    await client.send(
      new PutLogGroupDeletionProtectionCommand({
        logGroupIdentifier: `${ARN_PREFIX}/p`,
        deletionProtectionEnabled: false,
      }),
    );
    const { logGroups: unprotected } = await client.send(new DescribeLogGroupsCommand({}));
    await client.send(new DeleteLogGroupCommand({ logGroupName: '/p' }));

    // Assess
    for (const error of [group, stream]) {
      expect(error).toBeInstanceOf(ValidationException);
      expect(error.message).toContain('deletion protection');
    }
    expect(unprotected?.[0]?.deletionProtectionEnabled).toBe(false);
    expect((await client.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
  });
});

describe('tags', () => {
  it('adds, replaces, lists and removes tags with TagResource, ListTagsForResource and UntagResource', async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/t', tags: { a: '1', b: '2' } }));
    const resourceArn = `${ARN_PREFIX}/t`;

    // Act
    await client.send(new TagResourceCommand({ resourceArn, tags: { b: 'two', c: '3' } }));
    const tagged = await client.send(new ListTagsForResourceCommand({ resourceArn }));
    await client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['a', 'missing'] }));
    const untagged = await client.send(new ListTagsForResourceCommand({ resourceArn }));
    // DescribeLogGroups' `arn` ends in `:*`, which the tagging calls' ARN pattern does not allow.
    const starred = await rejection(
      client.send(new ListTagsForResourceCommand({ resourceArn: `${resourceArn}:*` })),
    );

    // Assess
    expect(tagged.tags).toEqual({ a: '1', b: 'two', c: '3' });
    expect(untagged.tags).toEqual({ b: 'two', c: '3' });
    expect(starred).toBeInstanceOf(InvalidParameterException);
  });

  it('does the same by group name with the legacy TagLogGroup, ListTagsLogGroup and UntagLogGroup', async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/legacy' }));

    // Act
    await client.send(
      new TagLogGroupCommand({ logGroupName: '/legacy', tags: { env: 'test', tier: 'web' } }),
    );
    await client.send(new UntagLogGroupCommand({ logGroupName: '/legacy', tags: ['tier'] }));
    const listed = await client.send(new ListTagsLogGroupCommand({ logGroupName: '/legacy' }));

    // Assess
    expect(listed.tags).toEqual({ env: 'test' });
  });

  it('answers TooManyTagsException past 50 tags in all, and keeps the tags it had', async () => {
    // Prepare
    const { client } = await start();
    await client.send(new CreateLogGroupCommand({ logGroupName: '/many', tags: tags(40) }));
    const resourceArn = `${ARN_PREFIX}/many`;

    // Act
    await client.send(new TagResourceCommand({ resourceArn, tags: tags(10, 35) }));
    const error = await rejection(client.send(new TagResourceCommand({ resourceArn, tags: tags(10, 100) })));
    const listed = await client.send(new ListTagsForResourceCommand({ resourceArn }));

    // Assess
    expect(error).toBeInstanceOf(TooManyTagsException);
    expect(error.message).toBe('A resource can have no more than 50 tags.');
    expect((error as TooManyTagsException).resourceName).toBe(resourceArn);
    expect(Object.keys(listed.tags ?? {})).toHaveLength(45);
  });

  it('answers ResourceNotFoundException for a group that does not exist, here or in another account', async () => {
    // Prepare
    const { client } = await start();

    // Act
    const missing = await rejection(
      client.send(new ListTagsForResourceCommand({ resourceArn: `${ARN_PREFIX}/nope` })),
    );
    const elsewhere = await rejection(
      client.send(
        new TagResourceCommand({
          resourceArn: 'arn:aws:logs:eu-west-1:000000000000:log-group:/x',
          tags: { a: 'b' },
        }),
      ),
    );
    const legacy = await rejection(client.send(new ListTagsLogGroupCommand({ logGroupName: '/nope' })));

    // Assess
    for (const error of [missing, elsewhere, legacy]) expect(error).toBeInstanceOf(ResourceNotFoundException);
  });
});
