import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run } from './support/child.js';

// Runs each example as a user would (node examples/x.mjs, sh examples/x.sh) against the local
// endpoint, which it finds in CWL_ENDPOINT. The examples import the built package (npm test
// builds first), so a change that breaks them breaks this test. lambda.ts is bundled and run by
// test/bundling.test.ts, as Lambda tools bundle it; quick-start.mjs by test/quick-start.test.ts.
let cwl: LocalCloudWatchLogs;

beforeEach(async () => {
  cwl = await startLocalCloudWatchLogs();
});

afterEach(async () => {
  await cwl.close();
});

const example = (name: string) => resolve(root, 'examples', name);
const json = (group: string, stream = hostname()) =>
  cwl.events(group, stream).map((e) => JSON.parse(e.message) as Record<string, unknown>);

describe('examples/', () => {
  it('http-service.mjs logs each request it served and exits after its shutdown', async () => {
    const child = await run({ args: [example('http-service.mjs')], env: endpointEnv(cwl) });
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(
      json('/examples/http-service').map(({ url, status }) => `${String(url)} ${String(status)}`),
    ).toEqual(['/ 200', '/orders/42 200', '/missing 404']);
  });

  it('winston.mjs sends the lines at its transport level, as JSON with their timestamps', async () => {
    const child = await run({ args: [example('winston.mjs')], env: endpointEnv(cwl) });
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const events = cwl.events('/examples/winston', hostname());
    expect(events.map((e) => JSON.parse(e.message))).toEqual([
      expect.objectContaining({ level: 'info', message: 'order placed', orderId: 42, service: 'orders' }),
      expect.objectContaining({ level: 'warn', message: 'payment provider slow', ms: 2300 }),
    ]);
    for (const event of events) expect(event.timestamp).toBe(Date.parse(JSON.parse(event.message).timestamp));
    // The console transport got the debug line too.
    expect(child.stdout).toMatch(/on the console only/);
  });

  it('pino.mjs sends the lines at its target level from the worker thread before the program ends', async () => {
    const child = await run({ args: [example('pino.mjs')], env: endpointEnv(cwl) });
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(json('/examples/pino')).toEqual([
      expect.objectContaining({ level: 30, msg: 'order placed', orderId: 42 }),
      expect.objectContaining({ level: 40, msg: 'payment provider slow', orderId: 42 }),
    ]);
    expect(child.stdout).toMatch(/on standard output only/);
  });

  it('cli-pipe.sh ships every line of the program it reads, with the times the lines carry', async () => {
    const child = await run({ command: 'sh', args: [example('cli-pipe.sh')], env: endpointEnv(cwl) });
    expect(child.stderr.replace(/^npm warn .*\n/gm, '')).toBe('');
    expect(child.code).toBe(0);
    const events = cwl.events('/examples/cli', hostname());
    expect(events).toHaveLength(1000);
    for (const event of events) expect(event.timestamp).toBe(JSON.parse(event.message).time);
  });
});
