import {
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/limits.js';
import type { DeliveryError } from '../../src/shipper.js';
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

describe('end to end — missing groups and streams', () => {
  it('creates missing streams on the fly, once each, however many batches find them missing', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { maxBatchEvents: 100, perStreamConcurrency: 4 });
    const streams = ['s-1', 's-2', 's-3'];

    // Act
    for (let i = 0; i < 3_000; i++) shipper.log(`#${i}`, { logStreamName: streams[i % 3] });
    await shipper.flush();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats.sent).toBe(3_000);
    expect(local.requests.CreateLogStream).toBe(3);
    expect(local.requests.CreateLogGroup).toBe(1); // the test's own
    const described = await clientFor(cwl).send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
    expect(described.logStreams?.map((s) => s.logStreamName)).toEqual(streams);
    for (const stream of streams) expect(cwl.events(GROUP, stream)).toHaveLength(1_000);
  });

  it('creates a missing group with createLogGroup, sets its retention, and drops what it would expire', async () => {
    // Prepare
    const cwl = await startEndpoint();
    const shipper = shipperFor(cwl, { createLogGroup: true, retentionInDays: 7, maxBatchEvents: 50 });
    const warnings = watchWarnings();
    const now = Date.now();

    // Act
    for (let i = 0; i < 500; i++) shipper.log({ message: `#${i} fresh`, timestamp: now - i });
    for (let i = 0; i < 10; i++) shipper.log({ message: `#${i} ten days old`, timestamp: now - 10 * DAY_MS });
    await shipper.close();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ sent: 500, dropped: expect.objectContaining({ tooOld: 10 }) });
    // The first CreateLogStream found the group missing; the second followed CreateLogGroup.
    expect(local.requests).toMatchObject({ CreateLogGroup: 1, PutRetentionPolicy: 1, CreateLogStream: 2 });
    // The shipper dropped what the group's retention would refuse, so the endpoint refused nothing.
    expect(local.rejected).toEqual({ tooOld: 0, tooNew: 0, expired: 0 });
    expect(local.eventsAccepted).toBe(500);
    const described = await clientFor(cwl).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: GROUP }));
    expect(described.logGroups?.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([[GROUP, 7]]);
    expect(await warnings.stop()).toEqual([]);
  });

  it('creates the group again when it is deleted while the shipper runs', async () => {
    // Prepare
    const cwl = await startEndpoint();
    const shipper = shipperFor(cwl, { createLogGroup: true, retentionInDays: 30 });
    shipper.log('#0 first');
    await shipper.flush();

    // Act
    await clientFor(cwl).send(new DeleteLogGroupCommand({ logGroupName: GROUP }));
    shipper.log('#1 after the group was deleted');
    await shipper.flush();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats.sent).toBe(2);
    expect(local.requests).toMatchObject({ CreateLogGroup: 2, PutRetentionPolicy: 2, CreateLogStream: 4 });
    expect(cwl.events(GROUP, 'default').map((e) => e.message)).toEqual(['#1 after the group was deleted']);
  });

  it('drops as rejected, reporting one DeliveryError, when the group is missing and may not be created', async () => {
    // Prepare
    const cwl = await startEndpoint();
    const shipper = shipperFor(cwl, { maxBatchEvents: 10, createLogGroup: false });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));

    // Act
    for (let i = 0; i < 100; i++) shipper.log(`#${i} secret body`);
    await shipper.flush();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(stats).toMatchObject({ sent: 0, retries: 0, dropped: expect.objectContaining({ rejected: 100 }) });
    expect(local.requests.CreateLogGroup).toBeUndefined();
    expect(local.eventsAccepted).toBe(0);
    // Identical failures are reported once a minute, not once per batch.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ awsErrorName: 'ResourceNotFoundException', reason: 'rejected' });
    expect(errors[0]?.message).not.toContain('secret body');
  });
});
