import { existsSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Worker mode runs the built worker code (`npm run build` makes it; see src/worker/source.ts).
const workerFile = '.worker/worker.cjs';
const workerSource = existsSync(workerFile) ? readFileSync(workerFile, 'utf8') : '';

export default defineConfig({
  define: { __CWS_WORKER_SOURCE__: JSON.stringify(workerSource) },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: {
      // The SDK warns once per process that its 2027 releases need Node 22; that is
      // documented in README and is noise in test output.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
