// What each ending of a process delivers in worker mode: a child logs 10,000 events and ends at once
// by process.exit(), an uncaught exception, an unhandled rejection or the end of its event loop; at
// the process's 'exit', its main thread waits (bounded by exitTimeoutMs) while the worker sends.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';

const dist = resolve(import.meta.dirname, '../dist/index.js');
const EVENTS = 10_000;

let cwl: LocalCloudWatchLogs | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await cwl?.close();
  cwl = undefined;
});

const ENDINGS = {
  'process.exit(0)': 'process.exit(0);',
  'an uncaught exception': "throw new Error('boom');",
  'an unhandled rejection': "Promise.reject(new Error('nope'));",
  'the end of the event loop': '',
} as const;

function run(endpoint: string, ending: string, options = ''): ChildProcess {
  const source = `
    import { LogShipper } from ${JSON.stringify(dist)};
    const shipper = new LogShipper({
      logGroupName: '/exit', logStreamName: 's', dropMarkers: false, exitTimeoutMs: 2_000,
      clientConfig: { endpoint: ${JSON.stringify(endpoint)}, region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
      ${options}
    });
    for (let i = 0; i < ${EVENTS}; i++) shipper.log('line ' + i);
    ${ending}
  `;
  child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return child;
}

async function exited(proc: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  proc.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code, stderr };
}

describe('worker mode at the end of the process', () => {
  it.each(Object.entries(ENDINGS))('stores all 10,000 events logged just before %s', async (name, ending) => {
    cwl = await startLocalCloudWatchLogs();
    const { code, stderr } = await exited(run(cwl.endpoint, ending));
    // The process ends with its own exit code: 1 for an uncaught exception or rejection.
    expect(code).toBe(name.startsWith('an ') ? 1 : 0);
    if (name === 'an uncaught exception') expect(stderr).toContain('boom');
    const messages = cwl.events('/exit', 's').map((e) => e.message);
    expect(messages).toHaveLength(EVENTS);
    expect(new Set(messages).size).toBe(EVENTS);
  });

  it('ends within exitTimeoutMs when the endpoint is down, with its own exit code', async () => {
    // A closed port: every request fails at once and is retried until the wait ends.
    const started = Date.now();
    const { code } = await exited(run('http://127.0.0.1:9', ENDINGS['process.exit(0)']));
    expect(code).toBe(0);
    // exitTimeoutMs is 2 s; the bound is loose (start-up and a loaded machine), the gap to the
    // 5 minutes of retries the shipper would otherwise spend is wide.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("does not wait at 'exit' for a worker that has ended by itself, before its end is heard of", async () => {
    // The worker's code throws (a message it cannot read), and the program's thread, blocked, has not
    // yet handled the worker's 'exit' event when it calls process.exit(): without the worker's own
    // word that it is gone, the 'exit' wait would last the whole exitTimeoutMs, here a minute.
    const started = Date.now();
    const { code, stderr } = await exited(
      run(
        'http://127.0.0.1:9',
        `await shipper.ready();
        shipper.workerView.worker.postMessage(null);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_000);
        // After the shipper's own 'exit' listener: what stats() says of the events the worker held.
        process.on('exit', () => {
          const { logged, buffered, inFlight, dropped } = shipper.stats();
          console.error('stats ' + JSON.stringify({ logged, buffered, inFlight, internal: dropped.internal }));
        });
        process.exit(0);`,
        'exitTimeoutMs: 60_000,',
      ),
    );
    expect(code).toBe(0);
    expect(stderr).not.toContain('Error');
    // Lost with the worker, and counted so, though its 'exit' event never reached the program's thread.
    const stats = JSON.parse(/^stats (.*)$/m.exec(stderr)?.[1] ?? 'null');
    expect(stats).toEqual({ logged: EVENTS, buffered: 0, inFlight: 0, internal: EVENTS });
    // Far below the minute the wait would take; loose for start-up and a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 90_000);

  it('leaves the end alone with deliverOnExit: false', async () => {
    cwl = await startLocalCloudWatchLogs();
    const { code } = await exited(run(cwl.endpoint, ENDINGS['process.exit(0)'], 'deliverOnExit: false,'));
    expect(code).toBe(0);
    expect(cwl.events('/exit', 's').length).toBeLessThan(EVENTS);
  });

  it('delivers nothing at process.exit() on the main thread, which is why worker mode exists', async () => {
    cwl = await startLocalCloudWatchLogs();
    const { code } = await exited(run(cwl.endpoint, ENDINGS['process.exit(0)'], "thread: 'main',"));
    expect(code).toBe(0);
    expect(cwl.events('/exit', 's')).toHaveLength(0);
  });
});
