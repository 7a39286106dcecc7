import { once } from 'node:events';
import { createRequire } from 'node:module';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import { ConfigError, DeliveryError } from '../src/errors.js';
import { LogShipper } from '../src/shipper.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { CloudWatchTransport, type CloudWatchTransportOptions } from '../src/winston.js';
import { endpointEnv, runModule } from './support/child.js';
import { registerMochaSuite } from './support/mocha.js';
import { captureWarnings } from './support/warnings.js';

const GROUP = '/test/winston';
const STREAM = 'app-1';
const { format } = winston;

let cwl: LocalCloudWatchLogs;
const cleanup: (() => unknown)[] = [];

beforeEach(async () => {
  cwl = await startLocalCloudWatchLogs();
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await cwl.close();
});

function makeTransport(options: Partial<CloudWatchTransportOptions> = {}): CloudWatchTransport {
  const transport = new CloudWatchTransport({
    logGroupName: GROUP,
    logStreamName: STREAM,
    clientConfig: cwl.clientConfig(),
    createLogGroup: true,
    exitFlushTimeoutMs: 0,
    ...options,
  } as CloudWatchTransportOptions);
  cleanup.push(() => transport.close());
  return transport;
}

function makeLogger(options: winston.LoggerOptions): winston.Logger {
  const logger = winston.createLogger(options);
  cleanup.push(() => logger.close());
  return logger;
}

function messages(): string[] {
  return cwl.events(GROUP, STREAM).map((e) => e.message);
}

describe('CloudWatchTransport — what is sent', () => {
  it("sends the line winston's json format wrote, timestamped with the record's timestamp", async () => {
    // Prepare
    const transport = makeTransport();
    const logger = makeLogger({
      format: format.combine(format.timestamp(), format.json()),
      transports: [transport],
    });
    // Act
    logger.info('user signed in', { user: 'ada', roles: ['admin'], session: { id: 7 } });
    await transport.close();
    // Assess
    const [event, ...rest] = cwl.events(GROUP, STREAM);
    expect(rest).toEqual([]);
    const line = JSON.parse(event?.message ?? '{}');
    expect(line).toEqual({
      level: 'info',
      message: 'user signed in',
      user: 'ada',
      roles: ['admin'],
      session: { id: 7 },
      timestamp: expect.any(String),
    });
    expect(event?.timestamp).toBe(Date.parse(line.timestamp));
  });

  it('sends the output of a printf format, set on the transport', async () => {
    const transport = makeTransport({
      format: format.printf(
        (info) => `${info.level.toUpperCase()} ${String(info.message)} #${String(info.n)}`,
      ),
    });
    const logger = makeLogger({ transports: [transport] });
    logger.warn('disk low', { n: 3 });
    logger.error('disk full', { n: 4 });
    await transport.close();
    expect(messages()).toEqual(['WARN disk low #3', 'ERROR disk full #4']);
  });

  it("sends errors with their stack when the logger's format asks for it", async () => {
    const transport = makeTransport();
    const logger = makeLogger({
      format: format.combine(format.errors({ stack: true }), format.json()),
      defaultMeta: { service: 'billing' },
      transports: [transport],
    });
    logger.child({ requestId: 'r-1' }).error(new Error('card declined'));
    await transport.close();
    const line = JSON.parse(messages()[0] ?? '{}');
    expect(line).toMatchObject({
      level: 'error',
      message: 'card declined',
      service: 'billing',
      requestId: 'r-1',
    });
    expect(line.stack).toMatch(/^Error: card declined\n\s+at /);
  });

  it('takes the time from `timestamp` when it is an epoch number or a date string, else now', async () => {
    const transport = makeTransport();
    const logger = makeLogger({ transports: [transport] });
    const earlier = Date.now() - 60_000;
    const before = Date.now();
    logger.info('epoch', { timestamp: earlier });
    logger.info('iso', { timestamp: new Date(earlier + 1).toISOString() });
    logger.info('garbage', { timestamp: 'not a date' });
    logger.info('none');
    await transport.close();
    const after = Date.now();
    const byMessage = new Map(
      cwl.events(GROUP, STREAM).map((e) => [JSON.parse(e.message).message, e.timestamp]),
    );
    expect(byMessage.get('epoch')).toBe(earlier);
    expect(byMessage.get('iso')).toBe(earlier + 1);
    for (const name of ['garbage', 'none']) {
      expect(byMessage.get(name)).toBeGreaterThanOrEqual(before);
      expect(byMessage.get(name)).toBeLessThanOrEqual(after);
    }
  });

  it("sends only the levels the transport's level allows, falling back to the logger's", async () => {
    const warnOnly = makeTransport({ level: 'warn' });
    const inherits = makeTransport({ logStreamName: 'app-2' });
    const logger = makeLogger({
      level: 'info',
      format: format.printf((info) => `${info.level}:${String(info.message)}`),
      transports: [warnOnly, inherits],
    });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    await Promise.all([warnOnly.close(), inherits.close()]);
    expect(messages()).toEqual(['warn:w', 'error:e']);
    expect(cwl.events(GROUP, 'app-2').map((e) => e.message)).toEqual(['info:i', 'warn:w', 'error:e']);
  });

  it('sends a record as JSON when no format wrote a line', async () => {
    const transport = makeTransport({ format: format.timestamp() });
    // A logger's own format always writes one; a transport piped by hand may not have one.
    transport.log({ level: 'info', message: 'raw', timestamp: new Date().toISOString() }, () => {});
    await transport.close();
    expect(JSON.parse(messages()[0] ?? '{}')).toMatchObject({ level: 'info', message: 'raw' });
  });
});

describe('CloudWatchTransport — delivery and shutdown', () => {
  it('delivers a burst of 50,000 lines, all of them, once the logger is closed', async () => {
    // Prepare
    const transport = makeTransport();
    const logger = makeLogger({
      format: format.printf((info) => String(info.message)),
      transports: [transport],
    });
    // Act
    for (let i = 0; i < 50_000; i++) logger.info(`line ${i}`);
    logger.close();
    // logger.close() closed the transport, whose shipper now refuses what comes after.
    transport.shipper.log('after close');
    await transport.close();
    // Assess
    // Batches go out concurrently, so they may arrive in any order: compare as sets.
    const got = messages();
    expect(got).toHaveLength(50_000);
    expect(new Set(got)).toEqual(new Set(Array.from({ length: 50_000 }, (_, i) => `line ${i}`)));
    expect(transport.shipper.stats()).toMatchObject({
      logged: 50_001,
      sent: 50_000,
      buffered: 0,
      inFlight: 0,
      dropped: { closed: 1 },
    });
  });

  it("sends what is left before the logger's finish when the logger is ended", async () => {
    cwl.setFaults({ latencyMs: 50 });
    const transport = makeTransport();
    const logger = makeLogger({ transports: [transport] });
    for (let i = 0; i < 100; i++) logger.info(`line ${i}`);
    logger.end();
    await once(logger, 'finish');
    expect(messages()).toHaveLength(100);
  });

  it('flushes on request and keeps working afterwards', async () => {
    const transport = makeTransport();
    const logger = makeLogger({ transports: [transport] });
    logger.info('one');
    expect(await transport.flush()).toEqual({ complete: true, remaining: 0 });
    expect(messages()).toHaveLength(1);
    logger.info('two');
    await transport.flush();
    expect(messages()).toHaveLength(2);
  });

  it('flushes, and leaves open, a shipper it was given', async () => {
    const shipper = new LogShipper({
      logGroupName: GROUP,
      logStreamName: STREAM,
      clientConfig: cwl.clientConfig(),
      createLogGroup: true,
    });
    cleanup.push(() => shipper.close());
    const transport = makeTransport({ shipper } as Partial<CloudWatchTransportOptions>);
    const logger = makeLogger({ transports: [transport] });
    logger.info('through winston');
    logger.close();
    await transport.close();
    shipper.log('directly');
    await shipper.flush();
    expect(messages().map((m) => (m.startsWith('{') ? JSON.parse(m).message : m))).toEqual([
      'through winston',
      'directly',
    ]);
  });

  it('leaves SIGTERM and SIGINT to the program: its exit flush listens to beforeExit only', () => {
    const before = ['SIGTERM', 'SIGINT', 'beforeExit'].map((event) => process.listenerCount(event));
    const transport = makeTransport({ exitFlushTimeoutMs: 1_000 });
    expect(['SIGTERM', 'SIGINT', 'beforeExit'].map((event) => process.listenerCount(event))).toEqual([
      before[0],
      before[1],
      (before[2] ?? 0) + 1,
    ]);
    expect(transport.shipper).toBeDefined();
  });

  it('sends what is buffered when the program ends without closing the logger', async () => {
    // Prepare: a program that logs and simply ends, with the endpoint slow enough that the last
    // batch is still in the buffer when the event loop empties.
    cwl.setFaults({ latencyMs: 100 });
    const source = `
      import winston from 'winston';
      import { CloudWatchTransport } from 'cloudwatch-shipper/winston';
      const transport = new CloudWatchTransport({
        logGroupName: ${JSON.stringify(GROUP)}, logStreamName: ${JSON.stringify(STREAM)},
        createLogGroup: true, clientConfig: { endpoint: process.env.CWL_ENDPOINT },
      });
      const logger = winston.createLogger({ transports: [transport] });
      for (let i = 0; i < 1000; i++) logger.info('line ' + i);
    `;
    // Act
    const child = await runModule(source, { env: endpointEnv(cwl) });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(messages()).toHaveLength(1000);
  });

  it('with flushOnExit, sends what is buffered on SIGTERM, then ends by the signal', async () => {
    // Prepare: a server-like program; the timed flush is off, so only the signal sends.
    const source = `
      import winston from 'winston';
      import { CloudWatchTransport } from 'cloudwatch-shipper/winston';
      const transport = new CloudWatchTransport({
        logGroupName: ${JSON.stringify(GROUP)}, logStreamName: ${JSON.stringify(STREAM)},
        createLogGroup: true, clientConfig: { endpoint: process.env.CWL_ENDPOINT },
        flushIntervalMs: 3600000, flushOnExit: true,
      });
      const logger = winston.createLogger({ transports: [transport] });
      for (let i = 0; i < 1000; i++) logger.info('line ' + i);
      setTimeout(() => console.log('ready'), 50);
      setInterval(() => {}, 1000);
    `;
    // Act
    let sentBeforeSignal = -1;
    const child = await runModule(source, {
      env: endpointEnv(cwl),
      started: (program) =>
        program.stdout?.once('data', () => {
          sentBeforeSignal = cwl.stats().requests.PutLogEvents ?? 0;
          program.kill('SIGTERM');
        }),
    });
    // Assess
    expect(sentBeforeSignal).toBe(0);
    expect(child.signal).toBe('SIGTERM');
    expect(child.stderr).toBe('');
    expect(messages()).toHaveLength(1000);
  });

  it('ends a program that logs on every beforeExit', async () => {
    // Each flush keeps the event loop busy, which brings another beforeExit, where the program
    // logs again: the flushes in a row are capped, so that the program still ends.
    const source = `
      import winston from 'winston';
      import { CloudWatchTransport } from 'cloudwatch-shipper/winston';
      // The program's listener comes first and logs straight to the transport's shipper.
      let round = 0;
      process.on('beforeExit', () => transport.shipper.log('goodbye ' + ++round));
      const transport = new CloudWatchTransport({
        logGroupName: ${JSON.stringify(GROUP)}, logStreamName: ${JSON.stringify(STREAM)},
        createLogGroup: true, clientConfig: { endpoint: process.env.CWL_ENDPOINT },
      });
      const logger = winston.createLogger({ transports: [transport] });
      logger.info('work done');
    `;
    const child = await runModule(source, { env: endpointEnv(cwl), timeoutMs: 20_000 });
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(messages()[0]).toMatch(/work done/);
  });

  it('sends an uncaught exception it handles before winston exits the process', async () => {
    // Prepare: a flush interval longer than the 3 s winston waits before it exits.
    const source = `
      import winston from 'winston';
      import { CloudWatchTransport } from 'cloudwatch-shipper/winston';
      const transport = new CloudWatchTransport({
        logGroupName: ${JSON.stringify(GROUP)}, logStreamName: ${JSON.stringify(STREAM)},
        createLogGroup: true, clientConfig: { endpoint: process.env.CWL_ENDPOINT },
        flushIntervalMs: 60000, handleExceptions: true,
      });
      winston.createLogger({ transports: [transport] });
      setImmediate(() => { throw new Error('crash at startup'); });
    `;
    // Act
    const child = await runModule(source, { env: endpointEnv(cwl) });
    // Assess
    expect(child.code).toBe(1);
    const [event] = cwl.events(GROUP, STREAM);
    expect(JSON.parse(event?.message ?? '{}')).toMatchObject({
      level: 'error',
      exception: true,
      message: expect.stringMatching(/^uncaughtException: crash at startup/),
    });
  });
});

describe('CloudWatchTransport — errors', () => {
  it("emits delivery errors as the transport's and the logger's 'error', and keeps logging", async () => {
    // Prepare: the group does not exist and may not be created, so PutLogEvents is rejected.
    const transport = makeTransport({ createLogGroup: false });
    const logger = makeLogger({
      level: 'info',
      format: format.printf((info) => String(info.message)),
      transports: [transport],
    });
    const transportErrors: unknown[] = [];
    const loggerErrors: unknown[] = [];
    transport.on('error', (error) => transportErrors.push(error));
    logger.on('error', (error) => loggerErrors.push(error));
    // Act
    logger.info('lost');
    await transport.flush();
    const client = new CloudWatchLogsClient(cwl.clientConfig());
    await client.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    client.destroy();
    logger.debug('filtered out by the logger level');
    logger.info('delivered');
    await transport.flush();
    // Assess
    expect(transportErrors).toHaveLength(1);
    expect(transportErrors[0]).toBeInstanceOf(DeliveryError);
    expect((transportErrors[0] as DeliveryError).awsErrorName).toBe('ResourceNotFoundException');
    expect(loggerErrors).toEqual(transportErrors);
    // Besides the line, the stream may hold the shipper's own report of the rejected one.
    expect(messages().filter((m) => !m.startsWith('cloudwatch-shipper: dropped'))).toEqual(['delivered']);
    expect(transport.shipper.stats().dropped.rejected).toBe(1);
  });

  it('turns a delivery error into a process warning when nothing listens, instead of throwing', async () => {
    const { warnings, restore } = captureWarnings();
    cleanup.push(restore);
    const transport = makeTransport({ createLogGroup: false });
    const logger = makeLogger({ transports: [transport] });
    logger.info('lost');
    await transport.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.code).toBe('CWS_DELIVERY_REJECTED');
    expect(warnings[0]?.message).toMatch(/ResourceNotFoundException/);
    expect(warnings[0]?.inspected).not.toMatch(/lost/);
  });

  it('refuses bad options in the constructor', () => {
    expect(() => makeTransport({ logGroupName: 'bad name!' })).toThrow(ConfigError);
    expect(() => makeTransport({ exitFlushTimeoutMs: -1 })).toThrow(/exitFlushTimeoutMs/);
    expect(() => new CloudWatchTransport({ shipper: {} as LogShipper })).toThrow(/`shipper`/);
  });

  it('keeps logging when a record cannot be read', async () => {
    const transport = makeTransport();
    const callback = vi.fn();
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
      },
    );
    expect(() => transport.log(hostile, callback)).not.toThrow();
    expect(callback).toHaveBeenCalledOnce();
  });
});

describe('CloudWatchTransport — the winston transport contract', () => {
  it("sends a record logged without a callback, as winston's own transports allow", async () => {
    // Prepare
    const transport = makeTransport();
    // Act: code and test suites call log(info) directly; the callback is optional.
    expect(() =>
      transport.log({ level: 'info', message: 'direct', [Symbol.for('message')]: 'direct' }),
    ).not.toThrow();
    await transport.flush();
    // Assess
    expect(messages()).toEqual(['direct']);
  });

  it('calls back once per record when given a callback', async () => {
    const transport = makeTransport();
    const callback = vi.fn();
    transport.log({ level: 'info', message: 'a', [Symbol.for('message')]: 'a' }, callback);
    expect(callback).toHaveBeenCalledTimes(1);
    await transport.flush();
    expect(messages()).toEqual(['a']);
  });
});

// winston's own conformance suite for transports (mocha-based), run as it is against this one.
const made: CloudWatchTransport[] = [];
class TrackedTransport extends CloudWatchTransport {
  constructor(options: CloudWatchTransportOptions) {
    super(options);
    made.push(this);
  }
}
registerMochaSuite(() => {
  createRequire(import.meta.url)('abstract-winston-transport')({
    name: 'CloudWatchTransport',
    Transport: TrackedTransport,
    construct: () => ({
      logGroupName: GROUP,
      logStreamName: STREAM,
      clientConfig: cwl.clientConfig(),
      exitFlushTimeoutMs: 0,
    }),
    // The suite never closes what it makes; close each before the endpoint goes.
    afterEach: (_options: unknown, done: (error?: unknown) => void) => {
      Promise.all(made.splice(0).map((transport) => transport.close())).then(() => done(), done);
    },
  });
});
