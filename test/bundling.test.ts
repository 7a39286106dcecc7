import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloudWatchLogs, startLocalCloudWatchLogs } from '../src/testing/index.js';
import { endpointEnv, root, run } from './support/child.js';

// The Lambda example and a winston and a pino program, bundled the way AWS CDK's NodejsFunction,
// SAM (esbuild) and a plain esbuild command bundle them, as ESM (with README's createRequire
// banner) and as CommonJS, with the AWS SDK inside the bundle or left to the runtime
// (`--external:@aws-sdk/*`). Each bundle runs from a folder of its own, without this checkout's
// node_modules, against the local endpoint (the SDK's AWS_ENDPOINT_URL_CLOUDWATCH_LOGS).
// The package is taken from dist/ (npm test builds first), as from node_modules.

/** README's banner: lets the CommonJS code in a bundle (winston, parts of the SDK) `require` Node's modules. */
const BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
type Format = 'esm' | 'cjs';

let work: string;
let runtimeModules: string;
let cwl: LocalCloudWatchLogs;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'cws-bundle-'));
  // What the Lambda Node.js runtime provides: @aws-sdk/* only.
  runtimeModules = join(work, 'runtime/node_modules');
  mkdirSync(runtimeModules, { recursive: true });
  symlinkSync(resolve(root, 'node_modules/@aws-sdk'), join(runtimeModules, '@aws-sdk'), 'dir');
  cwl = await startLocalCloudWatchLogs();
});

afterAll(async () => {
  await cwl?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Bundle {
  readonly file: string;
  readonly inputs: string[];
  readonly warnings: string[];
}

async function bundle(
  entry: string,
  name: string,
  format: Format,
  { externalSdk = false, banner = format === 'esm' } = {},
): Promise<Bundle> {
  const file = join(work, name, format === 'esm' ? 'index.mjs' : 'index.cjs');
  const options: BuildOptions = {
    entryPoints: [resolve(root, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    // NodejsFunction's ESM recipe prefers the ES module builds.
    ...(format === 'esm' ? { mainFields: ['module', 'main'] } : {}),
    ...(banner ? { banner: { js: BANNER } } : {}),
    external: externalSdk ? ['@aws-sdk/*'] : [],
    metafile: true,
    logLevel: 'silent',
  };
  const result = await build(options);
  return {
    file,
    inputs: Object.keys((result.metafile as Metafile).inputs),
    warnings: result.warnings.map((w) => w.text),
  };
}

/** Runs `source` (which loads the bundle) from the bundle's folder, as the runtime would. */
function runBundle(built: Bundle, format: Format, source: string, { externalSdk = false, stream = '' } = {}) {
  const env: NodeJS.ProcessEnv = {
    ...endpointEnv(cwl),
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cwl.endpoint,
    AWS_LAMBDA_LOG_STREAM_NAME: stream,
    STREAM: stream,
    // With the SDK external, only the runtime's folder provides it; otherwise nothing does.
    NODE_PATH: externalSdk ? runtimeModules : '',
  };
  delete env.CWL_ENDPOINT;
  const esmLookup = externalSdk && format === 'esm';
  return run({
    args: [
      // The Lambda runtime resolves an ES module's bare imports from NODE_PATH too; plain Node does not.
      ...(esmLookup ? ['--import', resolve(root, 'test/fixtures/lambda-node-path.mjs')] : []),
      ...(format === 'esm' ? ['--input-type=module'] : []),
      '-e',
      source,
    ],
    cwd: join(built.file, '..'),
    env,
  });
}

const sdkInside = (inputs: string[]) =>
  inputs.some((path) => path.includes('node_modules/@aws-sdk/client-cloudwatch-logs/'));

const variants = [
  { format: 'esm' as const, externalSdk: false },
  { format: 'esm' as const, externalSdk: true },
  { format: 'cjs' as const, externalSdk: false },
  { format: 'cjs' as const, externalSdk: true },
];
const label = ({ format, externalSdk }: { format: Format; externalSdk: boolean }) =>
  `${format}${externalSdk ? '-external-sdk' : ''}`;

describe('bundled with esbuild', () => {
  it("bundles README's Lambda example: it is examples/lambda.ts", () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### AWS Lambda: `cloudwatch-shipper/lambda`'));
    expect(/```ts\n([\s\S]*?)```/.exec(section)?.[1]).toBe(
      readFileSync(resolve(root, 'examples/lambda.ts'), 'utf8'),
    );
  });

  it.each(variants)(
    'the Lambda example ($format, SDK external: $externalSdk) delivers before it returns',
    async ({ format, externalSdk }) => {
      // Prepare
      const name = `lambda-${label({ format, externalSdk })}`;
      const built = await bundle('examples/lambda.ts', name, format, { externalSdk });
      const invoke =
        "const deadline = Date.now() + 5000; const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => deadline - Date.now() };";
      const source =
        format === 'esm'
          ? `const { handler } = await import(${JSON.stringify(pathToFileURL(built.file).href)}); ${invoke} console.log(JSON.stringify(await handler({ orderId: 42 }, context)));`
          : `const { handler } = require(${JSON.stringify(built.file)}); ${invoke} handler({ orderId: 42 }, context).then((r) => console.log(JSON.stringify(r)));`;
      // Act
      const child = await runBundle(built, format, source, { externalSdk, stream: name });
      // Assess: the SDK is in the bundle unless it was left to the runtime.
      expect(built.warnings).toEqual([]);
      expect(sdkInside(built.inputs)).toBe(!externalSdk);
      expect(child.stderr).toBe('');
      expect(child.code).toBe(0);
      expect(JSON.parse(child.stdout)).toEqual({ statusCode: 200, body: '{"accepted":42}' });
      expect(cwl.events('/my-app/orders', name).map((e) => JSON.parse(e.message))).toEqual([
        { requestId: 'req-1', msg: 'order received', orderId: 42 },
      ]);
    },
  );

  it.each(variants)(
    'a winston program ($format, SDK external: $externalSdk) sends its line and ends',
    async ({ format, externalSdk }) => {
      const name = `winston-${label({ format, externalSdk })}`;
      const built = await bundle('test/fixtures/bundle/winston-app.mjs', name, format, { externalSdk });
      const load =
        format === 'esm'
          ? `await import(${JSON.stringify(pathToFileURL(built.file).href)});`
          : `require(${JSON.stringify(built.file)});`;
      const child = await runBundle(built, format, load, { externalSdk, stream: name });
      expect(built.warnings).toEqual([]);
      expect(sdkInside(built.inputs)).toBe(!externalSdk);
      expect(child.stderr).toBe('');
      expect(child.code).toBe(0);
      expect(cwl.events('/bundled/winston', name).map((e) => JSON.parse(e.message))).toEqual([
        expect.objectContaining({ level: 'info', message: 'order placed', orderId: 42 }),
      ]);
    },
  );

  it.each(variants)(
    'a pino program with the main-thread stream ($format, SDK external: $externalSdk) sends its line',
    async ({ format, externalSdk }) => {
      const name = `pino-${label({ format, externalSdk })}`;
      const built = await bundle('test/fixtures/bundle/pino-app.mjs', name, format, { externalSdk });
      const load =
        format === 'esm'
          ? `await import(${JSON.stringify(pathToFileURL(built.file).href)});`
          : `require(${JSON.stringify(built.file)});`;
      const child = await runBundle(built, format, load, { externalSdk, stream: name });
      expect(built.warnings).toEqual([]);
      expect(sdkInside(built.inputs)).toBe(!externalSdk);
      expect(child.stderr).toBe('');
      expect(child.code).toBe(0);
      expect(cwl.events('/bundled/pino', name).map((e) => JSON.parse(e.message))).toEqual([
        expect.objectContaining({ level: 30, msg: 'order placed', orderId: 42 }),
      ]);
    },
  );

  it.each(variants)(
    'a worker-mode program ($format, SDK external: $externalSdk) starts its worker from the bundle and delivers at process.exit()',
    async ({ format, externalSdk }) => {
      const name = `worker-${label({ format, externalSdk })}`;
      const built = await bundle('test/fixtures/bundle/worker-exit-app.mjs', name, format, { externalSdk });
      const load =
        format === 'esm'
          ? `await import(${JSON.stringify(pathToFileURL(built.file).href)});`
          : `require(${JSON.stringify(built.file)});`;
      const child = await runBundle(built, format, load, { externalSdk, stream: name });
      expect(built.warnings).toEqual([]);
      expect(child.stderr).toBe('');
      expect(child.code).toBe(0);
      expect(child.stdout.trim()).toBe('worker');
      const stored = cwl.events('/bundled/worker', name).map((e) => e.message);
      expect(new Set(stored)).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => `line ${i}`)));
    },
  );

  it('needs the createRequire banner as ESM: without it, CommonJS code in the bundle cannot require Node modules', async () => {
    const built = await bundle('test/fixtures/bundle/winston-app.mjs', 'winston-no-banner', 'esm', {
      banner: false,
    });
    const child = await runBundle(
      built,
      'esm',
      `await import(${JSON.stringify(pathToFileURL(built.file).href)});`,
      { stream: 'no-banner' },
    );
    expect(child.code).not.toBe(0);
    expect(child.stderr).toMatch(/Dynamic require of "[^"]+" is not supported/);
  });
});
