// `npm run demo`: ships about a million realistic log events over several streams through
// LogShipper, to the bundled local endpoint (with a little throttling), to another endpoint
// (--endpoint URL), or to real CloudWatch Logs (--real, credentials and region from the environment).
import { once } from 'node:events';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { LogShipper } from 'cloudwatch-shipper';
import { startLocalCloudWatchLogs } from 'cloudwatch-shipper/testing';

const usage = `Usage: npm run demo -- [options]

  --events N            events to ship (default 1000000)
  --streams N           log streams to spread them over (default 4)
  --throttle RATE       share of requests the local endpoint throttles (default 0.05)
  --endpoint URL        ship to this CloudWatch Logs-compatible endpoint instead of the local one
  --real                ship to real CloudWatch Logs (credentials and region from the environment)
  --region REGION       AWS region (default: AWS_REGION, or us-east-1 for --endpoint)
  --log-group-name G    log group (default /cloudwatch-shipper/demo); required with --real
  --log-stream-name S   stream name prefix (default demo); streams are S-1, S-2, …
  --no-create-log-group do not create the log group when it is missing (it is, by default)
  --help                show this help`;

function fail(message) {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      streams: { type: 'string', default: '4' },
      throttle: { type: 'string', default: '0.05' },
      endpoint: { type: 'string' },
      real: { type: 'boolean', default: false },
      region: { type: 'string' },
      'log-group-name': { type: 'string' },
      'log-stream-name': { type: 'string', default: 'demo' },
      'no-create-log-group': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(error.message);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

const count = Number(args.events);
const streams = Number(args.streams);
const throttle = Number(args.throttle);
if (!Number.isInteger(count) || count < 1) fail(`--events must be a positive integer, got ${args.events}`);
if (!Number.isInteger(streams) || streams < 1 || streams > 100)
  fail('--streams must be an integer from 1 to 100');
if (!(throttle >= 0 && throttle < 1)) fail('--throttle must be a number from 0 to less than 1');
if (args.real && args.endpoint) fail('--real and --endpoint cannot be used together');
if (args.real && !args['log-group-name']) fail('--real needs --log-group-name');
if (args.real && !(args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION)) {
  fail('--real needs a region: --region, or AWS_REGION in the environment');
}

// Where to ship: the bundled endpoint unless told otherwise.
const local =
  args.real || args.endpoint
    ? undefined
    : await startLocalCloudWatchLogs({ faults: { throttleRate: throttle } });
const logGroupName = args['log-group-name'] ?? '/cloudwatch-shipper/demo';
const clientConfig = local
  ? local.clientConfig()
  : args.endpoint
    ? {
        endpoint: args.endpoint,
        region: args.region ?? process.env.AWS_REGION ?? 'us-east-1',
        ...(process.env.AWS_ACCESS_KEY_ID
          ? {}
          : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      }
    : { region: args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION };
const target = local
  ? `the bundled local endpoint (${local.endpoint})`
  : (args.endpoint ?? 'CloudWatch Logs');

// On Node 20 the SDK prints a 9-line NodeVersionSupportWarning when it makes its client: right in
// the middle of the progress. The demo says it in one line at the end instead (README, Install).
const sdkWarnsOnThisNode =
  Number(process.versions.node.split('.')[0]) < 22 &&
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED !== 'true';
if (sdkWarnsOnThisNode) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const streamNames = Array.from({ length: streams }, (_, i) => `${args['log-stream-name']}-${i + 1}`);
const shipper = new LogShipper({
  logGroupName,
  logStreamName: streamNames[0],
  clientConfig,
  createLogGroup: !args['no-create-log-group'],
  retry: { minDelayMs: 50, maxDelayMs: 2_000 },
});
let lastError;
shipper.on('error', (error) => {
  lastError = error;
});

// Realistic lines: JSON access and application logs, some with non-ASCII text.
const routes = ['/api/orders', '/api/users/42', '/health', '/api/search?q=caf%C3%A9', '/static/app.js'];
const levels = ['info', 'info', 'info', 'debug', 'warn', 'error'];
const notes = [
  'ok',
  'cache hit',
  'retrying upstream',
  'café ☕ order',
  '注文を受け付けました',
  'slow query 🐢',
];
function event(seq) {
  const status = seq % 97 === 0 ? 500 : seq % 13 === 0 ? 404 : 200;
  return JSON.stringify({
    seq,
    level: levels[seq % levels.length],
    msg: notes[seq % notes.length],
    method: seq % 5 === 0 ? 'POST' : 'GET',
    path: routes[seq % routes.length],
    status,
    durationMs: (seq * 7919) % 1500,
    requestId: `req-${seq.toString(36)}`,
  });
}

// A live progress line (redrawn in place on a terminal, every few seconds otherwise).
const tty = process.stderr.isTTY;
const started = performance.now();
let lastPrint = 0;
function progress(final = false) {
  const now = performance.now();
  if (!final && now - lastPrint < (tty ? 100 : 3_000)) return;
  lastPrint = now;
  const s = shipper.stats();
  const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  const rate = Math.round(s.sent / ((now - started) / 1000));
  const line =
    `logged ${s.logged.toLocaleString('en-US')}/${count.toLocaleString('en-US')}  ` +
    `sent ${s.sent.toLocaleString('en-US')}  in flight ${s.inFlight.toLocaleString('en-US')}  ` +
    `buffered ${s.buffered.toLocaleString('en-US')}  retries ${s.retries}  dropped ${dropped}  ` +
    `${rate.toLocaleString('en-US')} events/s`;
  process.stderr.write(tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`);
}
const ticker = setInterval(() => progress(), 100);
ticker.unref();

process.stderr.write(
  `Shipping ${count.toLocaleString('en-US')} events over ${streams} streams of ${logGroupName} to ${target}\n`,
);
const destinations = streamNames.map((logStreamName) => ({ logStreamName }));
for (let seq = 0; seq < count; seq++) {
  if (!shipper.log(event(seq), destinations[seq % streams])) {
    // Backpressure: the buffer is past its high-water mark; wait for a batch to go out.
    await Promise.race([once(shipper, 'batch'), sleep(1_000)]);
  } else if ((seq & 0x1fff) === 0) {
    await yieldToLoop();
  }
}
const closed = await shipper.close({ timeoutMs: 120_000 });
clearInterval(ticker);
progress(true);
const seconds = (performance.now() - started) / 1000;
const stats = shipper.stats();

const dropped = Object.entries(stats.dropped).filter(([, n]) => n > 0);
const summary = [
  '',
  `events     ${stats.logged.toLocaleString('en-US')} logged, ${stats.sent.toLocaleString('en-US')} sent`,
  `batches    ${stats.batches.toLocaleString('en-US')} (${(stats.bytesSent / 1024 / 1024).toFixed(1)} MiB)`,
  `retries    ${stats.retries.toLocaleString('en-US')}`,
  `dropped    ${dropped.length === 0 ? 'none' : dropped.map(([reason, n]) => `${reason} ${n}`).join(', ')}`,
  `throughput ${Math.round(stats.sent / seconds).toLocaleString('en-US')} events/s over ${seconds.toFixed(1)} s`,
];

let ok = closed.complete && stats.sent === count;
if (local) {
  // Every event carries its sequence number: check that each one is stored, once at least.
  const seen = new Uint8Array(count);
  let stored = 0;
  for (const name of streamNames) {
    for (const { message } of local.events(logGroupName, name)) {
      const at = message.indexOf('"seq":') + 6;
      seen[Number.parseInt(message.slice(at, message.indexOf(',', at)), 10)] = 1;
      stored++;
    }
  }
  const missing = count - seen.reduce((a, b) => a + b, 0);
  const cwl = local.stats();
  ok &&= missing === 0 && cwl.violations.total === 0;
  summary.push(
    `endpoint   ${stored.toLocaleString('en-US')} events stored, ${cwl.faults.throttled} requests throttled, ` +
      `${cwl.violations.total} constraint violations`,
    missing === 0
      ? `verified   the endpoint holds every one of the ${count.toLocaleString('en-US')} events`
      : `NOT verified: ${missing.toLocaleString('en-US')} events are missing from the endpoint`,
  );
  await local.close();
} else {
  summary.push(
    ok ? 'verified   every event was acknowledged by CloudWatch Logs' : 'NOT verified: see the drops above',
  );
}
if (lastError) summary.push(`last error ${lastError.message}`);

// What to try next.
const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'eu-west-1';
if (local) {
  summary.push(
    '',
    'Next: the same against real CloudWatch Logs, with the AWS credentials the SDK finds (environment,',
    'AWS_PROFILE or a role) allowed logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents:',
    `  npm run demo -- --real --region ${region} --log-group-name /cloudwatch-shipper/demo --events 10000`,
    'and, in another terminal, watch the events arrive:',
    `  aws logs tail /cloudwatch-shipper/demo --region ${region} --follow`,
  );
} else if (args.real) {
  summary.push('', 'See the events:', `  aws logs tail ${logGroupName} --region ${region} --since 1h`);
}
if (sdkWarnsOnThisNode) {
  summary.push(
    '',
    `Note: the AWS SDK's NodeVersionSupportWarning (its releases after early 2027 need Node 22; this is`,
    `${process.version}) was silenced for the demo. See README, Install.`,
  );
}
process.stdout.write(`${summary.join('\n')}\n`);
process.exitCode = ok ? 0 : 1;
