import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// The worker thread's code, built first by src/tools/build.mjs (see src/worker/source.ts).
const workerSource = readFileSync('.worker/worker.cjs', 'utf8');

const entry = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  winston: 'src/winston.ts',
  pino: 'src/pino.ts',
  lambda: 'src/lambda.ts',
};

// The `cloudwatch-shipper` command: ESM only (the package is `"type": "module"`), no declarations.
const cli = 'src/cli.ts';

// p-queue and p-retry (and their own dependencies) ship as ESM only. A plain
// `require('cloudwatch-shipper')` on Node 20 cannot load them without the
// experimental require(esm), so the CommonJS build carries its own copy.
const esmOnlyDependencies = ['p-queue', 'p-retry', 'p-timeout', 'is-network-error', 'eventemitter3'];

const shared: Options = {
  entry,
  target: 'node20',
  platform: 'node',
  // No source maps: the output is not minified and keeps the sources' names, so a stack trace
  // already reads as the source does; maps would double what every install and the Lambda
  // layer carry, and the comments pointing at maps that are not shipped would dangle.
  sourcemap: false,
  dts: true,
  splitting: true,
  // esbuild tree-shakes while bundling. tsup's `treeshake` would re-bundle every chunk with
  // Rollup, whose CommonJS output warns that dist/pino.cjs has named and default exports
  // together: it must (pino.transport loads the default; programs import the names), and tsup
  // offers no way to tell Rollup `output.exports: 'named'`. Without that pass the CommonJS
  // chunks are about 4 % larger, with the same exports.
  treeshake: false,
  define: { __CWS_WORKER_SOURCE__: JSON.stringify(workerSource) },
};

// winston-transport, pino-abstract-transport and their libraries are optional peer dependencies,
// external in both builds (tsup keeps every dependency and peer dependency external), and only
// the entry of their subpath imports them: `import 'cloudwatch-shipper'` never loads them.
export default defineConfig([
  { ...shared, entry: { ...entry, cli }, dts: { entry }, format: ['esm'], clean: true },
  { ...shared, format: ['cjs'], noExternal: esmOnlyDependencies },
]);
