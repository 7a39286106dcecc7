import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, run, runModule } from './support/child.js';

// The subpaths (./winston, ./pino, ./lambda, ./testing) as users get them: from the built
// package in this checkout (npm test builds first), then from the packed tarball installed into an
// empty project, first without and then with the optional peer dependencies.
const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const SUBPATHS = ['winston', 'pino', 'lambda', 'testing'];
const blocker = resolve(root, 'test/fixtures/block-integrations.mjs');
/** Where the integration libraries would appear among CommonJS modules. */
const INTEGRATION_MODULES =
  /[\\/]node_modules[\\/](winston|winston-transport|logform|triple-beam|pino|pino-abstract-transport|split2|thread-stream)[\\/]/;

describe('package.json exports', () => {
  it.each(SUBPATHS)('exports ./%s for import and require, each with its types', (name) => {
    expect(manifest.exports[`./${name}`]).toEqual({
      import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
    });
    for (const file of [`${name}.js`, `${name}.cjs`, `${name}.d.ts`, `${name}.d.cts`]) {
      expect(existsSync(resolve(root, 'dist', file))).toBe(true);
    }
  });

  it('has the command as a bin, built executable with a shebang', () => {
    expect(manifest.bin).toEqual({ 'cloudwatch-shipper': './dist/cli.js' });
    const cli = resolve(root, 'dist/cli.js');
    expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(cli).mode & 0o111).toBe(0o111);
  });

  it('declares the integration libraries as optional peer dependencies only', () => {
    for (const name of ['winston', 'winston-transport', 'pino', 'pino-abstract-transport']) {
      expect(manifest.peerDependencies[name]).toBeTypeOf('string');
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
      expect(manifest.dependencies[name]).toBeUndefined();
    }
  });
});

describe('importing the core', () => {
  it('loads none of the integration libraries with import', async () => {
    // Prepare: a hook makes importing any of them fail.
    const importAll = (specifiers: string[]) =>
      runModule(`for (const s of ${JSON.stringify(specifiers)}) await import(s); console.log('ok');`, {
        imports: [blocker],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
    // Act
    const core = await importAll([
      'cloudwatch-shipper',
      'cloudwatch-shipper/lambda',
      'cloudwatch-shipper/testing',
    ]);
    const winston = await importAll(['cloudwatch-shipper/winston']);
    const pino = await importAll(['cloudwatch-shipper/pino']);
    // Assess: the core loads; the hook does catch the subpaths that need the libraries.
    expect(core.stderr).toBe('');
    expect(core.stdout.trim()).toBe('ok');
    expect(winston.stderr).toMatch(/blocked: winston-transport/);
    expect(pino.stderr).toMatch(/blocked: pino-abstract-transport/);
  });

  it('loads none of the integration libraries with require', async () => {
    const loaded = (specifier: string) =>
      run({
        args: [
          '-e',
          `require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(require.cache)));`,
        ],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      }).then((child) => JSON.parse(child.stdout) as string[]);
    const core = await loaded('cloudwatch-shipper');
    const lambda = await loaded('cloudwatch-shipper/lambda');
    const winston = await loaded('cloudwatch-shipper/winston');
    expect(core.filter((path) => INTEGRATION_MODULES.test(path))).toEqual([]);
    expect(lambda.filter((path) => INTEGRATION_MODULES.test(path))).toEqual([]);
    expect(winston.some((path) => /[\\/]winston-transport[\\/]/.test(path))).toBe(true);
  });
});

describe('the packed package in a project of its own', () => {
  let project: string;
  const node = (args: string[]) =>
    run({
      args,
      cwd: project,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
  const npm = (args: string[]) =>
    execFileSync('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: project,
      stdio: 'pipe',
    });

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'cws-subpaths-'));
    execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', project], {
      cwd: root,
      stdio: 'pipe',
    });
    const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    npm(['install', `./${tarball}`]);
  }, 120_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('installs without winston or pino, and the core works', async () => {
    // Assess: npm installs no optional peer.
    for (const name of ['winston', 'winston-transport', 'pino', 'pino-abstract-transport']) {
      expect(existsSync(join(project, 'node_modules', name))).toBe(false);
    }
    const esm = await node([
      '--input-type=module',
      '-e',
      "const { LogShipper } = await import('cloudwatch-shipper'); const { withShipper } = await import('cloudwatch-shipper/lambda'); console.log(typeof LogShipper, typeof withShipper);",
    ]);
    expect(esm.stderr).toBe('');
    expect(esm.stdout.trim()).toBe('function function');
    const cjs = await node(['-e', "console.log(typeof require('cloudwatch-shipper').LogShipper)"]);
    expect(cjs.stdout.trim()).toBe('function');
    // Only the subpath that needs the missing library fails, and it says which.
    const winston = await node(['-e', "require('cloudwatch-shipper/winston')"]);
    expect(winston.stderr).toMatch(/Cannot find module 'winston-transport'/);
  });

  it('with the peers installed, loads every subpath with require and import', async () => {
    // Prepare (their types are checked in strict projects of every resolution mode by test/package/)
    npm(['install', 'winston@3', 'pino@10', 'pino-abstract-transport@3']);
    // Act
    const loads = await node([
      '-e',
      "for (const s of ['winston', 'pino', 'lambda', 'testing']) require('cloudwatch-shipper/' + s); import('cloudwatch-shipper/winston').then(() => import('cloudwatch-shipper/pino')).then(() => console.log('ok'));",
    ]);
    // Assess
    expect(loads.stderr).toBe('');
    expect(loads.stdout.trim()).toBe('ok');
  }, 60_000);
});
