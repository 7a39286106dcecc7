// Memory held per buffered event with the endpoint down, and RSS under a 10× overload.
import { spawnSync } from 'node:child_process';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LogShipper } from '../../dist/index.js';
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { line, ratio } from './util.mjs';

const MiB = 1024 * 1024;
/** EVENT_MEMORY_OVERHEAD_BYTES in src/buffers.ts: the arena's record header. */
const EVENT_MEMORY_OVERHEAD_BYTES = 24;

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
  // alone, then with a shipper whose endpoint is down, for each message size and policy.
  const maxBufferedBytes = 64 * MiB;
  const side = (mode, policy, size, thread = 'main') => {
    const child = spawnSync(
      process.execPath,
      [
        '--expose-gc',
        fileURLToPath(new URL('./overload.mjs', import.meta.url)),
        mode,
        String(maxBufferedBytes),
        policy,
        String(size),
        thread,
      ],
      { encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`overload ${mode} failed: ${child.stderr}`);
    return JSON.parse(child.stdout);
  };
  const sizes = [20, 200, 10_000, 500_000];
  const rows = sizes.map((size) => ({
    size,
    producer: side('producer', 'dropOldest', size),
    policies: ['main', 'worker'].flatMap((thread) =>
      ['dropOldest', 'dropNewest'].map((policy) => ({
        policy: `${policy}, ${thread}`,
        ...side('shipper', policy, size, thread),
      })),
    ),
  }));

  const fmt = (bytes) => `${(bytes / MiB).toFixed(1)} MiB`;
  console.log('\n## Memory with the endpoint down');
  console.log(
    `held ${held.toLocaleString('en-US')} events of ${messageBytes} bytes: heap +${heapPerEvent.toFixed(0)} B/event, ` +
      `RSS +${rssPerEvent.toFixed(0)} B/event`,
  );
  console.log(
    `  → RSS per event − message bytes = ${(rssPerEvent - messageBytes).toFixed(0)} B ` +
      `(the arena's record header: ${EVENT_MEMORY_OVERHEAD_BYTES} B)`,
  );
  const bound = maxBufferedBytes + 32 * MiB;
  console.log(
    `10× overload of maxBufferedBytes ${fmt(maxBufferedBytes)}, endpoint down: peak RSS growth from a started ` +
      `shipper (ready(); a start's own cost is the cold-start section's), beside the bound maxBufferedBytes + 32 MiB = ${fmt(bound)}`,
  );
  for (const { size, producer, policies } of rows) {
    const name = size >= 1000 ? `${size / 1000} KB` : `${size} B`;
    console.log(
      `  messages of ${name.padEnd(6)} (${policies[0].count.toLocaleString('en-US')} logged): ` +
        `the producer alone ${fmt(producer.growth)}`,
    );
    for (const { policy, growth, overflow, held } of policies) {
      const net = growth - producer.growth;
      // What the buffers held at the end, headers included: the bound reached, or not.
      const heldBytes = held * (size + EVENT_MEMORY_OVERHEAD_BYTES);
      console.log(
        `    ${policy.padEnd(18)} ${fmt(growth).padStart(10)} (${overflow.toLocaleString('en-US')} dropped as overflow, ` +
          `${fmt(heldBytes)} held)` +
          ` → ${ratio(growth, bound)} of the bound (target ≤ 1×); less the producer's ${fmt(net)}: ${ratio(net, bound)}`,
      );
    }
  }
}
