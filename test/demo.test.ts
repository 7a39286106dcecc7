import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm run demo` is the project's main job; this runs the same script (built package, bundled
// endpoint) on a smaller load.
const root = resolve(import.meta.dirname, '..');

function demo(args: string[]) {
  return spawnSync(process.execPath, ['examples/demo.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

describe('npm run demo', () => {
  it('ships every event to the bundled endpoint through throttling and verifies it', () => {
    const run = demo(['--events', '30000', '--streams', '3', '--throttle', '0.3']);
    expect(run.stderr).toContain('Shipping 30,000 events over 3 streams');
    expect(run.stdout).toContain('events     30,000 logged, 30,000 sent');
    expect(run.stdout).toContain('dropped    none');
    expect(run.stdout).toContain('verified   the endpoint holds every one of the 30,000 events');
    expect(run.status).toBe(0);
  });

  it('refuses bad flags with a usage error and exit code 2', () => {
    const run = demo(['--events', 'lots']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--events must be a positive integer');
    expect(run.stderr).toContain('Usage: npm run demo');
  });
});
