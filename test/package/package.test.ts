import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { publint } from 'publint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/child.js';

// The package as `npm publish` would make it from a fresh clone: the checkout's files (tracked, and
// new ones git does not ignore) are copied to an empty folder without dist/, and `npm pack` runs
// there, with its lifecycle scripts, so the tarball holds what `prepack` built. The tarball is then
// checked as a reviewer would (its files, @arethetypeswrong/cli, publint) and installed into an
// empty project that loads it.
const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const SUBPATHS = ['testing', 'winston', 'pino', 'lambda'];
let work: string;
let tarball: string;
let files: string[];
let unpacked: string;
let project: string;

function node(args: string[], cwd: string) {
  return spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cws-pack-'));
  // Prepare: a clone's files, and this checkout's installed dependencies (npm ci's), but no dist/.
  const clone = join(work, 'clone');
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: root,
    encoding: 'utf8',
  });
  for (const path of listed.split('\0').filter(Boolean)) {
    if (!existsSync(join(root, path))) continue; // deleted in the work tree, not yet committed
    mkdirSync(dirname(join(clone, path)), { recursive: true });
    cpSync(join(root, path), join(clone, path));
  }
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  expect(existsSync(join(clone, 'dist'))).toBe(false);

  // Act: what `npm publish` runs first.
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], {
    cwd: clone,
    encoding: 'utf8',
  }).trim();
  tarball = join(work, name);
  files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''))
    .sort();
  unpacked = join(work, 'unpacked');
  mkdirSync(unpacked);
  execFileSync('tar', ['-xzf', tarball, '-C', unpacked]);

  // A consumer with the optional peers and the types a TypeScript project adds, at the versions
  // this checkout tests with (so npm finds them in its cache).
  project = join(work, 'project');
  mkdirSync(project);
  execFileSync('npm', ['init', '-y'], { cwd: project, stdio: 'pipe' });
  const peers = ['winston', 'pino', 'pino-abstract-transport', '@types/node', '@types/aws-lambda'].map(
    (name) =>
      `${name}@${JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version}`,
  );
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball, ...peers],
    { cwd: project, stdio: 'pipe' },
  );
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack from a fresh clone', () => {
  it('builds first (prepack) and ships the build, the README, the CHANGELOG and the LICENSE only', () => {
    const outsideDist = files.filter((path) => !path.startsWith('dist/'));
    expect(outsideDist).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    for (const entry of ['index', ...SUBPATHS]) {
      for (const extension of ['js', 'cjs', 'd.ts', 'd.cts'])
        expect(files).toContain(`dist/${entry}.${extension}`);
    }
    expect(files).toContain('dist/cli.js');
  });

  it('ships neither the Lambda layer nor source maps', () => {
    expect(files.filter((path) => /\.(zip|map)$/.test(path))).toEqual([]);
  });

  it('ships no sourceMappingURL comment pointing at a map it does not ship', () => {
    const code = files.filter((path) => /\.(c?js|d\.c?ts)$/.test(path));
    expect(code.length).toBeGreaterThan(10);
    const dangling = code.filter((path) =>
      readFileSync(join(unpacked, 'package', path), 'utf8').includes('sourceMappingURL'),
    );
    expect(dangling).toEqual([]);
  });

  it('has an MIT LICENSE that matches package.json', () => {
    expect(manifest.license).toBe('MIT');
    const license = readFileSync(join(unpacked, 'package/LICENSE'), 'utf8');
    expect(license.startsWith('MIT License\n\nCopyright (c) 2026 cloudwatch-shipper contributors\n')).toBe(
      true,
    );
    expect(license).toContain('THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND');
  });

  it('passes @arethetypeswrong/cli for every entry point and resolution mode (profile strict)', () => {
    // Act
    const attw = node(
      [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), tarball, '--format', 'json'],
      work,
    );
    // Assess: every subpath was analysed under node10, node16 (from CJS and from ESM) and bundler.
    const report = JSON.parse(attw.stdout) as {
      analysis: {
        entrypoints: Record<string, { resolutions: Record<string, unknown> }>;
        problems: unknown[];
      };
      problems: Record<string, unknown[]>;
    };
    expect(report.analysis.problems).toEqual([]);
    expect(report.problems).toEqual({});
    const entrypoints = report.analysis.entrypoints;
    expect(Object.keys(entrypoints).sort()).toEqual(
      ['.', ...SUBPATHS.map((s) => `./${s}`), './package.json'].sort(),
    );
    for (const { resolutions } of Object.values(entrypoints)) {
      expect(Object.keys(resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
    }
    expect(attw.status).toBe(0);
  });

  it('passes publint, suggestions and warnings included', async () => {
    const { messages } = await publint({
      pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
      level: 'suggestion',
      strict: true,
    });
    expect(messages).toEqual([]);
  });
});

describe('the packed package, installed', () => {
  it('loads with require() on this Node without a warning', () => {
    const run = node(
      ['-e', "const m = require('cloudwatch-shipper'); console.log(typeof m.createBatches)"],
      project,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
    expect(run.status).toBe(0);
  });

  it('loads with import', () => {
    const run = node(
      [
        '--input-type=module',
        '-e',
        "const m = await import('cloudwatch-shipper'); console.log(typeof m.createBatches)",
      ],
      project,
    );
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });

  it('runs its command from node_modules/.bin', () => {
    const run = spawnSync(join(project, 'node_modules/.bin/cloudwatch-shipper'), ['--help'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(run.stdout).toContain('--log-group-name');
    expect(run.status).toBe(0);
  });
});

// A TypeScript project of each kind, `strict`, otherwise on TypeScript's defaults (so no
// `esModuleInterop` with `module: commonjs`), importing every subpath and compiling the Lambda
// example. The last line of
// the program must be an error: if a subpath resolved to `any`, it would not be, and the
// `@ts-expect-error` would fail the check.
const program = `import { type DeliveryError, LogShipper, type LogShipperOptions } from 'cloudwatch-shipper';
import { CloudWatchTransport } from 'cloudwatch-shipper/winston';
import cloudWatchTransport, { flushOnSignals, type PinoTransportOptions } from 'cloudwatch-shipper/pino';
import { withShipper } from 'cloudwatch-shipper/lambda';
import { startLocalCloudWatchLogs } from 'cloudwatch-shipper/testing';

const options: LogShipperOptions = { logGroupName: '/app', logStreamName: 'web' };
const shipper = new LogShipper(options);
shipper.on('error', (error: DeliveryError) => console.error(error.awsErrorName));
export const transport: CloudWatchTransport = new CloudWatchTransport({ shipper, level: 'info' });
const pinoOptions: PinoTransportOptions = { logGroupName: '/app', logStreamName: 'web' };
export const stream = cloudWatchTransport(pinoOptions);
export const stop: () => void = flushOnSignals({ flush() {} });
export const handler: (event: { orderId: number }, context: { getRemainingTimeInMillis(): number }) => Promise<number> =
  withShipper(async (event: { orderId: number }) => event.orderId, shipper);
export const local: Promise<{ endpoint: string }> = startLocalCloudWatchLogs();
export const closed: Promise<{ complete: boolean }> = shipper.close();
// @ts-expect-error: a log group name is a string
export const wrong = new LogShipper({ logGroupName: 42, logStreamName: 'web' });
`;
const example = readFileSync(join(root, 'examples/lambda.ts'), 'utf8');
const base = { strict: true, noEmit: true, target: 'es2022', types: ['node'] };
// skipLibCheck off checks the library's declarations too (and every dependency's, which costs most
// of the time): node10 reads every .d.cts, nodenext every .d.cts and .d.ts, so node16 and bundler,
// which read the same files, check only that every subpath resolves and types the program.
const projects = [
  // TypeScript's default resolution for `module: commonjs`, which ignores `exports`.
  {
    name: 'node10',
    options: { module: 'commonjs', moduleResolution: 'node10', skipLibCheck: false },
    extensions: ['ts'],
  },
  // The Node modes resolve by `exports`, differently for a .cts (require) and an .mts (import).
  {
    name: 'node16',
    options: { module: 'node16', moduleResolution: 'node16', skipLibCheck: true },
    extensions: ['cts', 'mts'],
  },
  {
    name: 'nodenext',
    options: { module: 'nodenext', moduleResolution: 'nodenext', skipLibCheck: false },
    extensions: ['cts', 'mts'],
  },
  {
    name: 'bundler',
    options: { module: 'esnext', moduleResolution: 'bundler', skipLibCheck: true },
    extensions: ['ts'],
  },
];

// The four checks are independent: they run at once (tsc is single-threaded).
describe.concurrent('the packed package in strict TypeScript projects', () => {
  it.each(projects)(
    'type-checks every subpath and the Lambda example with moduleResolution $name',
    async ({ name, options, extensions }) => {
      // Prepare
      const dir = join(project, name);
      mkdirSync(dir);
      const sources = extensions.flatMap((extension) => [`index.${extension}`, `lambda.${extension}`]);
      for (const source of sources) {
        writeFileSync(join(dir, source), source.startsWith('index') ? program : example);
      }
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { ...base, ...options }, files: sources }, null, 2),
      );
      // Act
      const tsc = await run({
        args: [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir],
        cwd: dir,
        timeoutMs: 120_000,
      });
      // Assess
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
    },
    150_000,
  );
});
