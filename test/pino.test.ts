import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import {
  type CloudWatchPinoStream,
  cloudWatchTransport,
  type FlushableLogger,
  flushOnSignals,
  type PinoTransportOptions,
} from '../src/pino.js';
import { LogShipper } from '../src/shipper.js';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { type ChildResult, endpointEnv, root, run, runModule } from './support/child.js';

const GROUP = '/test/pino';
const STREAM = 'app-1';

let cwl: LocalCloudWatchLogs;
const cleanup: (() => unknown)[] = [];

beforeEach(async () => {
  cwl = await startLocalCloudWatchLogs();
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await cwl.close();
});

function makeStream(options: Partial<PinoTransportOptions> = {}): CloudWatchPinoStream {
  const stream = cloudWatchTransport({
    logGroupName: GROUP,
    logStreamName: STREAM,
    clientConfig: cwl.clientConfig(),
    createLogGroup: true,
    exitFlushTimeoutMs: 0,
    ...options,
  } as PinoTransportOptions);
  cleanup.push(() => ended(stream));
  return stream;
}

/** Ends the stream and resolves once its close (which closes or flushes the shipper) is done. */
function ended(stream: CloudWatchPinoStream): Promise<void> {
  return new Promise((resolvePromise) => {
    if (stream.destroyed) resolvePromise();
    else stream.once('close', resolvePromise).end();
  });
}

/** A destination that passes what pino writes on to `stream` and keeps a copy of each line. */
function tee(stream: CloudWatchPinoStream): { destination: { write(line: string): void }; lines: string[] } {
  const lines: string[] = [];
  return {
    destination: {
      write(line: string) {
        lines.push(line.replace(/\n$/, ''));
        stream.write(line);
      },
    },
    lines,
  };
}

/**
 * Runs a program that prints a line once it has logged, sends it SIGTERM then, and says how many
 * PutLogEvents requests the endpoint had seen by that moment.
 */
async function signalWhenReady(
  args: string[],
  stream: string,
): Promise<{ child: ChildResult; sentBeforeSignal: number }> {
  let sentBeforeSignal = -1;
  const child = await run({
    args,
    env: { ...endpointEnv(cwl), LOG_GROUP: GROUP, LOG_STREAM: stream },
    timeoutMs: 40_000,
    started: (program) => {
      program.stdout?.once('data', () => {
        sentBeforeSignal = cwl.stats().requests.PutLogEvents ?? 0;
        program.kill('SIGTERM');
      });
    },
  });
  return { child, sentBeforeSignal };
}

function events() {
  return cwl.events(GROUP, STREAM);
}

describe('cloudwatch-shipper/pino — in the main thread', () => {
  it('sends each line exactly as pino wrote it, timestamped with its time', async () => {
    // Prepare
    const stream = makeStream();
    const copy = tee(stream);
    const logger = pino({}, copy.destination);
    // Act
    logger.info({ user: 'ada' }, 'signed in');
    logger.child({ requestId: 'r-1' }).warn('slow');
    logger.error(new Error('failed'));
    await ended(stream);
    // Assess
    expect(copy.lines).toHaveLength(3);
    expect(events().map((e) => e.message)).toEqual(copy.lines);
    for (const event of events()) expect(event.timestamp).toBe(JSON.parse(event.message).time);
    expect(JSON.parse(events()[2]?.message ?? '{}').err.stack).toMatch(/^Error: failed\n/);
  });

  it('reads ISO times and the seconds of unixTime, and stamps now when there is no time', async () => {
    const iso = makeStream({ logStreamName: 'iso' });
    const unix = makeStream({ logStreamName: 'unix' });
    const none = makeStream({ logStreamName: 'none' });
    const before = Date.now();
    pino({ timestamp: pino.stdTimeFunctions.isoTime }, iso).info('iso');
    pino({ timestamp: pino.stdTimeFunctions.unixTime }, unix).info('unix');
    pino({ timestamp: false }, none).info('none');
    await Promise.all([ended(iso), ended(unix), ended(none)]);
    const after = Date.now();
    const [isoEvent] = cwl.events(GROUP, 'iso');
    expect(isoEvent?.timestamp).toBe(Date.parse(JSON.parse(isoEvent?.message ?? '{}').time));
    const [unixEvent] = cwl.events(GROUP, 'unix');
    expect(unixEvent?.timestamp).toBe(JSON.parse(unixEvent?.message ?? '{}').time * 1000);
    const [noneEvent] = cwl.events(GROUP, 'none');
    expect(noneEvent?.timestamp).toBeGreaterThanOrEqual(before);
    expect(noneEvent?.timestamp).toBeLessThanOrEqual(after);
  });

  it('sends a line that is not JSON as it is', async () => {
    const stream = makeStream();
    stream.write('plain text\n');
    stream.write('\n');
    stream.write('42\n');
    await ended(stream);
    expect(events().map((e) => e.message)).toEqual(['plain text', '42']);
  });

  it('calls back from logger.flush() once the lines are delivered', async () => {
    // Prepare: a slow endpoint, so that nothing could have arrived without waiting for it.
    cwl.setFaults({ latencyMs: 100 });
    const stream = makeStream();
    const logger = pino(stream);
    for (let i = 0; i < 500; i++) logger.info(`line ${i}`);
    // Act
    await new Promise<void>((resolvePromise, reject) =>
      logger.flush((error) => (error ? reject(error) : resolvePromise())),
    );
    // Assess
    expect(events()).toHaveLength(500);
  });

  it('flushes, and leaves open, a shipper it was given', async () => {
    const shipper = new LogShipper({
      logGroupName: GROUP,
      logStreamName: STREAM,
      clientConfig: cwl.clientConfig(),
      createLogGroup: true,
    });
    cleanup.push(() => shipper.close());
    const stream = makeStream({ shipper } as Partial<PinoTransportOptions>);
    pino(stream).info('through pino');
    await ended(stream);
    shipper.log('directly');
    await shipper.flush();
    expect(events().map((e) => e.message)).toEqual([
      expect.stringContaining('"msg":"through pino"'),
      'directly',
    ]);
  });

  it('refuses bad options', () => {
    expect(() => cloudWatchTransport({ logGroupName: '', logStreamName: 's' })).toThrow(/logGroupName/);
    expect(() => cloudWatchTransport({ shipper: 'x' as unknown as LogShipper })).toThrow(/`shipper`/);
    expect(() => makeStream({ exitFlushTimeoutMs: 1.5 })).toThrow(/exitFlushTimeoutMs/);
    expect(() => flushOnSignals({} as FlushableLogger)).toThrow(ConfigError);
    expect(() => flushOnSignals(pino(), { timeoutMs: -1 })).toThrow(/`timeoutMs`/);
  });
});

describe('cloudwatch-shipper/pino — a signal in the main thread', () => {
  const fixture = resolve(root, 'test/fixtures/pino-signal.mjs');

  it.each([
    ['default', 5000],
    ['true', 5000],
    ['false', 0],
  ])(
    'with flushOnExit %s, SIGTERM sends %i buffered lines before the process ends by it',
    async (flag, expected) => {
      // Act: the signal comes once the program has logged and nothing has been sent yet.
      const { child, sentBeforeSignal } = await signalWhenReady([fixture, flag, '5000'], flag);
      // Assess
      expect(sentBeforeSignal).toBe(0);
      expect(child.signal).toBe('SIGTERM');
      expect(child.stderr).toBe('');
      const got = cwl.events(GROUP, flag);
      expect(got).toHaveLength(expected);
      expect(new Set(got.map((e) => JSON.parse(e.message).i)).size).toBe(expected);
    },
  );
});

describe('cloudwatch-shipper/pino — as pino.transport in a worker thread', () => {
  const fixture = resolve(root, 'test/fixtures/pino-exit.mjs');
  const runFixture = (mode: string, stream: string) =>
    run({
      args: [fixture, mode, '20000'],
      env: { ...endpointEnv(cwl), LOG_GROUP: GROUP, LOG_STREAM: stream },
      timeoutMs: 40_000,
    });

  it.each([
    ['end', 'the program ends by itself'],
    ['flush-exit', 'the program calls process.exit() from the logger.flush() callback'],
    ['exit', 'the program calls process.exit() right after logging'],
  ])('delivers all 20,000 lines when %s: %s', async (mode) => {
    // Act
    const child = await runFixture(mode, mode);
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const got = cwl.events(GROUP, mode);
    expect(got).toHaveLength(20_000);
    expect(new Set(got.map((e) => JSON.parse(e.message).i)).size).toBe(20_000);
  });

  it('delivers what was logged before SIGTERM with flushOnSignals, then ends by the signal', async () => {
    // Act: 2,000 lines fill no batch, and the timed flush is off, so nothing leaves before the signal.
    const { child, sentBeforeSignal } = await signalWhenReady([fixture, 'signal', '2000'], 'signal');
    // Assess
    expect(sentBeforeSignal).toBe(0);
    expect(child.signal).toBe('SIGTERM');
    expect(child.stderr).toBe('');
    const got = cwl.events(GROUP, 'signal');
    expect(new Set(got.map((e) => JSON.parse(e.message).i)).size).toBe(2000);
  });

  it('ends by SIGTERM at flushOnSignals timeoutMs when the endpoint is down', async () => {
    cwl.setFaults({ downForMs: 60_000 });
    const started = Date.now();
    const child = await run({
      args: [fixture, 'signal', '2000', '300'],
      env: { ...endpointEnv(cwl), LOG_GROUP: GROUP, LOG_STREAM: 'down' },
      timeoutMs: 40_000,
      started: (program) => program.stdout?.once('data', () => program.kill('SIGTERM')),
    });
    expect(child.signal).toBe('SIGTERM');
    // Bounded by timeoutMs, not by the minutes a batch may be retried.
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

// pino's documented transport contract (pino/docs/transports.md, "v7+ Transports" and "Writing a
// Transport"), clause by clause.
describe("cloudwatch-shipper/pino — pino's transport contract", () => {
  it.each([
    ['ES module', 'dist/pino.js'],
    ['CommonJS', 'dist/pino.cjs'],
  ])(
    'is a module whose default export pino.transport loads and runs in a worker: the %s build',
    async (_kind, file) => {
      // Prepare: pino's own loader takes the built file by its path, as it takes any target.
      const program = `
      import pino from 'pino';
      const logger = pino(pino.transport({
        target: ${JSON.stringify(resolve(root, file))},
        options: { logGroupName: ${JSON.stringify(GROUP)}, logStreamName: ${JSON.stringify(file)}, clientConfig: { endpoint: process.env.CWL_ENDPOINT } },
      }));
      logger.info({ n: 1 }, 'loaded');`;
      // Act: the program ends by itself; pino ends the transport and waits for its close.
      const child = await runModule(program, { env: endpointEnv(cwl) });
      // Assess
      expect(child.stderr).toBe('');
      expect(child.code).toBe(0);
      expect(cwl.events(GROUP, file).map((e) => JSON.parse(e.message))).toEqual([
        expect.objectContaining({ level: 30, msg: 'loaded', n: 1 }),
      ]);
    },
  );

  it('runs in a worker for a logger with custom levels, whose options pino gives levels and dedupe', async () => {
    // Prepare: one target and customLevels: pino adds `levels` and `dedupe` to the target's options.
    const program = `
      import pino from 'pino';
      const logger = pino({
        customLevels: { audit: 35 },
        transport: {
          target: ${JSON.stringify(resolve(root, 'dist/pino.js'))},
          options: { logGroupName: ${JSON.stringify(GROUP)}, logStreamName: 'custom-levels', clientConfig: { endpoint: process.env.CWL_ENDPOINT } },
        },
      });
      logger.audit('audited');`;
    // Act
    const child = await runModule(program, { env: endpointEnv(cwl) });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(cwl.events(GROUP, 'custom-levels').map((e) => JSON.parse(e.message))).toEqual([
      expect.objectContaining({ level: 35, msg: 'audited' }),
    ]);
  });

  it('returns a writable stream from options that crossed a structured clone, with the field pino adds', async () => {
    // Prepare: what the worker receives; pino adds pinoWillSendConfig to every target's options.
    const options = structuredClone({
      logGroupName: GROUP,
      logStreamName: STREAM,
      clientConfig: cwl.clientConfig(),
      exitFlushTimeoutMs: 0,
      pinoWillSendConfig: true,
    });
    // Act
    const stream = cloudWatchTransport(options);
    cleanup.push(() => ended(stream));
    // Assess
    expect(stream).toBeInstanceOf(Writable);
    expect(stream.writable).toBe(true);
    stream.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'cloned' })}\n`);
    await stream.flush();
    expect(events().map((e) => JSON.parse(e.message).msg)).toEqual(['cloned']);
  });

  it('has every line stored once its close has run: ending the stream sends what it holds', async () => {
    // Prepare: a long interval, so that nothing leaves before the end but by the close.
    const stream = makeStream({ flushIntervalMs: 60_000 });
    const time = Date.now();
    for (let i = 0; i < 500; i++) stream.write(`${JSON.stringify({ level: 30, time, i })}\n`);
    expect(cwl.stats().requests.PutLogEvents ?? 0).toBe(0);
    // Act
    await ended(stream);
    // Assess
    expect(events().map((e) => JSON.parse(e.message).i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
