import { inspect } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryError } from '../src/errors.js';
import { LogShipper } from '../src/shipper.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { captureWarnings } from './support/warnings.js';

// Planted secrets in the credentials and in a message that fails must never surface in what the
// shipper reports: error messages, error events (with their causes), stats, or process warnings.
const SECRET_KEY = 'PLANTED-secret-access-key-9f8e7d';
const SESSION_TOKEN = 'PLANTED-session-token-1a2b3c';
const BODY_SECRET = 'PLANTED-card-number-4111111111111111';

let cwl: LocalCloudWatchLogs | undefined;
afterEach(async () => {
  await cwl?.close();
});

describe('secrets in reports', () => {
  it('keeps credentials and message bodies out of errors, warnings and stats', async () => {
    // Prepare: the endpoint accepts smaller events than the shipper sends, so the batch is rejected;
    // its limit is below the 1,024-byte floor of a limit the shipper learns, so both batches are.
    cwl = await startLocalCloudWatchLogs({ maxEventBytes: 1_000 });
    const client = new CloudWatchLogsClient({
      endpoint: cwl.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAPLANTED', secretAccessKey: SECRET_KEY, sessionToken: SESSION_TOKEN },
      maxAttempts: 1,
    });
    const shipper = new LogShipper({
      logGroupName: '/secure',
      logStreamName: 's',
      client,
      createLogGroup: true,
    });
    const errors: DeliveryError[] = [];
    const captured = captureWarnings();
    try {
      // Act
      shipper.log(`${BODY_SECRET} ${'x'.repeat(2_000)}`);
      await shipper.flush();
      shipper.on('error', (error) => errors.push(error));
      shipper.log(`again ${BODY_SECRET} ${'y'.repeat(2_000)}`, { logStreamName: 'other' });
      await shipper.close();
      await new Promise((r) => process.nextTick(r));
    } finally {
      captured.restore();
      client.destroy();
    }
    const warnings = captured.warnings.map((w) => w.inspected);
    // Assess: both failures were reported, one as a warning (no listener yet), one as an event.
    expect(warnings.some((w) => w.includes('InvalidParameterException'))).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeliveryError);
    const reported = [
      ...warnings,
      ...errors.map((e) => `${e.message}\n${e.stack}\n${inspect(e, { depth: 10, showHidden: true })}`),
      JSON.stringify(shipper.stats()),
    ].join('\n');
    for (const secret of [SECRET_KEY, SESSION_TOKEN, BODY_SECRET]) expect(reported).not.toContain(secret);
    expect(shipper.stats().dropped.rejected).toBe(2);
  });
});
