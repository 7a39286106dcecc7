import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from '../src/concurrency.js';

describe('AdaptiveLimit', () => {
  it('starts at the maximum', () => {
    expect(new AdaptiveLimit(8).limit).toBe(8);
  });

  it('halves on a throttle, once per epoch', () => {
    const limit = new AdaptiveLimit(8);
    const epoch = limit.epoch;
    expect(limit.throttled(epoch, 0)).toBe(true);
    expect(limit.limit).toBe(4);
    // Requests that were in flight before the cut report throttles of the old epoch.
    expect(limit.throttled(epoch, 0)).toBe(false);
    expect(limit.limit).toBe(4);
    expect(limit.throttled(limit.epoch, 0)).toBe(true);
    expect(limit.limit).toBe(2);
  });

  it('never goes below the minimum', () => {
    const limit = new AdaptiveLimit(8);
    for (let i = 0; i < 10; i++) limit.throttled(limit.epoch, 0);
    expect(limit.limit).toBe(1);
  });

  it('grows back by about one per round of successes, up to the maximum', () => {
    const limit = new AdaptiveLimit(8);
    limit.throttled(limit.epoch, 0);
    limit.throttled(limit.epoch, 0); // 2
    for (let i = 0; i < 2; i++) limit.succeeded(10, 0);
    expect(limit.limit).toBe(2); // 2 + 1/2 + 1/2.5 = 2.9
    limit.succeeded(10, 0);
    expect(limit.limit).toBe(3);
    for (let i = 0; i < 1000; i++) limit.succeeded(10, 0);
    expect(limit.limit).toBe(8);
  });
});

/** mulberry32, as the local endpoint's faults use: a seeded source in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('AdaptiveLimit — pacing at one request in flight', () => {
  /**
   * One request in flight, `intervalMs` apart, for `count` requests from `from`; every `refuseEvery`-th
   * one throttled (as by a saturated quota). Returns the time after the last one.
   */
  function run(limit: AdaptiveLimit, intervalMs: number, count: number, from = 0, refuseEvery = 0): number {
    let now = from;
    for (let i = 1; i <= count; i++) {
      now += limit.delayBeforeStart(now);
      const epoch = limit.epoch;
      now += intervalMs;
      if (refuseEvery > 0 && i % refuseEvery === 0) limit.throttled(epoch, now);
      else limit.succeeded(intervalMs, now);
    }
    return now;
  }

  /** Down to one request in flight, then a second of 100 starts with `refused` of every 4 throttled. */
  function saturated(): { limit: AdaptiveLimit; now: number } {
    const limit = new AdaptiveLimit(1);
    const now = run(limit, 10, 200, 0); // 2 s at 100 requests a second, all through
    return { limit, now };
  }

  it('does not pace on a few throttles among many successes', () => {
    const { limit, now } = saturated();
    limit.throttled(limit.epoch, now);
    expect(limit.rate(now)).toBe(Number.POSITIVE_INFINITY);
  });

  it('paces below what got through once most requests are refused, one start per spacing', () => {
    // Prepare: no jitter (the draw is the middle of its range).
    const limit = new AdaptiveLimit(1, 1, () => 0.5);
    let now = run(limit, 10, 200, 0);
    // Act: 100 starts a second, every second one refused: 50 a second get through.
    now = run(limit, 10, 100, now, 2);
    // Assess: pacing, from below what got through.
    const rate = limit.rate(now);
    expect(rate).toBeLessThan(50);
    expect(rate).toBeGreaterThan(1);
    const first = limit.delayBeforeStart(now + 5_000);
    const second = limit.delayBeforeStart(now + 5_000);
    expect(second - first).toBeCloseTo(1_000 / limit.rate(now + 5_000), 0);
  });

  it('jitters the spacing of paced starts around 1 / rate', () => {
    let draws: number[] = [];
    const limit = new AdaptiveLimit(1, 1, () => draws.shift() ?? 0.5);
    run(limit, 10, 200, 0);
    const now = run(limit, 10, 100, 2_000, 1);
    draws = [0, 0.999, 0.5];
    const at = now + 10_000;
    const spacing = 1_000 / limit.rate(at);
    const starts = [0, 1, 2, 3].map(() => limit.delayBeforeStart(at));
    const gaps = starts.slice(1).map((start, i) => start - (starts[i] as number));
    expect(gaps[0]).toBeCloseTo(spacing * 0.5, 1);
    expect(gaps[1]).toBeCloseTo(spacing * 1.5, 0);
  });

  it('grows the paced rate linearly and slowly between cuts', () => {
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    const [r0, r1, r2] = [0, 1_000, 2_000].map((t) => limit.rate(now + t)) as [number, number, number];
    expect(r1 - r0).toBeCloseTo(r2 - r1, 5);
    expect(r1 - r0).toBeGreaterThan(0);
    expect(r1 - r0).toBeLessThanOrEqual(r0 * 0.1);
  });

  it('takes a share off the paced rate at each throttle, less the further behind the process is', () => {
    let backlog = 0.5;
    const limit = new AdaptiveLimit(
      1,
      1,
      () => 0.5,
      () => backlog,
    );
    run(limit, 10, 200, 0);
    const now = run(limit, 10, 100, 2_000, 2) + 1_000;
    const before = limit.rate(now);
    limit.throttled(limit.epoch, now);
    expect(limit.rate(now)).toBeCloseTo(before * 0.9, 5);
    backlog = 1;
    limit.throttled(limit.epoch, now);
    expect(limit.rate(now)).toBeCloseTo(before * 0.9 * 0.95, 5);
    backlog = 0;
    limit.throttled(limit.epoch, now);
    expect(limit.rate(now)).toBeCloseTo(before * 0.9 * 0.95 * 0.85, 5);
  });

  it('takes at most half of the paced rate in a second, however many throttles come', () => {
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2) + 1_000;
    const before = limit.rate(now);
    for (let i = 0; i < 100; i++) limit.throttled(limit.epoch, now + i);
    expect(limit.rate(now + 100)).toBeGreaterThanOrEqual(before * 0.5);
    expect(limit.rate(now + 100)).toBeLessThan(before * 0.51);
  });

  it('ignores throttles of requests that started before the cut', () => {
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    const rate = limit.rate(now + 2_000);
    expect(limit.throttled(limit.epoch - 1, now + 2_000)).toBe(false);
    expect(limit.rate(now + 2_000)).toBe(rate);
  });

  it('never paces slower than one request a second', () => {
    const { limit } = saturated();
    let now = run(limit, 10, 100, 2_000, 2);
    for (let i = 0; i < 20; i++) now = run(limit, 10, 20, now + 1_000, 1); // everything refused
    expect(limit.rate(now)).toBeGreaterThanOrEqual(1);
    expect(limit.rate(now)).toBeLessThan(2);
  });

  it('grows faster the further behind the process is', () => {
    let backlog = 0;
    const limit = new AdaptiveLimit(
      1,
      1,
      () => 0.5,
      () => backlog,
    );
    let now = run(limit, 10, 200, 0);
    now = run(limit, 10, 100, now, 1);
    const idle = limit.rate(now + 1_000) - limit.rate(now);
    backlog = 1;
    const behind = limit.rate(now + 1_000) - limit.rate(now);
    expect(idle).toBeCloseTo(0.25, 5);
    expect(behind).toBeCloseTo(1.75, 5);
  });

  it('brings two processes that share a quota from unequal rates to equal ones', () => {
    // Prepare: two processes pacing at very different rates, each as far behind as the other.
    const [slow, fast] = [
      new AdaptiveLimit(1, 1, seeded(1), () => 0.5),
      new AdaptiveLimit(1, 1, seeded(2), () => 0.5),
    ];
    run(slow, 10, 200, 0);
    run(slow, 10, 100, 2_000, 1);
    run(fast, 10, 200, 0);
    run(fast, 10, 100, 2_000, 4);
    const before = slow.rate(3_000) / fast.rate(3_000);
    // Act: a minute asking as fast as each may; a fifth of every process's requests are refused,
    // as when their sum is a quarter above the quota.
    const refuse = seeded(3);
    const processes = [slow, fast].map((limit) => ({ limit, at: 3_000, delivered: 0 }));
    for (;;) {
      const p = processes[0 as number] as (typeof processes)[number];
      const next = processes.reduce((a, b) => (b.at < a.at ? b : a), p);
      if (next.at > 63_000) break;
      const start = next.at + next.limit.delayBeforeStart(next.at);
      const epoch = next.limit.epoch;
      next.at = start + 2;
      if (refuse() < 0.2) next.limit.throttled(epoch, next.at);
      else {
        next.limit.succeeded(2, next.at);
        if (next.at > 43_000) next.delivered++;
      }
    }
    // Assess: from less than half to within a fifth, in what each delivered in the last 20 s.
    expect(before).toBeLessThan(0.5);
    const [a, b] = processes.map((p) => p.delivered) as [number, number];
    expect(Math.min(a, b) / Math.max(a, b)).toBeGreaterThan(0.8);
  });

  it('stops pacing once the rate catches up with one request in flight, then grows the limit', () => {
    const limit = new AdaptiveLimit(4);
    let now = run(limit, 10, 200, 0);
    now = run(limit, 10, 100, now, 1); // a second of refusals: one in flight, then paced
    expect(limit.limit).toBe(1);
    expect(limit.rate(now)).toBeLessThan(100);
    now = run(limit, 10, 3_000, now); // no more throttles: after 5 quiet seconds the rate speeds up
    expect(limit.rate(now)).toBe(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 100; i++) limit.succeeded(10, now);
    expect(limit.limit).toBe(4);
  });
});
