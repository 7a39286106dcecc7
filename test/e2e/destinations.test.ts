// Destinations as operators configure them, end to end through the real SDK: templates that rotate
// by the event's own time, groups created with every setting, the entity.
import {
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  cleanUp,
  clientFor,
  createGroup,
  expectSettled,
  GROUP,
  shipperFor,
  startEndpoint,
  watchWarnings,
} from './helpers.js';

afterEach(cleanUp);

const DAY = 24 * 3_600_000;
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

async function describeGroup(cwl: Awaited<ReturnType<typeof startEndpoint>>, name: string) {
  const { logGroups } = await clientFor(cwl).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return logGroups?.find((g) => g.logGroupName === name);
}

describe('end to end — name templates', () => {
  it('routes each event to the stream of its own day, a late event too', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { logStreamName: 'web-{pid}/{date}' });
    const today = Date.now();
    const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);
    // Act
    shipper.log({ message: 'today', timestamp: today });
    shipper.log({ message: 'yesterday, late', timestamp: today - DAY });
    shipper.log({ message: 'today again', timestamp: today });
    await shipper.flush();
    // Assess
    expectSettled(shipper, cwl);
    const messages = (day: number) =>
      cwl.events(GROUP, `web-${process.pid}/${dayOf(day)}`).map((e) => e.message);
    expect(messages(today)).toEqual(['today', 'today again']);
    expect(messages(today - DAY)).toEqual(['yesterday, late']);
  });

  it('expands a template given to log(), and drops what a bad one names, reported once', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl);
    const warnings = watchWarnings();
    const hour = new Date().toISOString().slice(0, 13);
    // Act
    shipper.log('audited', { logStreamName: 'audit/{hour}' });
    shipper.log('lost', { logStreamName: 'audit/{hours}' });
    shipper.log('lost too', { logStreamName: 'audit/{hours}' });
    await shipper.flush();
    // Assess
    const { stats } = expectSettled(shipper, cwl);
    expect(cwl.events(GROUP, `audit/${hour}`).map((e) => e.message)).toEqual(['audited']);
    expect(stats.dropped.invalidDestination).toBe(2);
    const said = (await warnings.stop()).filter(
      (w) => (w as { code?: string }).code === 'CWS_INVALID_DESTINATION',
    );
    expect(said).toHaveLength(1);
    expect(said[0]?.message).toContain('audit/{hours}');
  });

  it('refuses an unknown token, or an unset variable, when it is constructed', async () => {
    const cwl = await startEndpoint();
    expect(() => shipperFor(cwl, { logStreamName: '{hostnme}' })).toThrow(/did you mean `\{hostname\}`/);
    expect(() => shipperFor(cwl, { logGroupName: '/app/{env.CWS_SURELY_UNSET_VARIABLE}' })).toThrow(
      ConfigError,
    );
    expect(() => shipperFor(cwl, { logGroupName: '/app/{date}' })).toThrow(/stream names only/);
  });

  it('lets go of the streams rotated away, so hourly rotation does not add up', async () => {
    // Prepare: two days of events, an hour apart in event time, sent as they come.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { logStreamName: 'rotating/{hour}' });
    const start = Date.now() - 47 * 3_600_000;
    // Act
    for (let h = 0; h < 48; h++) shipper.log({ message: `hour ${h}`, timestamp: start + h * 3_600_000 });
    await shipper.flush();
    const held = shipper.stats().destinations;
    await shipper.close();
    // Assess: every hour got its own stream; after close only what the shipper pins is left.
    const { logStreams } = await clientFor(cwl).send(
      new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: 'rotating/' }),
    );
    expect(logStreams).toHaveLength(48);
    expect(held).toBe(48);
    expect(shipper.stats().destinations).toBe(0);
  });
});

describe('end to end — log groups created complete', () => {
  it('creates the group with its class, key, tags, deletion protection and retention', async () => {
    // Prepare
    const cwl = await startEndpoint({ kmsKeys: { [KEY]: 'Enabled' } });
    const shipper = shipperFor(cwl, {
      logGroupName: '/complete/app',
      logGroupClass: 'INFREQUENT_ACCESS',
      kmsKeyId: KEY,
      tags: { team: 'payments', 'cost-center': '42' },
      deletionProtection: true,
      retentionInDays: 30,
    });
    // Act
    shipper.log('first event');
    await shipper.flush();
    // Assess
    expectSettled(shipper, cwl);
    const group = await describeGroup(cwl, '/complete/app');
    expect(group).toMatchObject({
      logGroupClass: 'INFREQUENT_ACCESS',
      kmsKeyId: KEY,
      retentionInDays: 30,
      deletionProtectionEnabled: true,
    });
    const { tags } = await clientFor(cwl).send(
      new ListTagsForResourceCommand({ resourceArn: group?.logGroupArn as string }),
    );
    expect(tags).toEqual({ team: 'payments', 'cost-center': '42' });
    expect(cwl.events('/complete/app', 'default').map((e) => e.message)).toEqual(['first event']);
  });

  it('reports a key the service refuses once, with what to fix, and drops the events as rejected', async () => {
    // Prepare: a key the endpoint does not know.
    const cwl = await startEndpoint({ kmsKeys: {} });
    const shipper = shipperFor(cwl, { logGroupName: '/keyed/app', kmsKeyId: KEY });
    shipper.on('error', () => {});
    const warnings = watchWarnings();
    // Act
    shipper.log('one');
    await shipper.flush();
    shipper.log('two');
    await shipper.flush();
    // Assess: no group without the encryption asked for.
    const said = (await warnings.stop()).filter(
      (w) => (w as { code?: string }).code === 'CWS_LOG_GROUP_SETTINGS',
    );
    expect(said).toHaveLength(1);
    expect(said[0]?.message).toMatch(/kmsKeyId/);
    expect(said[0]?.message).toContain('/keyed/app');
    expect(await describeGroup(cwl, '/keyed/app')).toBeUndefined();
    expect(shipper.stats().dropped.rejected).toBe(2);
  });

  it('refuses group settings without createLogGroup, at construction', async () => {
    const cwl = await startEndpoint();
    expect(() => shipperFor(cwl, { createLogGroup: false, tags: { a: 'b' } })).toThrow(ConfigError);
    expect(() => shipperFor(cwl, { logGroupClass: 'COLD' as never })).toThrow(/logGroupClass/);
  });
});

describe('end to end — entity', () => {
  it('sends the entity with every PutLogEvents', async () => {
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const entity = {
      keyAttributes: { Type: 'Service', Name: 'checkout', Environment: 'prod' },
      attributes: { PlatformType: 'Generic' },
    };
    const shipper = shipperFor(cwl, { entity });
    shipper.log('with its entity');
    await shipper.flush();
    expectSettled(shipper, cwl);
    expect(cwl.entity(GROUP, 'default')).toEqual(entity);
  });

  it('warns once when the service refuses the entity, and counts the stored events as sent', async () => {
    // Prepare: a Service entity without the Environment the service requires for it.
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, {
      entity: { keyAttributes: { Type: 'Service', Name: 'checkout' } },
      maxBatchEvents: 1,
    });
    const warnings = watchWarnings();
    // Act
    for (let i = 0; i < 3; i++) shipper.log(`event ${i}`);
    await shipper.flush();
    // Assess
    const { stats } = expectSettled(shipper, cwl);
    expect(stats.sent).toBe(3);
    const said = (await warnings.stop()).filter(
      (w) => (w as { code?: string }).code === 'CWS_ENTITY_REJECTED',
    );
    expect(said).toHaveLength(1);
    expect(cwl.events(GROUP, 'default')).toHaveLength(3);
  });
});
