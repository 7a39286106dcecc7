// Shared helpers for the benchmarks: timing, formatting and realistic messages.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * The calling thread's CPU time so far, in nanoseconds (Linux: /proc/thread-self/schedstat), or
 * undefined where there is no such file. The kernel brings a running thread's figure up to date
 * when the thread is switched out: a 1 ms sleep first (no CPU) makes the figure exact to now.
 */
export function threadCpuNs() {
  try {
    Atomics.wait(pause, 0, 0, 1);
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ', 1)[0]);
  } catch {
    return undefined;
  }
}

export function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, Node ${process.version}`;
}

/** Best of `runs` timings of `fn`, in milliseconds, after one warm-up run. */
export function best(fn, runs = 5) {
  fn();
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms < min) min = ms;
  }
  return min;
}

export async function bestAsync(fn, runs = 3) {
  await fn();
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (ms < min) min = ms;
  }
  return min;
}

export const rate = (count, ms) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')} events/s`;
export const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

const words = [
  'GET',
  'POST',
  '/api/orders',
  '/health',
  'user=42',
  'status=200',
  'ms=13',
  'cache=hit',
  'region=eu',
];

/** A ~100-byte line that looks like an access log, different for each i. */
export function line(i) {
  const a = words[i % words.length];
  const b = words[(i * 7) % words.length];
  return `2026-11-21T12:00:00.000Z INFO req-${i.toString(36).padStart(8, '0')} ${a} ${b} took=${i % 997}ms ok`.padEnd(
    100,
    '.',
  );
}

/** Deterministic shuffle (xorshift), so every run measures the same order. */
export function shuffle(array, seed = 42) {
  let x = seed;
  for (let i = array.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    const t = array[i];
    array[i] = array[j];
    array[j] = t;
  }
  return array;
}
