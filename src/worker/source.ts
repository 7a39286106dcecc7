/**
 * The worker thread's code: `thread.ts` and everything it needs (the SDK included), built into one
 * CommonJS file and carried here as a string, started by a short script (`new Worker(script,
 * { eval: true })`) that compiles it. No file is looked for on disk, so a bundle of the program
 * (esbuild, webpack, CDK's NodejsFunction) keeps it whatever it does with files.
 */
declare const __CWS_WORKER_SOURCE__: string | undefined;

/** Whether this process may compile code from strings (`--disallow-code-generation-from-strings` says no). */
function mayCompileStrings(): boolean {
  try {
    new Function('');
    return true;
  } catch {
    return false;
  }
}

/**
 * What a worker is started with: the script `new Worker(script, { eval: true })` runs, and the
 * worker's code to go in its `workerData` as `source` when the script compiles it from there.
 */
export interface WorkerStart {
  readonly script: string;
  readonly source: string | undefined;
}

export function workerStart(): WorkerStart {
  const source = typeof __CWS_WORKER_SOURCE__ === 'string' ? __CWS_WORKER_SOURCE__ : '';
  if (source === '') {
    throw new Error(
      "cloudwatch-shipper: this build carries no worker code (build it with `npm run build`), use thread: 'main'",
    );
  }
  // What the worker does before its code runs:
  // - It lowers its thread's priority (`workerNice`). On Linux a nice value belongs to each thread,
  //   and `setPriority(0, …)` sets the calling thread's (elsewhere it would set the whole process's:
  //   left alone); raising one's own needs no privilege. What could not be done is handed to the
  //   code (`cwsPriorityFailure`), which says so once it can talk to the program (thread.ts).
  // - It gives the CommonJS code a `require`. The worker inherits the program's flags: under
  //   `--input-type=module` (or a default type of module) its script is an ES module, where
  //   `require` is not defined. The code needs only Node's own modules (all else is bundled in).
  // Parsing and compiling the code is the worker's first stretch of CPU, while the program already
  // logs: the code comes in `workerData` and is compiled once the priority is lowered, and then let
  // go, so that the worker holds one copy of it (the compiled function's), not three (the script's
  // text, a string in it, the function's). A process that may not compile strings (the worker
  // inherits the flag) gets the code inline in the script instead, parsed with the script at the
  // program's priority, as `import()` inside it still needs to work (the SDK's credential providers
  // use it) and `node:vm` could only give that experimentally.
  const prelude = `Promise.all([import('node:module'), import('node:os'), import('node:worker_threads')]).then(
  ([{ createRequire }, { getPriority, setPriority }, { workerData }]) => {
    let priorityFailure;
    const increment = (workerData && workerData.workerNice) || 0;
    if (increment > 0 && process.platform === 'linux') {
      try {
        setPriority(0, Math.min(19, getPriority(0) + increment));
      } catch (error) {
        priorityFailure = (error && error.code) || 'unknown error';
      }
    }
    const module = { exports: {} };
    const require = createRequire(process.cwd() + '/');`;
  const failed = `
).catch((error) => {
  // Nothing of the worker runs: let it end with the error, which the program reports.
  process.nextTick(() => {
    throw error;
  });
});`;
  if (mayCompileStrings()) {
    return {
      script: `${prelude}
    const source = workerData.source;
    delete workerData.source;
    new Function('require', 'module', 'exports', 'cwsPriorityFailure', source)(require, module, module.exports, priorityFailure);
  },${failed}`,
      source,
    };
  }
  return {
    script: `${prelude}
    (function (require, module, exports, cwsPriorityFailure) {
${source}
    })(require, module, module.exports, priorityFailure);
  },${failed}`,
    source: undefined,
  };
}
