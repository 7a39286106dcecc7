// The sender's retry policy by error class, driven through LogShipper with a mocked client; and one
// race driven through the Sender itself.
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it, vi } from 'vitest';
import { Client } from '../src/client.js';
import { Creation } from '../src/creation.js';
import { Stream } from '../src/destination.js';
import type { DeliveryError } from '../src/errors.js';
import type { DropReason, LogEvent } from '../src/event.js';
import { resolveOptions } from '../src/options.js';
import { CREDENTIALS_RETRY_MS, Sender } from '../src/sender.js';
import { cwl, expectBalanced, makeShipper, sentMessages, T0 } from './support/shipper.js';

/** The refusal AWS sends for a request signed with a clock more than 5 minutes off, once the SDK corrected it. */
function signatureExpired(): Error {
  return Object.assign(
    new Error('Signature expired: 20261201T120000Z is now earlier than 20261201T121000Z'),
    {
      name: 'InvalidSignatureException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, clockSkewCorrected: true },
    },
  );
}

/** What the SDK's default chain throws when a provider failed (or none had credentials). */
function credentialsFailed(): Error {
  return Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
    tryNextLink: false,
  });
}

describe('Sender — clock skew', () => {
  it('sends again at once after the SDK corrected its clock, losing nothing', async () => {
    // Prepare: every batch in flight at the first refusal is refused once.
    const shipper = makeShipper({ maxBatchEvents: 10 });
    cwl.on(PutLogEventsCommand).rejectsOnce(signatureExpired()).rejectsOnce(signatureExpired()).resolves({});
    // Act
    for (let i = 0; i < 30; i++) shipper.log(`e${i}`);
    let done = false;
    const flushed = shipper.flush().then((result) => {
      done = true;
      return result;
    });
    await vi.advanceTimersByTimeAsync(0);
    // Assess: done without the clock moving, so no backoff was waited.
    expect(done).toBe(true);
    expect(await flushed).toEqual({ complete: true, remaining: 0 });
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ sent: 30, retries: 2 });
    expect(sentMessages()).toHaveLength(30 + 20);
  });

  it('gives up after two clock-skew retries in a row, as rejected, and says so', async () => {
    // Prepare: a host whose every answer comes back marked as corrected (a denied action, say).
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    cwl.on(PutLogEventsCommand).rejects(signatureExpired());
    // Act
    shipper.log('refused');
    await shipper.flush();
    // Assess
    expect(cwl.commandCalls(PutLogEventsCommand)).toHaveLength(3);
    expect(expectBalanced(shipper).dropped.rejected).toBe(1);
    expect(errors.map((e) => [e.kind, e.awsErrorName, e.reason])).toEqual([
      ['clockSkew', 'InvalidSignatureException', 'rejected'],
    ]);
    expect(errors[0]?.message).not.toContain('20261201T');
  });
});

describe('Sender — credentials', () => {
  it('retries a credentials provider that fails once, with backoff, and delivers', async () => {
    const shipper = makeShipper();
    cwl.on(PutLogEventsCommand).rejectsOnce(credentialsFailed()).resolves({});
    shipper.log('after a slow start');
    const flushed = shipper.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await flushed).toEqual({ complete: true, remaining: 0 });
    expect(expectBalanced(shipper)).toMatchObject({ sent: 1, retries: 1 });
  });

  it('gives up on credentials missing everywhere after a minute, as failed, in one report', async () => {
    // Prepare
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    cwl.on(PutLogEventsCommand).rejects(credentialsFailed());
    // Act
    for (let i = 0; i < 3; i++) shipper.log(`e${i}`);
    const flushed = shipper.flush();
    await vi.advanceTimersByTimeAsync(CREDENTIALS_RETRY_MS - 1_000);
    expect(expectBalanced(shipper).inFlight).toBe(3);
    await vi.advanceTimersByTimeAsync(11_000);
    await flushed;
    // Assess: within the credentials bound, not the 5 minutes of retry.maxRetryTimeMs.
    expect(expectBalanced(shipper).dropped.failed).toBe(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'credentials', reason: 'failed', events: 3 });
  });
});

describe('Sender — an abort as a batch is acknowledged', () => {
  it('counts the batch as sent, and not as closed too', async () => {
    // Prepare: a sender whose 'sent' hook aborts it, as a hook that closes the shipper could; p-retry
    // looks at the signal again after the attempt that succeeded.
    const resolved = resolveOptions({
      logGroupName: '/test/group',
      logStreamName: 'stream-1',
      client: new CloudWatchLogsClient({ region: 'us-east-1' }),
    });
    const client = new Client(resolved.client, resolved.clientConfig);
    const sent: number[] = [];
    const dropped: DropReason[] = [];
    const sender: Sender = new Sender(client, new Creation(client, resolved, () => {}), resolved, {
      sent: (_stream, events) => {
        sent.push(events.length);
        sender.abort();
      },
      dropped: (_stream, _events, reason) => dropped.push(reason),
      failed: () => {},
      retried: () => {},
      entityRejected: () => {},
      capacityFreed: () => {},
      eventTooLarge: () => {},
    });
    const stream = new Stream({ logGroupName: '/test/group', logStreamName: 'stream-1' });
    const events: LogEvent[] = [{ timestamp: T0, message: 'once', bytes: 4, kind: 'event' }];
    // Act
    await sender.schedule(stream, { events, bytes: 30 });
    // Assess
    expect(cwl.commandCalls(PutLogEventsCommand)).toHaveLength(1);
    expect(sent).toEqual([1]);
    expect(dropped).toEqual([]);
  });
});
