/**
 * The worker thread's code: `thread.ts` and everything it needs (the SDK included), built into one
 * CommonJS file and carried here as a string, started with `new Worker(source, { eval: true })`. No
 * file is looked for on disk, so a bundle of the program (esbuild, webpack, CDK's NodejsFunction)
 * keeps it whatever it does with files.
 */
declare const __CWS_WORKER_SOURCE__: string | undefined;

export function workerSource(): string {
  const source = typeof __CWS_WORKER_SOURCE__ === 'string' ? __CWS_WORKER_SOURCE__ : '';
  if (source === '') {
    throw new Error(
      "cloudwatch-shipper: this build carries no worker code (build it with `npm run build`), use thread: 'main'",
    );
  }
  // The worker inherits the program's flags: under `--input-type=module` (or a default type of
  // module) its code is evaluated as an ES module, where `require` is not defined. The CommonJS
  // build is given one either way; it needs only Node's own modules (all else is bundled in).
  return `import('node:module').then(({ createRequire }) => {
  const require = createRequire(process.cwd() + '/');
  const module = { exports: {} };
  (function (require, module, exports) {
${source}
  })(require, module, module.exports);
});`;
}
