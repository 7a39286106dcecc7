// `npm run bench [section...]`: prints speed and memory as ratios against baselines measured in
// the same run. Not a test: nothing here passes or fails.
import { machine } from './util.mjs';

// The SDK warns once per process that its 2027 releases need Node 22 (see README).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const sections = {
  batcher: () => import('./batcher.mjs'),
  ingest: () => import('./ingest.mjs'),
  e2e: () => import('./e2e.mjs'),
  memory: () => import('./memory.mjs'),
  adaptive: () => import('./adaptive.mjs'),
  fleet: () => import('./fleet.mjs'),
  'loop-delay': () => import('./loop-delay.mjs'),
  exit: () => import('./exit.mjs'),
  coldstart: () => import('./coldstart.mjs'),
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(sections);
console.log(`# cloudwatch-shipper bench — ${machine()}`);
for (const name of names) {
  const load = sections[name];
  if (!load) {
    console.error(`unknown section "${name}"; sections: ${Object.keys(sections).join(', ')}`);
    process.exit(2);
  }
  await (await load()).run();
}
