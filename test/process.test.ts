import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// These run the built package (npm test builds before it tests) in a child process of its own.
const dist = resolve(import.meta.dirname, '../dist/index.js');

function runChild(source: string) {
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { ...child, elapsedMs: Date.now() - started };
}

describe('the shipper inside a host process', () => {
  it('does not keep the process alive when the program never calls close', () => {
    // An endpoint that refuses connections: sends fail and back off, on timers that must not hold
    // the process open.
    const child = runChild(`
      import { LogShipper } from ${JSON.stringify(dist)};
      const shipper = new LogShipper({
        logGroupName: 'g', logStreamName: 's', flushIntervalMs: 50,
        clientConfig: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1',
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' } },
      });
      shipper.on('error', () => {});
      for (let i = 0; i < 1000; i++) shipper.log('line ' + i);
      setTimeout(() => console.log('done'), 300);
    `);
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('done');
    expect(child.stderr).not.toMatch(/Unhandled|unhandled/);
  });
});
