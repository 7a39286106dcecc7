// Builds the AWS Lambda layer: a zip holding `nodejs/node_modules/cloudwatch-shipper` (the files
// `npm pack` would publish) and its runtime dependencies, laid out as they are installed here,
// without `@aws-sdk/*`: the Node.js Lambda runtimes provide the SDK. Run after `npm run build`
// (`npm run build:layer` does both). Writes dist-layer/layer.zip, or the path given with `--out`:
// outside dist/, so that the layer, an artifact of its own, never ends up in the npm package.
//
// Offline and deterministic: dependencies are copied from this checkout's node_modules (the
// versions package-lock.json pins), entries are sorted and stamped with one fixed time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { zipSync } from 'fflate';

/** Packages the Lambda runtime provides; neither they nor what only they need go in the layer. */
const PROVIDED_BY_RUNTIME = /^@aws-sdk\//;
/** Lambda puts `/opt/nodejs/node_modules` on NODE_PATH. */
const LAYER_PREFIX = 'nodejs/node_modules';
const FIXED_TIME = new Date(2020, 0, 1);

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'dist-layer/layer.zip'));

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (!existsSync(join(root, 'dist/index.js'))) {
  throw new Error('dist/ is not built: run `npm run build` first (or `npm run build:layer`)');
}

/** @type {Map<string, Uint8Array>} layer path → content */
const files = new Map();

// The package itself: exactly what `npm pack` would put in the tarball.
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }),
);
for (const { path } of packed[0].files) {
  files.set(`${LAYER_PREFIX}/${manifest.name}/${path}`, readFileSync(join(root, path)));
}

// Its runtime dependencies, found the way Node finds them: from the dependent's folder upwards.
const included = new Set();
const pending = Object.keys(manifest.dependencies ?? {}).map((name) => ({ name, from: root }));
while (pending.length > 0) {
  const { name, from } = /** @type {{ name: string, from: string }} */ (pending.pop());
  if (PROVIDED_BY_RUNTIME.test(name)) continue;
  const folder = locate(name, from);
  if (folder === undefined)
    throw new Error(`${name}, needed by ${relative(root, from) || 'the package'}, is not installed`);
  if (included.has(folder)) continue;
  included.add(folder);
  const dependency = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
  for (const next of Object.keys(dependency.dependencies ?? {})) pending.push({ name: next, from: folder });
  for (const next of Object.keys(dependency.optionalDependencies ?? {})) {
    if (locate(next, folder) !== undefined) pending.push({ name: next, from: folder });
  }
  // node_modules/a/node_modules/b goes to nodejs/node_modules/a/node_modules/b: the same lookup works there.
  const target = `nodejs/${relative(root, folder).split(sep).join('/')}`;
  for (const file of walk(folder)) {
    files.set(`${target}/${relative(folder, file).split(sep).join('/')}`, readFileSync(file));
  }
}

/** The folder of package `name` as required from `from`, or undefined. */
function locate(name, from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/** Every file under `folder`, without nested node_modules (their packages are added on their own). */
function* walk(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* walk(path);
    } else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) {
      yield path;
    }
  }
}

/** @type {import('fflate').Zippable} */
const zippable = {};
for (const path of [...files.keys()].sort()) {
  zippable[path] = [/** @type {Uint8Array} */ (files.get(path)), { os: 3, attrs: (0o100644 << 16) >>> 0 }];
}
const zip = zipSync(zippable, { level: 9, mtime: FIXED_TIME });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zip);

const packages = [...included].map((folder) => relative(join(root, 'node_modules'), folder)).sort();
process.stdout.write(
  `${relative(process.cwd(), out) || out}: ${(zip.length / 1024).toFixed(1)} KiB, ${files.size} files; ` +
    `${manifest.name} with ${packages.join(', ')} (without @aws-sdk/*, which Lambda provides)\n`,
);
