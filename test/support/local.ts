/**
 * Shared by the tests of the local endpoint (test/testing-*.test.ts): an endpoint and a real
 * `@aws-sdk/client-cloudwatch-logs` client over real HTTP on 127.0.0.1, closed after each test.
 */
import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  type InputLogEvent,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach } from 'vitest';
import {
  type LocalCloudWatchLogs,
  type LocalCloudWatchLogsOptions,
  startLocalCloudWatchLogs,
} from '../../src/testing/index.js';

/** The injected clock of the 14-day and 2-hour checks: timestamps below are relative to it. */
export const NOW = Date.UTC(2025, 0, 15, 12);
export const GROUP = '/app/test';
export const STREAM = 'web-1';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export interface Started {
  readonly cwl: LocalCloudWatchLogs;
  readonly client: CloudWatchLogsClient;
}

/** An endpoint with the clock at {@link NOW} and a client without the SDK's own retries. */
export async function start(
  options: LocalCloudWatchLogsOptions = {},
  clientConfig: Partial<CloudWatchLogsClientConfig> = {},
): Promise<Started> {
  const cwl = await startLocalCloudWatchLogs({ now: () => NOW, ...options });
  const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1, ...clientConfig });
  cleanups.push(async () => {
    client.destroy();
    await cwl.close();
  });
  return { cwl, client };
}

/** An endpoint with {@link GROUP} and the given streams (default {@link STREAM}) created. */
export async function startWithStreams(
  streams: readonly string[] = [STREAM],
  options: LocalCloudWatchLogsOptions = {},
): Promise<Started> {
  const started = await start(options);
  await started.client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  for (const logStreamName of streams) {
    await started.client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName }));
  }
  return started;
}

export function put(logEvents: InputLogEvent[], logStreamName = STREAM): PutLogEventsCommand {
  return new PutLogEventsCommand({ logGroupName: GROUP, logStreamName, logEvents });
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('Expected the promise to reject');
}
