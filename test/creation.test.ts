// Creating what PutLogEvents needs: one CreateLogGroup with every setting, refusals reported once.
import {
  AccessDeniedException,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import type { DeliveryError } from '../src/errors.js';
import { cwl, expectBalanced, makeShipper, sentMessages } from './support/shipper.js';
import { captureWarnings } from './support/warnings.js';

/** A stream and group that do not exist until CreateLogGroup and CreateLogStream succeed. */
function missingUntilCreated(): void {
  let groupExists = false;
  let streamExists = false;
  cwl.on(PutLogEventsCommand).callsFake(async () => {
    if (!streamExists) throw new ResourceNotFoundException({ message: 'no stream', $metadata: {} });
    return {};
  });
  cwl.on(CreateLogStreamCommand).callsFake(async () => {
    if (!groupExists) throw new ResourceNotFoundException({ message: 'no group', $metadata: {} });
    streamExists = true;
    return {};
  });
  cwl.on(CreateLogGroupCommand).callsFake(async (input: { tags?: unknown }) => {
    if (input.tags !== undefined) {
      throw new AccessDeniedException({
        message:
          'User: arn:aws:sts::123456789012:assumed-role/app is not authorized to perform: logs:TagResource',
        $metadata: {},
      });
    }
    groupExists = true;
    return {};
  });
  cwl.on(PutRetentionPolicyCommand).resolves({});
}

describe('Creation — a group created complete', () => {
  it('sends the class, key, tags and deletion protection in the one CreateLogGroup, then the retention', async () => {
    // Prepare
    cwl
      .on(PutLogEventsCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'x', $metadata: {} }))
      .resolves({});
    cwl
      .on(CreateLogStreamCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'x', $metadata: {} }))
      .resolves({});
    cwl.on(CreateLogGroupCommand).resolves({});
    cwl.on(PutRetentionPolicyCommand).resolves({});
    const key = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const shipper = makeShipper({
      logGroupClass: 'INFREQUENT_ACCESS',
      kmsKeyId: key,
      tags: { team: 'payments' },
      deletionProtection: true,
      retentionInDays: 7,
    });
    // Act
    shipper.log('first');
    await shipper.flush();
    // Assess
    expect(cwl.commandCalls(CreateLogGroupCommand).map((c) => c.args[0].input)).toEqual([
      {
        logGroupName: '/test/group',
        logGroupClass: 'INFREQUENT_ACCESS',
        kmsKeyId: key,
        tags: { team: 'payments' },
        deletionProtectionEnabled: true,
      },
    ]);
    expect(cwl.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: '/test/group', retentionInDays: 7 },
    ]);
    // The first PutLogEvents found the stream missing; the one after the creations stored it.
    expect(sentMessages()).toEqual(['first', 'first']);
    expect(expectBalanced(shipper).sent).toBe(1);
  });

  it('creates the group without its tags when tagging is denied, says so once, and loses nothing', async () => {
    // Prepare
    missingUntilCreated();
    const shipper = makeShipper({ tags: { team: 'payments' }, retentionInDays: 7 });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    const { warnings, restore } = captureWarnings();
    // Act
    try {
      shipper.log('kept');
      await shipper.flush();
    } finally {
      restore();
    }
    // Assess
    expect(cwl.commandCalls(CreateLogGroupCommand).map((c) => c.args[0].input.tags)).toEqual([
      { team: 'payments' },
      undefined,
    ]);
    expect(cwl.commandCalls(PutRetentionPolicyCommand)).toHaveLength(1);
    expect(errors).toEqual([]);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1 });
    expect(warnings.map((w) => w.code)).toEqual(['CWS_LOG_GROUP_SETTINGS']);
    expect(warnings[0]?.message).toContain('logs:TagResource');
    expect(warnings[0]?.message).not.toContain('123456789012');
  });

  it('names CreateLogGroup, not PutLogEvents, when the role may not create groups', async () => {
    // Prepare
    cwl.on(PutLogEventsCommand).rejects(new ResourceNotFoundException({ message: 'x', $metadata: {} }));
    cwl.on(CreateLogStreamCommand).rejects(new ResourceNotFoundException({ message: 'x', $metadata: {} }));
    cwl.on(CreateLogGroupCommand).rejects(
      new AccessDeniedException({
        message: 'not authorized to perform: logs:CreateLogGroup',
        $metadata: {},
      }),
    );
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    const { restore } = captureWarnings();
    // Act
    try {
      shipper.log('lost');
      await shipper.flush();
    } finally {
      restore();
    }
    // Assess
    expect(errors.map((e) => [e.operation, e.awsErrorName, e.reason])).toEqual([
      ['CreateLogGroup', 'AccessDeniedException', 'rejected'],
    ]);
    expect(errors[0]?.message).toMatch(/^CreateLogGroup \(for PutLogEvents\) to \/test\/group/);
    expect(errors[0]?.message).toContain('`logs:CreateLogGroup`');
  });
});
