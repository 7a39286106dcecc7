import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run } from './support/child.js';

// README's quick start is examples/quick-start.mjs, word for word; this runs it as written
// against a fresh local endpoint (no log group yet, as on a new account). The SDK's own
// AWS_ENDPOINT_URL_CLOUDWATCH_LOGS points it there, so the program needs no test hook.
const source = readFileSync(resolve(root, 'examples/quick-start.mjs'), 'utf8');
let cwl: LocalCloudWatchLogs;

beforeEach(async () => {
  cwl = await startLocalCloudWatchLogs();
});

afterEach(async () => {
  await cwl.close();
});

describe('the quick start', () => {
  it('is in README as it is in examples/quick-start.mjs', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const block = /```js\n([\s\S]*?)```/.exec(quickStart)?.[1];
    expect(block).toBe(source);
  });

  it('stores every event it logs, creating the group, and exits by itself', async () => {
    // Prepare: the endpoint as the SDK's setting, not the examples' CWL_ENDPOINT.
    const { CWL_ENDPOINT: _unused, ...env } = endpointEnv(cwl);
    // Act
    const child = await run({
      args: [resolve(root, 'examples/quick-start.mjs')],
      env: { ...env, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cwl.endpoint },
    });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const web = cwl.events('/my-app/web', 'web-1').map((e) => e.message);
    expect(web).toHaveLength(4);
    expect(web.slice(0, 3)).toEqual(['server started', 'order placed', '{"orderId":42,"total":9.5}']);
    expect(web[3]).toMatch(/^Error: payment declined\n\s+at /);
    expect(cwl.events('/my-app/web', 'audit').map((e) => e.message)).toEqual(['audit entry']);
    // The group did not exist: the shipper made it (each stream that found it missing may ask).
    expect(cwl.stats().requests.CreateLogGroup).toBeGreaterThanOrEqual(1);
  });
});
