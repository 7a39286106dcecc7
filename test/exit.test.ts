import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';

// flushOnExit, in child processes running the built package against an endpoint in this process.
const dist = resolve(import.meta.dirname, '../dist/index.js');
let cwl: LocalCloudWatchLogs | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cwl?.close();
});

function startChild(endpoint: string, body: string): ChildProcess {
  const source = `
    import { LogShipper } from ${JSON.stringify(dist)};
    const shipper = new LogShipper({
      logGroupName: '/exit', logStreamName: 's', createLogGroup: true, flushOnExit: true,
      flushIntervalMs: 3_600_000, exitTimeoutMs: 1_000, retry: { minDelayMs: 10, maxDelayMs: 50 },
      clientConfig: { endpoint: ${JSON.stringify(endpoint)}, region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
    });
    shipper.on('error', () => {});
    ${body}
  `;
  child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return child;
}

async function nextLine(process: ChildProcess): Promise<string> {
  const [chunk] = (await once(process.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  return chunk.toString().trim();
}

async function exited(process: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (process.exitCode !== null || process.signalCode !== null) {
    return { code: process.exitCode, signal: process.signalCode };
  }
  const [code, signal] = (await once(process, 'exit')) as [number | null, string | null];
  return { code, signal };
}

describe('flushOnExit', () => {
  it('sends the logs written just before SIGTERM, then ends by the signal', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `for (let i = 0; i < 1000; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000); // a server that would run forever`,
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGTERM');
    const { signal } = await exited(proc);
    expect(signal).toBe('SIGTERM');
    expect(cwl.events('/exit', 's')).toHaveLength(1000);
  });

  it('flushes on beforeExit when the program just ends', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(cwl.endpoint, `for (let i = 0; i < 500; i++) shipper.log('line ' + i);`);
    const { code } = await exited(proc);
    expect(code).toBe(0);
    expect(cwl.events('/exit', 's')).toHaveLength(500);
  });

  it('does not keep the process past exitTimeoutMs when the endpoint is dead', async () => {
    cwl = await startLocalCloudWatchLogs();
    cwl.setFaults({ downForMs: 3_600_000 });
    const proc = startChild(
      cwl.endpoint,
      `for (let i = 0; i < 100; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect(await nextLine(proc)).toBe('ready');
    const signalled = Date.now();
    proc.kill('SIGTERM');
    const { signal } = await exited(proc);
    expect(signal).toBe('SIGTERM');
    // exitTimeoutMs is 1 s; the bound is loose so that a slow machine cannot fail it.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(cwl.events('/exit', 's')).toHaveLength(0);
  });

  it('leaves the signal to a program that handles it itself', async () => {
    cwl = await startLocalCloudWatchLogs();
    const proc = startChild(
      cwl.endpoint,
      `process.on('SIGTERM', () => { setTimeout(() => { console.log('own handler'); process.exit(7); }, 2_000); });
       for (let i = 0; i < 10; i++) shipper.log('line ' + i);
       console.log('ready');
       setInterval(() => {}, 1000);`,
    );
    expect(await nextLine(proc)).toBe('ready');
    proc.kill('SIGTERM');
    const { code } = await exited(proc);
    expect(code).toBe(7);
    expect(cwl.events('/exit', 's')).toHaveLength(10);
  });

  it('listens to no signal in a worker thread, where none arrives and re-raising one would end the process', async () => {
    cwl = await startLocalCloudWatchLogs();
    // Act: a worker makes a shipper with flushOnExit and reports the listeners it finds.
    const proc = startChild(
      cwl.endpoint,
      `const { Worker } = await import('node:worker_threads');
       const worker = new Worker(\`(async () => {
         const { LogShipper } = await import(\${JSON.stringify(${JSON.stringify(dist)})});
         const s = new LogShipper({ logGroupName: '/exit', logStreamName: 'w', flushOnExit: true,
           clientConfig: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1' } });
         const { parentPort } = await import('node:worker_threads');
         parentPort.postMessage([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT'),
           process.listenerCount('beforeExit')]);
         await s.close({ timeoutMs: 0 });
       })()\`, { eval: true });
       worker.once('message', (counts) => { console.log(JSON.stringify(counts)); });`,
    );
    // Assess
    expect(JSON.parse(await nextLine(proc))).toEqual([0, 0, 1]);
    await exited(proc);
  });
});
