// The shipper's two modes, `thread: 'main'` and `thread: 'worker'`, for the sections that measure
// both. A build without the `thread` option refuses it as unknown: main-thread mode is then the
// shipper without the option, and worker mode is reported as not available, so that the bench
// still runs, and picks the option up by itself once the build has it.
import { LogShipper } from '../../dist/index.js';

export const MODES = /** @type {const} */ (['main', 'worker']);

export const UNAVAILABLE = 'worker mode: not available in this build';

/** Whether this build's LogShipper knows the `thread` option. */
let threadOption;

/**
 * A shipper in `mode`, or `{ unavailable }` with why when this build cannot make one. Any other
 * error, and a ConfigError in main-thread mode, is thrown: the bench's options are wrong.
 */
export function makeShipper(mode, options) {
  if (threadOption !== false) {
    try {
      const shipper = new LogShipper({ ...options, thread: mode });
      threadOption = true;
      return { shipper };
    } catch (error) {
      if (
        !(error?.code === 'CWS_CONFIG' && error.option === 'thread' && /Unknown option/.test(error.message))
      ) {
        if (mode === 'worker' && error?.code === 'CWS_CONFIG') {
          return { unavailable: `${UNAVAILABLE} (${error.message})` };
        }
        throw error;
      }
      threadOption = false;
    }
  }
  if (mode === 'worker') return { unavailable: UNAVAILABLE };
  return { shipper: new LogShipper(options) };
}

/** Loopback client settings for a shipper that makes its own client (a client instance cannot cross a thread). */
export function clientConfig(endpoint) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}
