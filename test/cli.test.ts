import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCliArgs, USAGE } from '../src/cli-options.js';
import { UsageError } from '../src/errors.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run } from './support/child.js';

// The command as built (npm test builds before it tests): dist/cli.js.
const cli = resolve(root, 'dist/cli.js');
const GROUP = '/test/cli';
const STREAM = 'pipe-1';

function lines(count: number, prefix = 'line'): string {
  let text = '';
  for (let i = 0; i < count; i++) text += `${prefix} ${i}\n`;
  return text;
}

/** Sends `signal` to the command once `condition` (on the endpoint's counters) holds. */
function signalOnce(command: ChildProcess, condition: () => boolean, signal: NodeJS.Signals): void {
  void vi
    .waitFor(() => expect(condition()).toBe(true), { timeout: 10_000, interval: 10 })
    .then(() => command.kill(signal));
}

describe('cloudwatch-shipper — the command line', () => {
  it('reads every flag', () => {
    expect(
      parseCliArgs([
        '--log-group-name',
        '/g',
        '--log-stream-name=s',
        '--region',
        'eu-west-1',
        '--endpoint',
        'http://127.0.0.1:4566',
        '--create-log-group',
        '--retention-in-days',
        '14',
        '--json',
        '--close-timeout-ms',
        '250',
      ]),
    ).toEqual({
      shipper: {
        logGroupName: '/g',
        logStreamName: 's',
        clientConfig: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566' },
        createLogGroup: true,
        flushOnExit: true,
        exitTimeoutMs: 250,
        retentionInDays: 14,
      },
      json: true,
      closeTimeoutMs: 250,
    });
  });

  it('has defaults for everything but the group and the stream', () => {
    expect(parseCliArgs(['--log-group-name', '/g', '--log-stream-name', 's'])).toEqual({
      shipper: {
        logGroupName: '/g',
        logStreamName: 's',
        clientConfig: {},
        createLogGroup: true,
        flushOnExit: true,
        exitTimeoutMs: 5000,
      },
      json: false,
      closeTimeoutMs: 5000,
    });
    expect(parseCliArgs(['-h'])).toBe('help');
    expect(parseCliArgs(['--version'])).toBe('version');
  });

  it.each([
    [[], true],
    [['--create-log-group'], true],
    [['--no-create-log-group'], false],
    [['--create-log-group', '--no-create-log-group'], false],
    [['--no-create-log-group', '--create-log-group'], true],
  ])('passes createLogGroup explicitly: %j gives %s', (flags, createLogGroup) => {
    // Act
    const options = parseCliArgs(['--log-group-name', '/g', '--log-stream-name', 's', ...flags]);
    // Assess: given even when it is the default, so the command does not follow the library's.
    expect(options).toMatchObject({ shipper: { createLogGroup } });
    expect(Object.hasOwn((options as { shipper: object }).shipper, 'createLogGroup')).toBe(true);
  });

  it('says in its help that creating the group is the default, and how to turn it off', () => {
    expect(USAGE).toMatch(/--create-log-group\s+Create the log group if it is missing \(the default\)/);
    expect(USAGE).toMatch(/--no-create-log-group\s+Do not create it/);
    expect(USAGE).toMatch(/--version/);
  });

  it.each([
    [['--log-stream-name', 's'], /--log-group-name is required/],
    [['--log-group-name', '/g'], /--log-stream-name is required/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--bogus'], /Unknown option '--bogus'/],
    [['--log-group-name', '/g', '--log-stream-name', 's', 'extra'], /positional/],
    [['--log-group-name', '/g', '--log-stream-name'], /argument missing/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--json=yes'], /does not take an argument/],
    [['--log-group-name', '', '--log-stream-name', 's'], /--log-group-name must not be empty/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--retention-in-days', '2'], /one of 1, 3, 5/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--retention-in-days', '7d'], /whole number/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--endpoint', 'localhost:1'], /http or https URL/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--close-timeout-ms=-1'], /whole number/],
    [['--log-group-name', '/g', '--log-stream-name', 's', '--close-timeout-ms=3600001'], /at most 3600000/],
  ])('refuses %j', (args, message) => {
    expect(() => parseCliArgs(args)).toThrow(UsageError);
    expect(() => parseCliArgs(args)).toThrow(message);
  });
});

describe('cloudwatch-shipper — the command in a pipe', () => {
  let cwl: LocalCloudWatchLogs;

  beforeEach(async () => {
    cwl = await startLocalCloudWatchLogs();
  });

  afterEach(async () => {
    await cwl.close();
  });

  const args = (...more: string[]) => [
    cli,
    '--log-group-name',
    GROUP,
    '--log-stream-name',
    STREAM,
    '--endpoint',
    cwl.endpoint,
    '--create-log-group',
    ...more,
  ];
  const messages = () => cwl.events(GROUP, STREAM).map((e) => e.message);

  it('ships 100,000 lines, every one of them, and exits 0 at the end of input', async () => {
    // Act
    const child = await run({ args: args(), env: endpointEnv(cwl), input: lines(100_000) });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    // Batches go out concurrently, so they may arrive in any order: compare as sets.
    const got = messages();
    expect(got).toHaveLength(100_000);
    expect(new Set(got)).toEqual(new Set(lines(100_000).trimEnd().split('\n')));
  });

  it('slows a fast producer down instead of dropping lines when the endpoint is slow', async () => {
    // Prepare: more lines than the buffer holds (100,000 events), faster than the endpoint takes them.
    cwl.setFaults({ latencyMs: 150 });
    // Act
    const child = await run({ args: args(), env: endpointEnv(cwl), input: lines(250_000, 'l') });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const got = messages();
    expect(got).toHaveLength(250_000);
    expect(new Set(got)).toEqual(new Set(lines(250_000, 'l').trimEnd().split('\n')));
  });

  it('drops none of a flood of one-character lines, though a 64 KiB chunk holds 32,768 of them', async () => {
    // Prepare: the buffer (100,000 events, high-water mark 80,000) is refilled while requests are
    // out; a whole chunk on top of the mark would pass the bound, so reading waits line by line.
    cwl.setFaults({ latencyMs: 100 });
    // Act
    const child = await run({ args: args(), env: endpointEnv(cwl), input: 'a\n'.repeat(400_000) });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(messages()).toHaveLength(400_000);
  });

  it('waits out an endpoint that is down while its buffer is full, instead of ending as if the input were done', async () => {
    // Prepare: down for 2 s; 300,000 lines fill the buffer past its high-water mark meanwhile, and
    // nothing else holds the program open while it waits for room.
    cwl.setFaults({ downForMs: 2_000 });
    // Act: a short --close-timeout-ms, so that an end of the program would come before the endpoint.
    const child = await run({
      args: args('--close-timeout-ms', '500'),
      env: endpointEnv(cwl),
      input: lines(300_000),
      timeoutMs: 60_000,
    });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(messages()).toHaveLength(300_000);
  });

  it('takes the time of JSON lines from "time" or "timestamp" with --json, and stamps the rest now', async () => {
    // Prepare
    const t = Date.now() - 60_000;
    const input = [
      JSON.stringify({ time: t, msg: 'epoch' }),
      JSON.stringify({ timestamp: new Date(t + 1).toISOString(), msg: 'iso' }),
      JSON.stringify({ time: 'yesterday-ish', msg: 'unreadable' }),
      '{ not json',
      'plain',
      '',
      'crlf\r',
      'no newline at the end',
    ].join('\n');
    const before = Date.now();
    // Act
    const child = await run({ args: args('--json'), env: endpointEnv(cwl), input });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const events = cwl.events(GROUP, STREAM);
    expect(events.map((e) => e.message).sort()).toEqual(
      [
        JSON.stringify({ time: t, msg: 'epoch' }),
        JSON.stringify({ timestamp: new Date(t + 1).toISOString(), msg: 'iso' }),
        JSON.stringify({ time: 'yesterday-ish', msg: 'unreadable' }),
        '{ not json',
        'plain',
        'crlf',
        'no newline at the end',
      ].sort(),
    );
    const timeOf = (fragment: string) => events.find((e) => e.message.includes(fragment))?.timestamp;
    expect(timeOf('epoch')).toBe(t);
    expect(timeOf('"iso"')).toBe(t + 1);
    for (const fragment of ['unreadable', 'not json', 'plain', 'crlf']) {
      expect(timeOf(fragment)).toBeGreaterThanOrEqual(before);
    }
  });

  it('prints the usage and exits 2 on a bad flag, sending nothing', async () => {
    const child = await run({ args: [cli, '--log-group-name', GROUP, '--nope'], env: endpointEnv(cwl) });
    expect(child.code).toBe(2);
    expect(child.stdout).toBe('');
    expect(child.stderr).toMatch(/^cloudwatch-shipper: Unknown option '--nope'/);
    expect(child.stderr).toMatch(/Usage: cloudwatch-shipper --log-group-name <name>/);
    expect(cwl.stats().requests).toEqual({});
  });

  it('exits 2 on a name CloudWatch Logs would refuse', async () => {
    const child = await run({
      args: [cli, '--log-group-name', 'bad name!', '--log-stream-name', 's'],
      env: endpointEnv(cwl),
    });
    expect(child.code).toBe(2);
    expect(child.stderr).toMatch(/logGroupName/);
  });

  it('creates a missing group without being asked, the default', async () => {
    // Act
    const child = await run({
      args: [cli, '--log-group-name', GROUP, '--log-stream-name', STREAM, '--endpoint', cwl.endpoint],
      env: endpointEnv(cwl),
      input: lines(10),
    });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(cwl.stats().requests.CreateLogGroup).toBe(1);
    expect(messages()).toHaveLength(10);
  });

  it('reports the lines it could not send and exits 1', async () => {
    // Prepare: with --no-create-log-group, a missing group is an error.
    const input = lines(10);
    // Act
    const child = await run({
      args: [
        cli,
        '--log-group-name',
        GROUP,
        '--log-stream-name',
        STREAM,
        '--endpoint',
        cwl.endpoint,
        '--no-create-log-group',
      ],
      env: endpointEnv(cwl),
      input,
    });
    // Assess
    expect(child.code).toBe(1);
    expect(child.stderr).toMatch(/ResourceNotFoundException/);
    expect(child.stderr).toMatch(/10 of 10 lines were not sent \(rejected: 10\)/);
    expect(child.stderr).not.toMatch(/line 3/);
    expect(cwl.stats().requests.CreateLogGroup).toBeUndefined();
  });

  describe('a line longer than 4 Mi characters', () => {
    const MAX_LINE_LENGTH = 4 * 1024 * 1024;
    // The high half of 😀 is the last unit the line may keep: a cut there would split the pair.
    const long = `${'x'.repeat(MAX_LINE_LENGTH - 1)}😀${'y'.repeat(100_000)}`;
    const input = `first\n${long}\nlast\n`;

    it('counts it as one line in the report of what was not sent', async () => {
      // Act: the group is missing and may not be created, so every line is reported.
      const child = await run({
        args: [
          cli,
          '--log-group-name',
          GROUP,
          '--log-stream-name',
          STREAM,
          '--endpoint',
          cwl.endpoint,
          '--no-create-log-group',
        ],
        env: endpointEnv(cwl),
        input,
      });
      // Assess
      expect(child.code).toBe(1);
      expect(child.stderr).toMatch(/: 3 of 3 lines were not sent \(rejected: 3\)/);
    });

    it('sends it as one event, truncated to the limit, with no piece of it after', async () => {
      // Act
      const child = await run({ args: args(), env: endpointEnv(cwl), input });
      // Assess
      expect(child.stderr).toBe('');
      expect(child.code).toBe(0);
      const got = messages();
      expect(got).toHaveLength(3);
      expect(got).toEqual(expect.arrayContaining(['first', 'last']));
      const event = got.find((message) => message.startsWith('x')) as string;
      expect(event).toMatch(/^x+…\[truncated \d+ bytes\]$/);
      // Nothing starts where a cut fell: no lone half of the pair, no U+FFFD, no run of y.
      expect(got.some((message) => /^[\uDC00-\uDFFF\uFFFDy]/.test(message))).toBe(false);
    });
  });

  it('sends what it read and ends by SIGTERM, with the input still open', async () => {
    // Prepare: a slow endpoint, so that a full batch is in flight when the signal comes.
    cwl.setFaults({ latencyMs: 200 });
    // Act
    const child = await run({
      args: args(),
      env: endpointEnv(cwl),
      timeoutMs: 20_000,
      started: (shipperProcess) => {
        shipperProcess.stdin?.write(lines(10_000));
        // The first request shows the batch was read; the signal comes while it is in flight.
        signalOnce(shipperProcess, () => (cwl.stats().requests.PutLogEvents ?? 0) >= 1, 'SIGTERM');
      },
    });
    // Assess
    // flushOnExit raised the signal again: the process ended by it, as it would have without us.
    expect(child.signal).toBe('SIGTERM');
    expect(child.stderr).toBe('');
    expect(messages()).toHaveLength(10_000);
  });

  it('gives up at --close-timeout-ms after SIGINT when the endpoint is down, and says what was lost', async () => {
    cwl.setFaults({ downForMs: 60_000 });
    const started = Date.now();
    const child = await run({
      args: args('--close-timeout-ms', '300'),
      env: endpointEnv(cwl),
      timeoutMs: 20_000,
      started: (shipperProcess) => {
        shipperProcess.stdin?.write(lines(10_000));
        signalOnce(shipperProcess, () => cwl.stats().faults.down >= 1, 'SIGINT');
      },
    });
    expect(child.signal).toBe('SIGINT');
    expect(child.stderr).toMatch(/10000 of 10000 lines were not sent \(.*closed: 10000/);
    // Bounded by the flag, not by the five minutes a batch may be retried.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('still ends by the signal when its standard error was closed', async () => {
    // Prepare: the reader of standard error goes away, so the report of lost lines meets EPIPE.
    cwl.setFaults({ downForMs: 60_000 });
    // Act
    const child = await run({
      args: args('--close-timeout-ms', '300'),
      env: endpointEnv(cwl),
      timeoutMs: 20_000,
      started: (shipperProcess) => {
        shipperProcess.stderr?.destroy();
        shipperProcess.stdin?.write(lines(100));
        signalOnce(shipperProcess, () => cwl.stats().faults.down >= 1, 'SIGTERM');
      },
    });
    // Assess: not an uncaught EPIPE (exit status 1)
    expect(child).toMatchObject({ code: null, signal: 'SIGTERM' });
  });

  it('still honours --close-timeout-ms after SIGTERM once the input has ended', async () => {
    // Prepare: the input ends at once, so the command is in its final flush when the signal comes.
    cwl.setFaults({ downForMs: 60_000 });
    const started = Date.now();
    // Act
    const child = await run({
      args: args('--close-timeout-ms', '300'),
      env: endpointEnv(cwl),
      input: lines(100),
      timeoutMs: 20_000,
      started: (shipperProcess) => {
        signalOnce(shipperProcess, () => cwl.stats().faults.down >= 1, 'SIGTERM');
      },
    });
    // Assess
    expect(child.signal).toBe('SIGTERM');
    expect(child.stderr).toMatch(/100 of 100 lines were not sent \(.*closed: 100/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('cloudwatch-shipper --version', () => {
  const packageVersion = async (): Promise<string> =>
    (JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;

  it('prints the version in package.json and exits 0', async () => {
    // Act
    const child = await run({ args: [cli, '--version'] });
    // Assess
    expect(child).toMatchObject({ code: 0, stdout: `${await packageVersion()}\n`, stderr: '' });
  });

  it('prints it from a bundle of the command, far from any package.json', async () => {
    // Prepare: esbuild (tsup's bundler) bundles dist/cli.js into a directory of its own, the way a
    // program that embeds the command would; nothing there leads back to the package.
    const dir = await mkdtemp(join(tmpdir(), 'cws-cli-bundle-'));
    try {
      const { build } = await import('esbuild');
      await build({
        entryPoints: [cli],
        outfile: join(dir, 'cli.mjs'),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'error',
        // The SDK's CommonJS modules call require(); an ESM bundle needs one made for it.
        banner: {
          js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        },
      });
      // Act
      const child = await run({ args: [join(dir, 'cli.mjs'), '--version'], cwd: dir });
      // Assess
      expect(child).toMatchObject({ code: 0, stdout: `${await packageVersion()}\n`, stderr: '' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
