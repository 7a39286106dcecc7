import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerStart } from '../src/worker/source.js';

/** Runs `code` as the worker's code through the script `workerStart()` gives; resolves with what it posts. */
function runAsWorkerCode(code: string): Promise<unknown> {
  const { script } = workerStart();
  const worker = new Worker(script, { eval: true, workerData: { source: code, workerNice: 0 } });
  return new Promise((resolve, reject) => {
    worker.once('message', (message) => {
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}

describe('the worker script', () => {
  it('compiles the code from workerData.source, and lets go of it before the code runs', async () => {
    // Prepare: code that reports what it can see of workerData.
    const code = `const { parentPort, workerData } = require('node:worker_threads');
parentPort.postMessage({ source: 'source' in workerData, nice: workerData.workerNice, exports: typeof module.exports });`;
    // Act
    const seen = await runAsWorkerCode(code);
    // Assess: the code ran, with a require and a module, and the string it came from was gone.
    expect(seen).toEqual({ source: false, nice: 0, exports: 'object' });
  });

  it('carries the code in workerData, not in the script', () => {
    const { script, source } = workerStart();
    expect(source?.length).toBeGreaterThan(100_000);
    expect(script.length).toBeLessThan(4_000);
  });
});
