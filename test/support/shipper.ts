// What the LogShipper unit tests share: the mocked SDK, a shipper maker that closes what it made,
// and readers of what was sent.
import {
  CloudWatchLogsClient,
  PutLogEventsCommand,
  type PutLogEventsCommandInput,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import type { LogShipperOptions } from '../../src/options.js';
import { LogShipper } from '../../src/shipper.js';
import { expectBalanced, sumDropped } from './balance.js';

export const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
export const cwl = mockClient(CloudWatchLogsClient);

export const shippers: LogShipper[] = [];
export function makeShipper(options: Partial<LogShipperOptions> = {}): LogShipper {
  const shipper = new LogShipper({
    logGroupName: '/test/group',
    logStreamName: 'stream-1',
    client: new CloudWatchLogsClient({ region: 'us-east-1' }),
    random: () => 0.5,
    ...options,
  });
  shippers.push(shipper);
  return shipper;
}

/** What each PutLogEvents carried, as the SDK serializes it (the model's members only). */
export function putInputs(): PutLogEventsCommandInput[] {
  return cwl.commandCalls(PutLogEventsCommand).map((call) => {
    const input = call.args[0].input;
    return {
      ...input,
      logEvents: input.logEvents?.map(({ timestamp, message }) => ({ timestamp, message })),
    };
  });
}

export function sentMessages(): string[] {
  return putInputs().flatMap((input) => (input.logEvents ?? []).map((e) => e.message as string));
}

export const throttled = () =>
  new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
export const unavailable = () =>
  new ServiceUnavailableException({ message: 'Unavailable', $metadata: { httpStatusCode: 503 } });

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
  cwl.reset();
  cwl.on(PutLogEventsCommand).resolves({});
});

afterEach(async () => {
  for (const shipper of shippers.splice(0)) {
    const closing = shipper.close({ timeoutMs: 1 });
    await vi.advanceTimersByTimeAsync(10);
    await closing;
  }
  vi.useRealTimers();
});

export { expectBalanced, sumDropped };
