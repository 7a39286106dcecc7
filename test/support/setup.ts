// Loaded before every test file (vitest.config.ts, setupFiles). The pipeline loads the SDK on first
// use (src/sdk.ts), which takes real I/O turns under vitest's module runner; the tests that step
// fake timers expect a request to go out within the turns they step. Loaded here, it is ready as it
// is in a long-running program. The first-use path itself runs in child processes, where nothing
// loaded it before: test/sdk-loading.test.ts.
import { loadSdk } from '../../src/sdk.js';

await loadSdk();
