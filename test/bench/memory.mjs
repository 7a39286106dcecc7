// Memory held per buffered event with the endpoint down, and RSS under a 10× overload.
import { spawnSync } from 'node:child_process';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { line, ratio } from './util.mjs';

const MiB = 1024 * 1024;

function settle() {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  return process.memoryUsage();
}

async function fill(shipper, count) {
  for (let i = 0; i < count; i++) {
    shipper.log(line(i));
    if ((i & 0xffff) === 0) await yieldToLoop();
  }
}

export async function run() {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  const cwl = await startLocalCloudWatchLogs();
  const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
  cwl.setFaults({ downForMs: 3_600_000 });
  const quiet = { client, flushIntervalMs: 3_600_000, retry: { minDelayMs: 1_000, maxDelayMs: 1_000 } };

  // 1. Per buffered event: 1,000,000 events held, nothing sent.
  const N = 1_000_000;
  const messageBytes = Buffer.byteLength(line(1));
  const shipper = new LogShipper({
    logGroupName: 'bench',
    logStreamName: 'memory',
    maxBufferedEvents: N,
    maxBufferedBytes: 4 * 1024 * MiB,
    maxBatchEvents: 10_000,
    ...quiet,
  });
  shipper.on('error', () => {});
  const before = settle();
  await fill(shipper, N);
  const after = settle();
  const held = shipper.stats().buffered + shipper.stats().inFlight;
  const heapPerEvent = (after.heapUsed - before.heapUsed) / held;
  const rssPerEvent = (after.rss - before.rss) / held;
  await shipper.close({ timeoutMs: 0 });

  client.destroy();
  await cwl.close();

  // 2. A 10× overload against the byte bound, each side in a fresh process: the same producer
  // alone, then with a shipper whose endpoint is down.
  const maxBufferedBytes = 64 * MiB;
  const side = (mode, policy = 'dropOldest') => {
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        fileURLToPath(new URL('./overload.mjs', import.meta.url)),
        mode,
        String(maxBufferedBytes),
        policy,
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`overload ${mode} failed: ${child.stderr}`);
    return JSON.parse(child.stdout);
  };
  const producer = side('producer');
  const policies = ['dropOldest', 'dropNewest'].map((policy) => ({ policy, ...side('shipper', policy) }));

  const fmt = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
  console.log('\n## Memory with the endpoint down (messages of ~100 bytes)');
  console.log(
    `held ${held.toLocaleString('en-US')} events: heap +${heapPerEvent.toFixed(0)} B/event, RSS +${rssPerEvent.toFixed(0)} B/event`,
  );
  console.log(
    `  → heap per event − message bytes = ${(heapPerEvent - messageBytes).toFixed(0)} B (target ≤ 120 B)`,
  );
  const target = maxBufferedBytes + 64 * MiB;
  console.log(
    `10× overload: ${policies[0].count.toLocaleString('en-US')} events into maxBufferedBytes ${fmt(maxBufferedBytes)}, ` +
      `endpoint down; the same producer alone grows RSS by ${fmt(producer.growth)}`,
  );
  for (const { policy, growth, overflow } of policies) {
    console.log(
      `  ${policy.padEnd(10)} peak RSS growth ${fmt(growth)} (${overflow.toLocaleString('en-US')} dropped as overflow)` +
        ` → ${ratio(growth, target)} of maxBufferedBytes + 64 MiB (target ≤ 1×)`,
    );
  }
}
