import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AccessDeniedException,
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../src/errors.js';
import { LogShipper } from '../src/shipper.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run } from './support/child.js';
import { captureWarnings } from './support/warnings.js';

// README's quick start is examples/quick-start.mjs, word for word; this runs it as written
// against a fresh local endpoint (no log group yet, as on a new account). The SDK's own
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS points it there, so the program needs no test hook.
const source = readFileSync(resolve(root, 'examples/quick-start.mjs'), 'utf8');
let cwl: LocalCloudWatchLogs;

beforeEach(async () => {
  cwl = await startLocalCloudWatchLogs();
});

afterEach(async () => {
  await cwl.close();
});

describe('the quick start', () => {
  it('is in README as it is in examples/quick-start.mjs', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const block = /```js\n([\s\S]*?)```/.exec(quickStart)?.[1];
    expect(block).toBe(source);
  });

  it('stores every event it logs, creating the group, and exits by itself', async () => {
    // Prepare: the endpoint as the SDK's setting, not the examples' CWL_ENDPOINT.
    const { CWL_ENDPOINT: _unused, ...env } = endpointEnv(cwl);
    // Act
    const child = await run({
      args: [resolve(root, 'examples/quick-start.mjs')],
      env: { ...env, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cwl.endpoint },
    });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const web = cwl.events('/my-app/web', 'web-1').map((e) => e.message);
    expect(web).toHaveLength(4);
    expect(web.slice(0, 3)).toEqual(['server started', 'order placed', '{"orderId":42,"total":9.5}']);
    expect(web[3]).toMatch(/^Error: payment declined\n\s+at /);
    expect(cwl.events('/my-app/web', 'audit').map((e) => e.message)).toEqual(['audit entry']);
    // The group did not exist: the shipper made it (each stream that found it missing may ask).
    expect(cwl.stats().requests.CreateLogGroup).toBeGreaterThanOrEqual(1);
  });
});

describe('createLogGroup on by default', () => {
  it('tells a role that may not create groups why its events are not stored', async () => {
    // Prepare: no group, and CreateLogGroup denied, as for a role without logs:CreateLogGroup.
    const cwlMock = mockClient(CloudWatchLogsClient);
    const denied =
      'User: arn:aws:sts::123456789012:assumed-role/app/i-1 is not authorized to perform: logs:CreateLogGroup';
    cwlMock
      .on(PutLogEventsCommand)
      .rejects(new ResourceNotFoundException({ message: 'no stream', $metadata: {} }));
    cwlMock
      .on(CreateLogStreamCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'The specified log group does not exist.', $metadata: {} }),
      );
    cwlMock.on(CreateLogGroupCommand).rejects(new AccessDeniedException({ message: denied, $metadata: {} }));
    const shipper = new LogShipper({
      logGroupName: '/my-app/web',
      logStreamName: 'web-1',
      client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
    });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    const { warnings, restore } = captureWarnings();
    try {
      // Act
      shipper.log('server started');
      await shipper.close();
      // Assess
      expect(cwlMock.commandCalls(CreateLogGroupCommand)).toHaveLength(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(DeliveryError);
      expect(errors[0]?.awsErrorName).toBe('AccessDeniedException');
      expect(errors[0]?.message).toContain('logs:CreateLogGroup');
      expect(errors[0]?.message).not.toContain('123456789012');
      expect(errors[0]?.operation).toBe('CreateLogGroup');
      expect(shipper.stats().dropped.rejected).toBe(1);
      // The settings warning says the same once, with what to do.
      expect(warnings.map((w) => w.code)).toEqual(['CWS_LOG_GROUP_SETTINGS']);
      expect(warnings[0]?.message).toContain('logs:CreateLogGroup');
    } finally {
      restore();
      cwlMock.restore();
    }
  });
});
