// `npm run build`: tsup, quiet when it succeeds. tsup writes about fifty progress lines to standard
// output; they are shown only when the build fails. Standard error (esbuild's warnings, the
// declaration build's type errors, any failure) always goes through as it comes.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const manifest = require.resolve('tsup/package.json');
const bin = require(manifest).bin.tsup;
const dist = resolve(import.meta.dirname, '../../dist');

/**
 * Packages whose types say `export =`. The CommonJS declarations (.d.cts) tsup derives from our
 * ES module sources import them as `import X from 'm'`, which a CommonJS project compiles only
 * with `esModuleInterop` (TS1259), off by default with `module: commonjs`. In a CommonJS
 * declaration file, `import X = require('m')` says the same and needs no flag.
 */
const EXPORT_EQUALS = ['winston-transport'];

function requireExportEquals() {
  const pattern = new RegExp(`^import (\\w+) from '(${EXPORT_EQUALS.join('|')})';$`, 'gm');
  for (const name of readdirSync(dist)) {
    if (!name.endsWith('.d.cts')) continue;
    const path = join(dist, name);
    const source = readFileSync(path, 'utf8');
    const fixed = source.replace(pattern, "import $1 = require('$2');");
    if (fixed !== source) writeFileSync(path, fixed);
  }
}

/**
 * The worker thread's code (src/worker/thread.ts and all it imports, the SDK included) as one
 * CommonJS file: tsup then carries it as a string in the package (see src/worker/source.ts), and
 * vitest reads it from there too.
 */
async function buildWorker() {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [resolve(import.meta.dirname, '../worker/thread.ts')],
    outfile: resolve(import.meta.dirname, '../../.worker/worker.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    // The packages' ES module builds (the SDK's dist-es), not their CommonJS ones: each module is
    // its own, so what the worker does not import is left out (the client's other commands, the
    // browser user-agent parser). The worker's code is 467 KB instead of 610 KB, and a worker
    // starts with about 4 MiB less RSS (`npm run bench coldstart`).
    mainFields: ['module', 'main'],
    legalComments: 'none',
    logLevel: 'warning',
  });
}

try {
  await buildWorker();
} catch (error) {
  process.stderr.write(`build failed (the worker: ${error instanceof Error ? error.message : error})\n`);
  process.exit(1);
}

const child = spawn(process.execPath, [join(dirname(manifest), bin), ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const progress = [];
child.stdout.on('data', (chunk) => progress.push(chunk));
child.on('close', (code, signal) => {
  if (code !== 0) {
    process.stdout.write(Buffer.concat(progress));
    process.stderr.write(`build failed (tsup ${signal ?? `exit code ${code}`})\n`);
    process.exitCode = code ?? 1;
    return;
  }
  requireExportEquals();
});
