import { defineConfig, type Options } from 'tsup';

const entry = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
};

// p-queue and p-retry (and their own dependencies) ship as ESM only. A plain
// `require('cloudwatch-shipper')` on Node 20 cannot load them without the
// experimental require(esm), so the CommonJS build carries its own copy.
const esmOnlyDependencies = ['p-queue', 'p-retry', 'p-timeout', 'is-network-error', 'eventemitter3'];

const shared: Options = {
  entry,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  dts: true,
  splitting: true,
  treeshake: true,
};

export default defineConfig([
  { ...shared, format: ['esm'], clean: true },
  { ...shared, format: ['cjs'], noExternal: esmOnlyDependencies },
]);
