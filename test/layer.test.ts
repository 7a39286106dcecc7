import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run } from './support/child.js';

// Builds the layer from the built package (npm test builds first) where `npm run build:layer`
// puts it, unpacks it into a temporary `/opt`, and loads it the way the Lambda Node.js runtime
// does: NODE_PATH holds /opt/nodejs/node_modules and the runtime's own node_modules, which
// provides @aws-sdk/*.
const zipPath = resolve(root, 'dist-layer/layer.zip');
let work: string;
let opt: string;
let runtimeModules: string;
let task: string;
let entries: string[];
let zipBytes: number;
let buildOutput: string;
let cwl: LocalCloudWatchLogs;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cws-layer-'));
  const build = await run({ args: [resolve(root, 'src/tools/build-layer.mjs')] });
  if (build.code !== 0) throw new Error(`build-layer failed: ${build.stderr}`);
  buildOutput = build.stdout;

  opt = join(work, 'opt');
  const zip = readFileSync(zipPath);
  zipBytes = zip.length;
  const files = unzipSync(zip);
  entries = Object.keys(files);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(opt, path)), { recursive: true });
    writeFileSync(join(opt, path), content);
  }
  // The runtime's SDK: only @aws-sdk/*, so a dependency missing from the layer cannot be found.
  runtimeModules = join(work, 'var/runtime/node_modules');
  mkdirSync(runtimeModules, { recursive: true });
  symlinkSync(resolve(root, 'node_modules/@aws-sdk'), join(runtimeModules, '@aws-sdk'));
  task = join(work, 'var/task');
  mkdirSync(task, { recursive: true });
  cwl = await startLocalCloudWatchLogs();
}, 60_000);

afterAll(async () => {
  await cwl?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function lambdaEnv(): NodeJS.ProcessEnv {
  return {
    ...endpointEnv(cwl),
    NODE_PATH: [join(opt, 'nodejs/node_modules'), runtimeModules].join(':'),
  };
}

// A handler that logs through the layer's package and returns once the line is delivered.
const handlerSource = (load: string, stream: string, exports: string) => `
${load}
const shipper = new LogShipper({
  logGroupName: '/aws/lambda/layer', logStreamName: ${JSON.stringify(stream)}, createLogGroup: true,
  clientConfig: { endpoint: process.env.CWL_ENDPOINT },
});
const handler = withShipper(async (event) => {
  shipper.log('hello from ' + event.via);
  return { statusCode: 200 };
}, shipper);
${exports}
`;

describe('the Lambda layer', () => {
  it('has the layout Lambda expects, with the runtime dependencies and without @aws-sdk', () => {
    expect(entries.every((path) => path.startsWith('nodejs/node_modules/'))).toBe(true);
    const packages = new Set(
      entries.map((path) => {
        const [, , first, second] = path.split('/');
        return first?.startsWith('@') ? `${first}/${second}` : first;
      }),
    );
    expect([...packages].sort()).toEqual([
      'cloudwatch-shipper',
      'eventemitter3',
      'is-network-error',
      'p-queue',
      'p-retry',
      'p-timeout',
    ]);
    for (const file of [
      'package.json',
      'dist/index.js',
      'dist/index.cjs',
      'dist/lambda.js',
      'dist/lambda.cjs',
    ]) {
      expect(entries).toContain(`nodejs/node_modules/cloudwatch-shipper/${file}`);
    }
    expect(buildOutput).toMatch(/^dist-layer\/layer\.zip: [\d.]+ KiB, \d+ files/);
  });

  it('is not part of the npm package, though it is built beside it', () => {
    const listing = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    const packed: string[] = JSON.parse(listing)[0].files.map((f: { path: string }) => f.path);
    expect(packed).toContain('dist/index.js');
    expect(packed.filter((path) => path.endsWith('.zip') || path.startsWith('dist-layer/'))).toEqual([]);
  });

  it('stays within the size README states', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const stated = /`dist-layer\/layer\.zip`, under (\d+) KiB/.exec(readme);
    expect(stated).not.toBeNull();
    expect(zipBytes).toBeLessThan(Number(stated?.[1]) * 1024);
  });

  it('loads with require() from nodejs/node_modules, and delivers from a wrapped handler', async () => {
    // Prepare
    writeFileSync(
      join(task, 'index.cjs'),
      handlerSource(
        "const { LogShipper } = require('cloudwatch-shipper');\nconst { withShipper } = require('cloudwatch-shipper/lambda');",
        'cjs',
        "module.exports.handler = handler;\nmodule.exports.loadedFrom = require.resolve('cloudwatch-shipper');",
      ),
    );
    // Act: as the runtime would, with require(esm) off (Lambda turns it off on Node 20 and 22).
    const child = await run({
      args: [
        '--no-experimental-require-module',
        '-e',
        "const m = require('./index.cjs'); m.handler({ via: 'require' }, { getRemainingTimeInMillis: () => 3000 }).then((r) => console.log(JSON.stringify(r), m.loadedFrom));",
      ],
      cwd: task,
      env: lambdaEnv(),
    });
    // Assess
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const [result, loadedFrom] = child.stdout.trim().split(' ');
    expect(JSON.parse(result ?? '')).toEqual({ statusCode: 200 });
    expect(loadedFrom).toBe(join(opt, 'nodejs/node_modules/cloudwatch-shipper/dist/index.cjs'));
    expect(cwl.events('/aws/lambda/layer', 'cjs').map((e) => e.message)).toEqual(['hello from require']);
  });

  it('loads with import from nodejs/node_modules, and delivers from a wrapped handler', async () => {
    writeFileSync(
      join(task, 'index.mjs'),
      handlerSource(
        "import { LogShipper } from 'cloudwatch-shipper';\nimport { withShipper } from 'cloudwatch-shipper/lambda';",
        'esm',
        'export { handler };',
      ),
    );
    const child = await run({
      args: [
        '--import',
        resolve(root, 'test/fixtures/lambda-node-path.mjs'),
        '--input-type=module',
        '-e',
        "const { handler } = await import('./index.mjs'); console.log(JSON.stringify(await handler({ via: 'import' }, { getRemainingTimeInMillis: () => 3000 })));",
      ],
      cwd: task,
      env: lambdaEnv(),
    });
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ statusCode: 200 });
    expect(cwl.events('/aws/lambda/layer', 'esm').map((e) => e.message)).toEqual(['hello from import']);
  });

  it('cannot be loaded without the layer: the test would see a missing package', async () => {
    const child = await run({
      args: ['-e', "require('cloudwatch-shipper')"],
      cwd: task,
      env: { ...lambdaEnv(), NODE_PATH: runtimeModules },
    });
    expect(child.code).not.toBe(0);
    expect(child.stderr).toMatch(/Cannot find module 'cloudwatch-shipper'/);
  });
});
