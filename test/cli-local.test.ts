import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_USAGE, parseLocalArgs } from '../src/cli-options.js';
import { UsageError } from '../src/errors.js';
import { startLocalCloudWatchLogs } from '../src/testing/index.js';
import { type ChildResult, root, run } from './support/child.js';

// The command as built (npm test builds before it tests): dist/cli.js.
const cli = resolve(root, 'dist/cli.js');
const GROUP = '/test/local';
const STREAM = 'from-another-language';

/** A running `cloudwatch-shipper local`: its URL (its first line of output) and its end. */
interface LocalServer {
  readonly child: ChildProcess;
  readonly url: Promise<string>;
  readonly ended: Promise<ChildResult>;
}

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function startLocal(...args: string[]): LocalServer {
  let child: ChildProcess | undefined;
  let resolveUrl: (url: string) => void = () => {};
  let rejectUrl: (error: Error) => void = () => {};
  const url = new Promise<string>((resolvePromise, reject) => {
    resolveUrl = resolvePromise;
    rejectUrl = reject;
  });
  const ended = run({
    args: [cli, 'local', ...args],
    timeoutMs: 20_000,
    started: (started) => {
      child = started;
      let stdout = '';
      started.stdout?.on('data', (chunk: string) => {
        stdout += chunk;
        const end = stdout.indexOf('\n');
        if (end !== -1) resolveUrl(stdout.slice(0, end));
      });
    },
  });
  void ended.then((result) => rejectUrl(new Error(`ended before printing a URL: ${JSON.stringify(result)}`)));
  const started = child as unknown as ChildProcess;
  cleanups.push(() => {
    if (started.exitCode === null && started.signalCode === null) started.kill('SIGKILL');
  });
  return { child: started, url, ended };
}

function clientFor(endpoint: string): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'any' },
    maxAttempts: 1,
  });
  cleanups.push(() => client.destroy());
  return client;
}

/** Whether something accepts connections on the URL's port. */
function listening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolvePromise) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}

describe('cloudwatch-shipper local — the command line', () => {
  it('has defaults for everything: port 4566 on 127.0.0.1, no faults', () => {
    expect(parseLocalArgs([])).toEqual({ port: 4566, host: '127.0.0.1', faults: {} });
    expect(parseLocalArgs(['-h'])).toBe('help');
  });

  it('reads every flag, and passes any fault through by name, a number when it reads as one', () => {
    expect(
      parseLocalArgs([
        '--port',
        '0',
        '--host=127.0.0.2',
        '--seed=-42',
        '--fault',
        'throttleRate=0.25',
        '--fault',
        'tpsLimit=Infinity',
        '--fault',
        'aFaultAddedLater=3',
        '--fault',
        'named=slow',
        '--fault',
        'throttleRate=0.5',
      ]),
    ).toEqual({
      port: 0,
      host: '127.0.0.2',
      seed: -42,
      // The last of a name wins; the endpoint, not the command, knows which names and values are good.
      faults: { throttleRate: 0.5, tpsLimit: Number.POSITIVE_INFINITY, aFaultAddedLater: 3, named: 'slow' },
    });
    expect(parseLocalArgs(['--host', '::1'])).toMatchObject({ host: '::1' });
  });

  it.each([
    [['--host', '0.0.0.0'], /--host must be a loopback address .* got `0\.0\.0\.0`/],
    [['--host', '192.168.1.10'], /--host must be a loopback address/],
    [['--host', '::'], /--host must be a loopback address/],
    [['--host', 'localhost'], /--host must be a loopback address/],
    [['--host', 'example.com'], /--host must be a loopback address/],
    [['--port', '65536'], /--port must be at most 65535/],
    [['--port=-1'], /--port must be a whole number/],
    [['--port', 'http'], /--port must be a whole number/],
    [['--seed', '1.5'], /--seed must be an integer/],
    [['--fault', 'throttleRate'], /--fault must be <name>=<value>/],
    [['--fault', '=1'], /--fault must be <name>=<value>/],
    [['--fault', 'toString=1'], /--fault `toString` \(string\) is not a fault the endpoint knows/],
    [['--fault', '__proto__=1'], /is not a fault the endpoint knows/],
    [['--log-group-name', '/g'], /Unknown option '--log-group-name'/],
    [['extra'], /positional/],
  ])('refuses %j', (args, message) => {
    expect(() => parseLocalArgs(args)).toThrow(UsageError);
    expect(() => parseLocalArgs(args)).toThrow(message);
  });

  it('says in its help that it listens on loopback only, without authentication', () => {
    expect(LOCAL_USAGE).toMatch(/loopback only and has no authentication/);
  });
});

describe('cloudwatch-shipper local — the server', () => {
  it('serves the real SDK on the URL it prints, and ends by SIGTERM', async () => {
    // Prepare
    const server = startLocal('--port', '0', '--seed', '7');
    const url = await server.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = clientFor(url);
    const now = Date.now();
    // Act
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    const put = await client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: STREAM,
        logEvents: [
          { timestamp: now - 1, message: 'from boto3, say' },
          { timestamp: now, message: 'or the AWS CLI' },
        ],
      }),
    );
    const got = await client.send(
      new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, startFromHead: true }),
    );
    server.child.kill('SIGTERM');
    const result = await server.ended;
    // Assess
    expect(put.rejectedLogEventsInfo).toBeUndefined();
    expect(got.events?.map((event) => [event.timestamp, event.message])).toEqual([
      [now - 1, 'from boto3, say'],
      [now, 'or the AWS CLI'],
    ]);
    // Ended by the signal, as a shell expects (143), and it printed nothing but its URL.
    expect(result).toMatchObject({ code: null, signal: 'SIGTERM', stdout: `${url}\n` });
    expect(result.stderr).toMatch(/^cloudwatch-shipper local: .*loopback only, without authentication/);
    expect(await listening(url)).toBe(false);
  });

  it('ends by SIGINT too', async () => {
    // Prepare
    const server = startLocal('--port', '0');
    const url = await server.url;
    expect(await listening(url)).toBe(true);
    // Act
    server.child.kill('SIGINT');
    // Assess
    expect(await server.ended).toMatchObject({ code: null, signal: 'SIGINT' });
  });

  it('injects the faults given with --fault', async () => {
    // Prepare
    const server = startLocal('--port', '0', '--fault', 'throttleRate=1');
    const client = clientFor(await server.url);
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await client.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    // Act
    const put = client.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: STREAM,
        logEvents: [{ timestamp: Date.now(), message: 'throttled' }],
      }),
    );
    // Assess
    await expect(put).rejects.toBeInstanceOf(ThrottlingException);
    server.child.kill('SIGTERM');
    expect(await server.ended).toMatchObject({ signal: 'SIGTERM' });
  });

  it.each([
    [
      ['--fault', 'bogus=1'],
      /^cloudwatch-shipper: --fault bogus: Expected `faults\.bogus` to be one of throttleRate, /,
    ],
    [
      ['--fault', 'throttleRate=lots'],
      /--fault throttleRate: Expected `faults\.throttleRate` to be a number from 0 to 1/,
    ],
    [['--fault', 'latencyMs=-5'], /--fault latencyMs: Expected `faults\.latencyMs` to be a number from 0/],
    [['--host', '10.1.2.3'], /--host must be a loopback address/],
  ])('exits 2 with the problem and the usage on %j, listening on nothing', async (args, message) => {
    // Act
    const result = await run({ args: [cli, 'local', '--port', '0', ...args] });
    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: cloudwatch-shipper local/);
  });

  it('exits 1 and says so when its port is in use', async () => {
    // Prepare
    const taken = await startLocalCloudWatchLogs();
    try {
      const { port } = new URL(taken.endpoint);
      // Act
      const result = await run({ args: [cli, 'local', '--port', port] });
      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `cloudwatch-shipper: cannot listen on 127.0.0.1 port ${port}: it is in use ` +
          '(choose another with --port, or --port 0 for a free one)\n',
      );
    } finally {
      await taken.close();
    }
  });

  it('prints its help and exits 0', async () => {
    const result = await run({ args: [cli, 'local', '--help'] });
    expect(result).toMatchObject({ code: 0, stdout: LOCAL_USAGE, stderr: '' });
  });
});
