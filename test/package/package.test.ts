import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Packs the package as npm would publish it, installs the tarball into an empty project and loads
// it the ways users do. Run after `npm run build` (npm test builds first).
const root = resolve(import.meta.dirname, '../..');
let project: string;

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: project, encoding: 'utf8', env: { ...process.env } });
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'cws-pack-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', project], { cwd: root, stdio: 'pipe' });
  const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack produced no tarball');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${tarball}`],
    { cwd: project, stdio: 'pipe' },
  );
}, 180_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('loads with require() on this Node without a warning', () => {
    const run = node(['-e', "const m = require('cloudwatch-shipper'); console.log(typeof m.createBatches)"]);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
    expect(run.status).toBe(0);
  });

  it('loads with import', () => {
    const run = node([
      '--input-type=module',
      '-e',
      "const m = await import('cloudwatch-shipper'); console.log(typeof m.createBatches)",
    ]);
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('function');
  });

  it('ships only what users need', () => {
    const listing = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: root, encoding: 'utf8' });
    const files: string[] = JSON.parse(listing)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.cjs');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/index.d.cts');
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  it('resolves its types from both ESM and CommonJS consumers', () => {
    writeFileSync(
      join(project, 'esm.mts'),
      "import { createBatches, type LogEvent } from 'cloudwatch-shipper';\nconst e: LogEvent[] = [];\nexport const r = createBatches(e, { now: 0 });\n",
    );
    writeFileSync(
      join(project, 'cjs.cts'),
      "import shipper = require('cloudwatch-shipper');\nexport const r = shipper.createBatches([], { now: 0 });\n",
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          typeRoots: [join(root, 'node_modules/@types')],
          types: ['node'],
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
