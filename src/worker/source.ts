/**
 * The worker thread's code: `thread.ts` and everything it needs (the SDK included), built into one
 * CommonJS file and carried here as a string, started with `new Worker(source, { eval: true })`. No
 * file is looked for on disk, so a bundle of the program (esbuild, webpack, CDK's NodejsFunction)
 * keeps it whatever it does with files.
 */
declare const __CWS_WORKER_SOURCE__: string | undefined;

let wrapped: string | undefined;

export function workerSource(): string {
  if (wrapped !== undefined) return wrapped;
  const source = typeof __CWS_WORKER_SOURCE__ === 'string' ? __CWS_WORKER_SOURCE__ : '';
  if (source === '') {
    throw new Error(
      "cloudwatch-shipper: this build carries no worker code (build it with `npm run build`), use thread: 'main'",
    );
  }
  // What the worker does before its code is even parsed:
  // - It lowers its thread's priority (`workerNice`). On Linux a nice value belongs to each thread,
  //   and `setPriority(0, …)` sets the calling thread's (elsewhere it would set the whole process's:
  //   left alone); raising one's own needs no privilege. Parsing and compiling the code is the
  //   worker's first stretch of CPU, while the program already logs, so the code is carried as a
  //   string and compiled after. What could not be done is handed to it (`cwsPriorityFailure`),
  //   which says so once it can talk to the program (thread.ts).
  // - It gives the CommonJS code a `require`. The worker inherits the program's flags: under
  //   `--input-type=module` (or a default type of module) its script is an ES module, where
  //   `require` is not defined. The code needs only Node's own modules (all else is bundled in).
  wrapped = `const source = ${JSON.stringify(source)};
Promise.all([import('node:module'), import('node:os'), import('node:worker_threads')]).then(
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
    const run = new Function('require', 'module', 'exports', 'cwsPriorityFailure', source);
    run(createRequire(process.cwd() + '/'), module, module.exports, priorityFailure);
  },
);`;
  return wrapped;
}
