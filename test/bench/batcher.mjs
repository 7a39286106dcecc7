// Batcher throughput on 1,000,000 ~100-byte events, sorted and shuffled, against a bare
// Array.prototype.sort + greedy loop measured in the same run.
import { createBatches, EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from '../../dist/index.js';
import { best, line, rate, ratio, shuffle } from './util.mjs';

const N = 1_000_000;

function baseline(events) {
  const sorted = events.slice().sort((a, b) => a.timestamp - b.timestamp);
  let batches = 0;
  let count = 0;
  let bytes = 0;
  for (const e of sorted) {
    const size = e.bytes + EVENT_OVERHEAD_BYTES;
    if (count === MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES) {
      batches++;
      count = 0;
      bytes = 0;
    }
    count++;
    bytes += size;
  }
  return batches + 1;
}

export function run() {
  const now = Date.now();
  const sorted = Array.from({ length: N }, (_, i) => {
    const message = line(i);
    return { timestamp: now - N + i, message, bytes: Buffer.byteLength(message), kind: 'event' };
  });
  const shuffled = shuffle(sorted.slice());

  const batcherSorted = best(() => createBatches(sorted, { now }));
  const batcherShuffled = best(() => createBatches(shuffled, { now }));
  const baseSorted = best(() => baseline(sorted));
  const baseShuffled = best(() => baseline(shuffled));

  console.log('\n## Batcher (1,000,000 events of ~100 bytes)');
  console.log(`sorted input:    ${rate(N, batcherSorted)}  (target ≥ 5,000,000 events/s)`);
  console.log(
    `  bare sort+loop ${rate(N, baseSorted)}  → batcher/baseline time ${ratio(batcherSorted, baseSorted)}`,
  );
  console.log(`shuffled input:  ${rate(N, batcherShuffled)}`);
  console.log(
    `  bare sort+loop ${rate(N, baseShuffled)}  → batcher/baseline time ${ratio(batcherShuffled, baseShuffled)} (target ≤ 1.5×)`,
  );
}
