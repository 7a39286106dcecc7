import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run, runModule } from './support/child.js';

// The AWS SDK is loaded when a pipeline on the thread first needs it, not when the package is
// imported (src/sdk.ts): in worker mode the program's thread never loads it. Each case runs the
// built package (npm test builds first) in a fresh process, where nothing has loaded the SDK yet.

const blocker = resolve(root, 'test/fixtures/block-sdk.mjs');
let cwl: LocalCloudWatchLogs;

beforeAll(async () => {
  cwl = await startLocalCloudWatchLogs();
});

afterAll(async () => {
  await cwl?.close();
});

/** A shipper to the local endpoint, in `thread` mode, writing to stream `stream`. */
const shipperSource = (thread: 'main' | 'worker', stream: string) => `
  new LogShipper({
    logGroupName: 'sdk-loading', logStreamName: ${JSON.stringify(stream)}, thread: ${JSON.stringify(thread)},
    clientConfig: { endpoint: process.env.CWL_ENDPOINT, region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
  })`;

const messages = (stream: string) => cwl.events('sdk-loading', stream).map((e) => e.message);

/** Runs `body` (after the package's import) as an ES module in a child whose every import of the SDK throws. */
const runBlocked = (body: string) =>
  runModule(`import { LogShipper } from 'cloudwatch-shipper';\n${body}`, {
    imports: [blocker],
    env: endpointEnv(cwl),
  });

describe('loading the AWS SDK', () => {
  it("ships in worker mode while any import of the SDK on the program's thread fails", async () => {
    // Prepare: every import of @aws-sdk/* or @smithy/* on this process's threads throws; the
    // worker's code carries its own SDK, so it resolves none.
    const child = await runBlocked(
      `const shipper = ${shipperSource('worker', 'worker-blocked')};
         shipper.on('error', (error) => console.log('error', error.message));
         for (let i = 0; i < 100; i++) shipper.log('event ' + i);
         const result = await shipper.close();
         console.log(JSON.stringify({ result, sent: shipper.stats().sent }));`,
    );
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ result: { complete: true, dropped: 0 }, sent: 100 });
    expect(messages('worker-blocked')).toHaveLength(100);
  });

  it('reports a main-thread shipper that cannot load the SDK as an error, and drops what it held', async () => {
    // Prepare: the same blocker; the package itself still imports.
    const child = await runBlocked(
      `const shipper = ${shipperSource('main', 'main-blocked')};
         const errors = [];
         const warnings = [];
         process.on('warning', (warning) => warnings.push(warning.code + ' ' + warning.message));
         shipper.on('error', (error) => errors.push(error.message));
         for (let i = 0; i < 10; i++) shipper.log('event ' + i);
         const ready = await shipper.ready();
         const result = await shipper.close({ timeoutMs: 5000 });
         const { sent, dropped } = shipper.stats();
         await new Promise((resolve) => setImmediate(resolve));
         console.log(JSON.stringify({ ready, result, sent, lost: Object.values(dropped).reduce((a, b) => a + b, 0), errors, warnings }));`,
    );
    // Assess: nothing thrown at the program, nothing unhandled; the events are counted lost, and why is said.
    expect(child.code).toBe(0);
    expect(child.stderr).not.toMatch(/Unhandled|unhandled/);
    const out = JSON.parse(child.stdout);
    expect(out.sent).toBe(0);
    expect(out.lost).toBe(10);
    expect(out.result.complete).toBe(true);
    expect(out.ready).toBe(false);
    expect(out.warnings.join('\n')).toMatch(
      /^CWS_SDK_UNAVAILABLE cloudwatch-shipper: the shipper cannot send: The AWS SDK/m,
    );
    expect(out.errors.join('\n')).toMatch(
      /The AWS SDK \(@aws-sdk\/client-cloudwatch-logs\) could not be loaded \(Error\); no request was sent/,
    );
  });

  it('loads it in CommonJS only once a main-thread shipper sends, and delivers its first flush', async () => {
    const child = await run({
      args: [
        '-e',
        `const { LogShipper } = require('cloudwatch-shipper');
         const loaded = () => Object.keys(require.cache).filter((path) => path.includes('/@aws-sdk/')).length;
         (async () => {
           const worker = ${shipperSource('worker', 'cjs-worker')};
           for (let i = 0; i < 10; i++) worker.log('worker ' + i);
           await worker.close();
           const afterWorker = loaded();
           const main = ${shipperSource('main', 'cjs-main')};
           for (let i = 0; i < 10; i++) main.log('main ' + i);
           // At once: the SDK is still loading when the flush begins.
           const flushed = await main.flush();
           console.log(JSON.stringify({ afterWorker, afterMain: loaded(), flushed, sent: main.stats().sent }));
           await main.close();
         })();`,
      ],
      env: endpointEnv(cwl),
    });
    expect(child.stderr).toBe('');
    const out = JSON.parse(child.stdout);
    expect(out.afterWorker).toBe(0);
    expect(out.afterMain).toBeGreaterThan(0);
    expect(out.flushed).toEqual({ complete: true, remaining: 0 });
    expect(out.sent).toBe(10);
    expect(messages('cjs-worker')).toHaveLength(10);
    expect(messages('cjs-main')).toHaveLength(10);
  });

  it('delivers an ES module main-thread shipper flushed right after it was made', async () => {
    const child = await runModule(
      `import { LogShipper } from 'cloudwatch-shipper';
       const shipper = ${shipperSource('main', 'esm-main')};
       for (let i = 0; i < 10; i++) shipper.log('event ' + i);
       const flushed = await shipper.flush();
       console.log(JSON.stringify({ flushed, sent: shipper.stats().sent }));
       await shipper.close();`,
      { env: endpointEnv(cwl) },
    );
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ flushed: { complete: true, remaining: 0 }, sent: 10 });
    expect(messages('esm-main')).toHaveLength(10);
  });
});

describe('starting the worker', () => {
  it.each([
    ['by default', []],
    ['where code may not be compiled from strings', ['--disallow-code-generation-from-strings']],
  ])('delivers in worker mode %s', async (_, flags) => {
    const stream = `start-${flags.length}`;
    const child = await run({
      args: [
        ...flags,
        '--input-type=module',
        '-e',
        `import { LogShipper } from 'cloudwatch-shipper';
         const shipper = ${shipperSource('worker', stream)};
         shipper.on('error', (error) => console.log('error', error.message));
         for (let i = 0; i < 10; i++) shipper.log('event ' + i);
         console.log(JSON.stringify(await shipper.close()));`,
      ],
      env: endpointEnv(cwl),
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ complete: true, dropped: 0 });
    expect(messages(stream)).toHaveLength(10);
  });
});
