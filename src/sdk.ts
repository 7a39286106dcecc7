/**
 * The AWS SDK's CloudWatch Logs client, loaded when a pipeline on this thread first needs it, not
 * when the package is imported. In worker mode the program's thread never loads it: the worker has
 * its own copy, and the program's thread is spared about 20 MiB of RSS, the import's time, and 4 MB
 * of heap that each of its full garbage collections would otherwise walk.
 *
 * What is imported is a module of ours, `sdk-classes.ts`, which imports the SDK statically: the
 * package's builds keep it as a chunk of its own, and a program's bundle as a module run on first
 * use, whose SDK import is a `require` in CommonJS (see that file).
 */
import { SdkUnavailableError } from './errors.js';
import { safeCode, safeName } from './failure.js';
import type * as Sdk from './sdk-classes.js';

export type SdkModule = typeof Sdk;

let loaded: SdkModule | undefined;
let loading: Promise<SdkModule> | undefined;

/** The SDK, loading it on the first call; the same promise for every later call. */
export function loadSdk(): Promise<SdkModule> {
  loading ??= import('./sdk-classes.js').then(
    (sdk) => {
      loaded = sdk;
      return sdk;
    },
    (error: unknown) => {
      throw new SdkUnavailableError(failureReason(error), error);
    },
  );
  return loading;
}

/** The SDK if it is loaded already: a request then goes out without waiting a turn for it. */
export function sdkIfLoaded(): SdkModule | undefined {
  return loaded;
}

/** Node's code for a failed load (`ERR_MODULE_NOT_FOUND`, …), else the error's name: never its message. */
function failureReason(error: unknown): string {
  const { code, name } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
  };
  return safeCode(code) ?? safeName(name) ?? typeof error;
}
