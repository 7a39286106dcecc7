// `npm run build`: tsup, quiet when it succeeds. tsup writes about fifty progress lines to standard
// output; they are shown only when the build fails. Standard error (esbuild's warnings, the
// declaration build's type errors, any failure) always goes through as it comes.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const manifest = require.resolve('tsup/package.json');
const bin = require(manifest).bin.tsup;

const child = spawn(process.execPath, [join(dirname(manifest), bin), ...process.argv.slice(2)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const progress = [];
child.stdout.on('data', (chunk) => progress.push(chunk));
child.on('close', (code, signal) => {
  if (code !== 0) {
    process.stdout.write(Buffer.concat(progress));
    process.stderr.write(`build failed (tsup ${signal ?? `exit code ${code}`})\n`);
  }
  process.exitCode = code ?? 1;
});
