import { CloudWatchLogsServiceException, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { formatAmzDate } from '../src/testing/signature.js';
import { GROUP, NOW, put, rejection, STREAM, start, startWithStreams } from './support/local.js';

const TEN_MINUTES = 10 * 60 * 1000;

describe('clock skew', () => {
  it('answers InvalidSignatureException with its own Date, from which the SDK corrects its clock', async () => {
    // Prepare
    const { cwl, client } = await startWithStreams();
    cwl.setFaults({ clockSkewMs: TEN_MINUTES });

    // Act
    const error = await rejection(client.send(put([{ timestamp: NOW, message: 'first' }])));
    await client.send(put([{ timestamp: NOW, message: 'after the correction' }]));

    // Assess
    // The SDK has no class of this name for CloudWatch Logs: it raises the service's base class.
    expect(error).toBeInstanceOf(CloudWatchLogsServiceException);
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    // `clockSkewCorrected` is set by the SDK's signer; its ResponseMetadata type does not declare it.
    const { $metadata, $response } = error as CloudWatchLogsServiceException & {
      $metadata: { clockSkewCorrected?: boolean };
      $response?: { headers: Record<string, string> };
    };
    expect($metadata.httpStatusCode).toBe(400);
    expect($metadata.clockSkewCorrected).toBe(true);
    const serverMs = Date.parse($response?.headers.date ?? '');
    expect(Math.abs(serverMs - (Date.now() + TEN_MINUTES))).toBeLessThan(5_000);
    expect(client.config.systemClockOffset).toBeGreaterThan(TEN_MINUTES - 5_000);
    expect(cwl.events(GROUP, STREAM).map((event) => event.message)).toEqual(['after the correction']);
    expect(cwl.stats().faults.signatureExpired).toBe(1);
  });

  it('lets the SDK succeed on its own retry when the client retries', async () => {
    // Prepare
    const { cwl } = await startWithStreams();
    const { client } = await start({}, { endpoint: cwl.endpoint, maxAttempts: 3 });
    cwl.setFaults({ clockSkewMs: -TEN_MINUTES });

    // Act
    const response = await client.send(new DescribeLogGroupsCommand({}));

    // Assess
    expect(response.logGroups?.map((group) => group.logGroupName)).toEqual([GROUP]);
    expect(response.$metadata.attempts).toBe(2);
    expect(cwl.stats().faults.signatureExpired).toBe(1);
  });

  it('says "not yet current" to a request signed more than 5 minutes ahead of its clock', async () => {
    // Prepare
    const { cwl, client } = await start();
    cwl.setFaults({ clockSkewMs: -TEN_MINUTES });

    // Act
    const error = await rejection(client.send(new DescribeLogGroupsCommand({})));

    // Assess
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.message).toMatch(
      /^Signature not yet current: \d{8}T\d{6}Z is still later than .* \+ 5 min\.\)$/,
    );
  });

  it('refuses a client whose own clock is off by more than 5 minutes, with no fault set', async () => {
    // Prepare: the SDK signs with its clock plus this offset.
    const { cwl, client } = await start({}, { systemClockOffset: -TEN_MINUTES });

    // Act
    const error = await rejection(client.send(new DescribeLogGroupsCommand({})));
    const corrected = await client.send(new DescribeLogGroupsCommand({}));

    // Assess
    expect(error.name).toBe('InvalidSignatureException');
    expect(corrected.logGroups).toEqual([]);
    expect(cwl.stats().requests.DescribeLogGroups).toBe(1);
  });

  it('accepts a signing time 5 minutes off, and requests without X-Amz-Date', async () => {
    // Prepare
    const { cwl } = await start();
    const send = (headers: Record<string, string>) =>
      fetch(cwl.endpoint, {
        method: 'POST',
        headers: {
          'x-amz-target': 'Logs_20140328.DescribeLogGroups',
          'content-type': 'application/x-amz-json-1.1',
          ...headers,
        },
        body: '{}',
      });

    // Act
    const unsigned = await send({});
    const edge = await send({ 'x-amz-date': formatAmzDate(Date.now() - 5 * 60 * 1000 + 2_000) });
    const stale = await send({ 'x-amz-date': formatAmzDate(Date.now() - 6 * 60 * 1000) });

    // Assess
    expect(unsigned.status).toBe(200);
    expect(edge.status).toBe(200);
    expect(stale.status).toBe(400);
    expect(stale.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(((await stale.json()) as { __type: string }).__type).toBe('InvalidSignatureException');
  });

  it('rejects a clockSkewMs that is not a finite number with ConfigError', async () => {
    // Prepare
    const { cwl } = await start();

    // Act
    const error = (() => {
      try {
        cwl.setFaults({ clockSkewMs: Number.POSITIVE_INFINITY });
      } catch (thrown) {
        return thrown as Error;
      }
      throw new Error('Expected setFaults to throw');
    })();

    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('faults.clockSkewMs');
  });
});
