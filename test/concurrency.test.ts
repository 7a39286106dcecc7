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

  it('paces below the rate it ran at once most requests are refused, one start per spacing', () => {
    const { limit } = saturated();
    // 100 starts a second, every second one refused: 50 a second get through.
    const now = run(limit, 10, 100, 2_000, 2);
    const rate = limit.rate(now);
    expect(rate).toBeLessThan(100);
    expect(rate).toBeGreaterThanOrEqual(25); // half the best second seen while pacing
    const first = limit.delayBeforeStart(now + 5_000);
    const second = limit.delayBeforeStart(now + 5_000);
    expect(second - first).toBeCloseTo(1_000 / limit.rate(now + 5_000), 0);
  });

  it('grows the paced rate linearly and slowly between cuts', () => {
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    const [r0, r1, r2] = [0, 1_000, 2_000].map((t) => limit.rate(now + t)) as [number, number, number];
    expect(r1 - r0).toBeCloseTo(r2 - r1, 5);
    expect(r1 - r0).toBeGreaterThan(0);
    expect(r1 - r0).toBeLessThanOrEqual(r0 * 0.1);
  });

  it('cuts the paced rate at most once a second, however many throttles come', () => {
    const { limit } = saturated();
    let now = run(limit, 10, 100, 2_000, 2);
    const cuts: number[] = [];
    let rate = limit.rate(now);
    for (let i = 0; i < 300; i++) {
      now += 10;
      limit.throttled(limit.epoch, now);
      const next = limit.rate(now);
      if (next < rate) cuts.push(now);
      rate = next;
    }
    expect(cuts.length).toBeGreaterThan(0);
    for (let i = 1; i < cuts.length; i++)
      expect((cuts[i] as number) - (cuts[i - 1] as number)).toBeGreaterThanOrEqual(1_000);
  });

  it('ignores throttles of requests that started before the cut', () => {
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    const rate = limit.rate(now + 2_000);
    expect(limit.throttled(limit.epoch - 1, now + 2_000)).toBe(false);
    expect(limit.rate(now + 2_000)).toBe(rate);
  });

  it('never paces slower than half the best second seen', () => {
    const { limit } = saturated();
    let now = run(limit, 10, 100, 2_000, 2); // about 50 a second got through: floor about 25/s
    for (let i = 0; i < 20; i++) now = run(limit, 10, 20, now + 1_000, 1); // everything refused
    expect(limit.rate(now)).toBeGreaterThanOrEqual(20);
    expect(limit.rate(now)).toBeLessThan(100);
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
