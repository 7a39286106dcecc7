import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm run demo` is the project's main job; this runs the same script (built package, bundled
// endpoint) on a smaller load.
const root = resolve(import.meta.dirname, '..');

function demo(args: string[]) {
  // As a person runs it: without the variable that silences the SDK's Node version warning.
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _silenced, ...env } = process.env;
  return spawnSync(process.execPath, ['examples/demo.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env,
  });
}
const nodeMajor = Number(process.versions.node.split('.')[0]);

describe('npm run demo', () => {
  it('ships every event to the bundled endpoint through throttling and verifies it', () => {
    const run = demo(['--events', '30000', '--streams', '3', '--throttle', '0.3']);
    expect(run.stderr).toContain('Shipping 30,000 events over 3 streams');
    expect(run.stdout).toContain('events     30,000 logged, 30,000 sent');
    expect(run.stdout).toContain('dropped    none');
    expect(run.stdout).toContain('verified   the endpoint holds every one of the 30,000 events');
    expect(run.status).toBe(0);
  });

  it('prints only its own lines: the start, the progress, the summary, and what to try next', () => {
    // Act
    const run = demo(['--events', '20000', '--streams', '2']);
    // Assess: standard error (not a terminal here) holds the start line and progress lines, nothing
    // from the SDK.
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect(lines[0]).toMatch(/^Shipping 20,000 events over 2 streams/);
    for (const line of lines.slice(1)) expect(line).toMatch(/^logged [\d,]+\/20,000 {2}sent /);
    expect(run.stdout).toContain('Next: the same against real CloudWatch Logs');
    expect(run.stdout).toMatch(
      /npm run demo -- --real --region \S+ --log-group-name \/cloudwatch-shipper\/demo/,
    );
    expect(run.stdout).toContain('aws logs tail /cloudwatch-shipper/demo');
    // On Node 20 the SDK's 9-line warning becomes one note at the end.
    expect(run.stdout.includes("Note: the AWS SDK's NodeVersionSupportWarning")).toBe(nodeMajor < 22);
    expect(run.status).toBe(0);
  });

  it('refuses bad flags with a usage error and exit code 2', () => {
    const run = demo(['--events', 'lots']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--events must be a positive integer');
    expect(run.stderr).toContain('Usage: npm run demo');
  });
});
