import fc from 'fast-check';
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

  /** Down to one request in flight, then two seconds of 100 starts a second, all through. */
  function saturated(random = () => 0.5): { limit: AdaptiveLimit; now: number } {
    const limit = new AdaptiveLimit(1, 1, undefined, random);
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

  it('jitters the spacing of paced starts between half and one and a half of 1 / rate', () => {
    // Prepare
    let draw = 0;
    const { limit } = saturated(() => draw);
    const now = run(limit, 10, 100, 2_000, 2);
    limit.delayBeforeStart(now);
    const spacing = 1_000 / limit.rate(now);
    // Act
    const gaps = [0, 0.5, 0.999].map((value) => {
      draw = value;
      const first = limit.delayBeforeStart(now);
      return limit.delayBeforeStart(now) - first;
    });
    // Assess
    expect(gaps[0]).toBeCloseTo(spacing * 0.5, 0);
    expect(gaps[1]).toBeCloseTo(spacing, 0);
    expect(gaps[2]).toBeCloseTo(spacing * 1.5, 0);
  });

  it('grows the paced rate by 0.5 request/s plus 2 % of it each second', () => {
    // Prepare
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    // Act
    const [r0, r1, r2] = [0, 1_000, 2_000].map((t) => limit.rate(now + t)) as [number, number, number];
    // Assess: the same step for a process at 1 request/s and one at 100, but for the 2 %.
    expect(r1 - r0).toBeCloseTo(r2 - r1, 5);
    expect(r1 - r0).toBeCloseTo(0.5 + 0.02 * r0, 1);
  });

  it('does not grow the paced rate while the process has nothing to send', () => {
    // Prepare
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    const before = limit.rate(now);
    // Act: the next request comes 20 s later (without the pause it would be 5 quiet seconds and more)
    limit.delayBeforeStart(now + 20_000);
    // Assess
    expect(limit.rate(now + 20_000)).toBeLessThan(before * 1.1);
  });

  it('asks from ×¼ with nothing waiting to ×4 with the buffers full', () => {
    // Prepare
    let backlog = 0;
    const limit = new AdaptiveLimit(
      1,
      1,
      () => backlog,
      () => 0.5,
    );
    let now = run(limit, 10, 200, 0);
    now = run(limit, 10, 100, now, 2);
    // Act
    const empty = limit.rate(now);
    backlog = 0.5;
    const half = limit.rate(now);
    backlog = 1;
    const full = limit.rate(now);
    backlog = 2; // more than the room (a burst above the bounds): as full
    const over = limit.rate(now);
    // Assess
    expect(half / empty).toBeCloseTo(4, 5);
    expect(full / empty).toBeCloseTo(16, 5);
    expect(over).toBe(full);
  });

  it('lets enough requests wait for their paced turns to keep the rate when requests are slow', () => {
    // Prepare: paced at one request in flight, requests taking 10 ms
    const limit = new AdaptiveLimit(8, 1, undefined, () => 0.5);
    let now = run(limit, 10, 200, 0);
    now = run(limit, 10, 100, now, 1);
    expect(limit.isPacing).toBe(true);
    const fast = limit.limit;
    // Act: requests now take 1 s (a loaded host, a distant endpoint)
    for (let i = 0; i < 30; i++) {
      now += 10;
      limit.succeeded(1_000, now);
    }
    // Assess: the rate × the latency (about 1 s by now), with half as much again, up to the maximum
    const expected = Math.min(8, Math.ceil((limit.rate(now) / 1_000) * 1_000 * 1.5));
    expect(limit.limit).toBeGreaterThan(fast);
    expect(limit.limit).toBeLessThanOrEqual(expected);
    expect(limit.limit).toBeGreaterThanOrEqual(Math.min(8, Math.ceil((limit.rate(now) / 1_000) * 990 * 1.5)));
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

  it('cuts the paced rate to 75 % of what it asked, however few got through that second', () => {
    // 0 to 18 of 20: from all refused to the fewest refusals that still cut (3 of 21 with the cut's own)
    for (let through = 0; through <= 18; through++) {
      // Prepare: paced, then a second in which `through` of 20 requests got through: a draw, at a
      // few requests a second, that the cut must not carry into the rate
      const { limit } = saturated();
      let now = run(limit, 10, 100, 2_000, 2);
      const stale = limit.epoch - 1;
      for (let i = 0; i < 20; i++) {
        now += 50;
        if (i < through) limit.succeeded(10, now);
        else limit.throttled(stale, now);
      }
      const asked = limit.rate(now);
      // Act
      limit.throttled(limit.epoch, now);
      // Assess
      expect(limit.rate(now) / asked).toBeCloseTo(0.75, 5);
    }
  });

  it('ignores throttles of requests that started before the cut', () => {
    const { limit } = saturated();
    const now = run(limit, 10, 100, 2_000, 2);
    const rate = limit.rate(now + 2_000);
    expect(limit.throttled(limit.epoch - 1, now + 2_000)).toBe(false);
    expect(limit.rate(now + 2_000)).toBe(rate);
  });

  it('never paces slower than half the best recent second, and lets an old best go', () => {
    // Prepare
    const { limit } = saturated();
    let now = run(limit, 10, 100, 2_000, 2); // about 50 a second got through: floor about 25/s
    // Act: everything refused from then on
    now = run(limit, 10, 20, now + 1_000, 1);
    const soon = limit.rate(now);
    for (let i = 0; i < 60; i++) now = run(limit, 10, 20, now + 1_000, 1);
    const later = limit.rate(now);
    // Assess: a quota that others took meanwhile is not held on to.
    expect(soon).toBeGreaterThanOrEqual(25 * 0.8 ** 2);
    expect(soon).toBeLessThan(100);
    expect(later).toBeLessThan(10);
  });

  it('stops pacing once the rate catches up with one request in flight, then grows the limit', () => {
    const limit = new AdaptiveLimit(4);
    let now = run(limit, 10, 200, 0);
    now = run(limit, 10, 100, now, 1); // a second of refusals: one in flight, then paced
    expect(limit.isPacing).toBe(true);
    expect(limit.rate(now)).toBeLessThan(100);
    now = run(limit, 10, 3_000, now); // no more throttles: after 5 quiet seconds the rate speeds up
    expect(limit.rate(now)).toBe(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 100; i++) limit.succeeded(10, now);
    expect(limit.limit).toBe(4);
  });
});

describe('AdaptiveLimit — processes that share a quota', () => {
  /** A seeded draw in [0, 1), so that a property's case replays. */
  function seeded(seed: number): () => number {
    let x = seed | 1;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
  }

  /**
   * Processes that always have a batch waiting, one request in flight each, from `fromMs` to
   * `untilMs` against one quota of `quota` requests in any second (as the local endpoint's
   * `tpsLimit` counts them), answering in 5 ms. Returns each one's successes from `measureFromMs`.
   */
  function share(
    limits: AdaptiveLimit[],
    quota: number,
    fromMs: number,
    untilMs: number,
    measureFromMs = fromMs,
    /** Told the time of every step, and each success (by the index of its limit). */
    hooks: { time?: (now: number) => void; delivered?: (i: number) => void } = {},
  ) {
    const admitted: number[] = [];
    const admit = (now: number): boolean => {
      while (admitted.length > 0 && (admitted[0] as number) <= now - 1_000) admitted.shift();
      if (admitted.length >= quota) return false;
      admitted.push(now);
      return true;
    };
    const state = limits.map(() => ({
      at: fromMs,
      phase: 'ask' as 'ask' | 'start' | 'done',
      epoch: 0,
      ok: false,
    }));
    const delivered = limits.map(() => 0);
    for (;;) {
      let i = 0;
      for (let j = 1; j < state.length; j++)
        if ((state[j] as { at: number }).at < (state[i] as { at: number }).at) i = j;
      const s = state[i] as (typeof state)[number];
      const limit = limits[i] as AdaptiveLimit;
      if (s.at >= untilMs) break;
      hooks.time?.(s.at);
      if (s.phase === 'ask') {
        s.at += limit.delayBeforeStart(s.at);
        s.phase = 'start';
      } else if (s.phase === 'start') {
        s.epoch = limit.epoch;
        s.ok = admit(s.at);
        s.at += LATENCY_MS;
        s.phase = 'done';
      } else {
        if (s.ok) {
          limit.succeeded(LATENCY_MS, s.at);
          if (s.at >= measureFromMs) delivered[i] = (delivered[i] as number) + 1;
          hooks.delivered?.(i);
        } else {
          limit.throttled(s.epoch, s.at);
        }
        s.phase = 'ask';
      }
    }
    return delivered;
  }
  const LATENCY_MS = 5;

  it('converges to equal rates from unequal starts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 60 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 10, max: 30 }),
        fc.integer(),
        (aloneA, aloneB, quota, seed) => {
          // Prepare: each paces alone first, against a quota of its own, so they start far apart.
          const a = new AdaptiveLimit(1, 1, undefined, seeded(seed));
          const b = new AdaptiveLimit(1, 1, undefined, seeded(seed + 1));
          share([a], aloneA, 0, 3_000);
          share([b], aloneB, 0, 3_000);
          const [startA, startB] = [a.rate(3_000), b.rate(3_000)];
          // Act: then they share one quota for a minute.
          const [deliveredA, deliveredB] = share([a, b], quota, 3_000, 63_000, 33_000) as [number, number];
          // Assess: the last 30 s split nearer evenly than the 2.5× or more they started apart (the
          // law before this one: down to 0.01 in these cases). Not evenly: which request gets
          // through is a draw, and who got through holds on to the slots a quota counted over a
          // sliding second frees; the backlog factor (next test) evens that out.
          expect(startA / startB).toBeGreaterThan(2.5);
          const fairness = Math.min(deliveredA, deliveredB) / Math.max(deliveredA, deliveredB);
          expect(fairness).toBeGreaterThanOrEqual(0.25);
        },
      ),
      { numRuns: 25, seed: 12 },
    );
  });

  it('shares a quota evenly between processes that ship alike, from unequal starts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 60 }),
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 10, max: 30 }),
        fc.integer(),
        (aloneA, aloneB, quota, seed) => {
          // Prepare: two processes that each produce 60 % of the quota (in requests), with room for
          // 3 s of it, start far apart as above; the backlog each reports is what it has produced
          // and not delivered.
          const produced = (0.6 * quota) / 1_000; // requests per ms
          const room = produced * 3_000;
          let deliveredA = 0;
          let deliveredB = 0;
          const behind = (delivered: () => number, now: () => number) => () =>
            (produced * now() - delivered()) / room;
          let clock = 0;
          const a = new AdaptiveLimit(
            1,
            1,
            behind(
              () => deliveredA,
              () => clock,
            ),
            seeded(seed),
          );
          const b = new AdaptiveLimit(
            1,
            1,
            behind(
              () => deliveredB,
              () => clock,
            ),
            seeded(seed + 1),
          );
          share([a], aloneA, 0, 3_000);
          share([b], aloneB, 0, 3_000);
          // Act: a minute sharing one quota, counting what each delivered as it goes.
          const counted = share([a, b], quota, 3_000, 63_000, 3_000, {
            time: (now) => {
              clock = now;
            },
            delivered: (i) => {
              if (i === 0) deliveredA++;
              else deliveredB++;
            },
          }) as [number, number];
          // Assess: over the whole minute, start included (the law before this one: down to 0.02).
          const fairness = Math.min(...counted) / Math.max(...counted);
          expect(fairness).toBeGreaterThanOrEqual(0.55);
        },
      ),
      { numRuns: 25, seed: 12 },
    );
  });

  /**
   * A fleet as in `npm run bench fleet`: `processes` that each produce `overload` × their share of
   * a quota of `quota` requests in any second, in events, for `productionMs`, with room for 4 s of
   * their production (beyond it, events are lost). A batch of up to 250 events goes when full or a
   * second after the last; requests take 10 to 30 ms; one in flight per process. Returns what each
   * delivered by the end of production, and what each lost.
   */
  function fleet(seed: number, processes = 8, quota = 40, overload = 1.2, productionMs = 15_000) {
    const BATCH = 250;
    const draw = seeded(seed);
    const perMs = (quota * BATCH * overload) / processes / 1_000;
    const room = perMs * 4_000;
    const admitted: number[] = [];
    const admit = (now: number): boolean => {
      while (admitted.length > 0 && (admitted[0] as number) <= now - 1_000) admitted.shift();
      if (admitted.length >= quota) return false;
      admitted.push(now);
      return true;
    };
    const fleet = Array.from({ length: processes }, (_, i) => {
      const p = {
        at: draw() * 10,
        phase: 'wait' as 'wait' | 'start' | 'done',
        produced: 0,
        delivered: 0,
        lost: 0,
        carried: 0,
        lastStart: Number.NEGATIVE_INFINITY,
        epoch: 0,
        ok: false,
        limit: undefined as unknown as AdaptiveLimit,
      };
      p.limit = new AdaptiveLimit(
        8,
        1,
        () => (p.produced - p.delivered - p.lost) / room,
        seeded(seed + i + 1),
      );
      return p;
    });
    for (;;) {
      const p = fleet.reduce((a, b) => (b.at < a.at ? b : a));
      if (p.at >= productionMs) break;
      p.produced = p.at * perMs;
      p.lost = Math.max(p.lost, p.produced - p.delivered - room);
      const pending = p.produced - p.delivered - p.lost;
      if (p.phase === 'wait') {
        if (pending >= BATCH || (pending >= 1 && p.at - p.lastStart >= 1_000)) {
          p.at += p.limit.delayBeforeStart(p.at);
          p.phase = 'start';
        } else p.at += 10;
      } else if (p.phase === 'start') {
        p.epoch = p.limit.epoch;
        p.carried = Math.min(BATCH, Math.floor(pending));
        p.ok = admit(p.at);
        p.lastStart = p.at;
        p.at += 10 + draw() * 20;
        p.phase = 'done';
      } else {
        if (p.ok) {
          p.limit.succeeded(20, p.at);
          p.delivered += p.carried;
        } else p.limit.throttled(p.epoch, p.at);
        p.phase = 'wait';
      }
    }
    return { delivered: fleet.map((p) => p.delivered), lost: fleet.map((p) => p.lost) };
  }

  it('shares a quota fairly across a fleet of 8 that together ship 1.2× it, as in bench fleet', () => {
    // Prepare, Act: 20 fleets, each its own draw
    const fairness = Array.from({ length: 20 }, (_, i) => {
      const { delivered } = fleet(i + 1);
      return Math.min(...delivered) / Math.max(...delivered);
    }).sort((a, b) => a - b);
    // Assess: the slowest ÷ the fastest by the end of production, as the bench measures it. The
    // law before this one (it cut each process to what got through, a draw): a median of 0.81, the
    // third lowest 0.73; this one: 0.91 and 0.86. Not every fleet at 0.85 (the lowest: 0.74):
    // which request gets through is still a draw.
    expect(fairness[10]).toBeGreaterThanOrEqual(0.85);
    expect(fairness[2]).toBeGreaterThanOrEqual(0.8);
  });

  it('gives a process further behind a larger share, until it catches up', () => {
    // Prepare: alike but for the backlog.
    const behind = new AdaptiveLimit(1, 1, () => 0.9, seeded(1));
    const ahead = new AdaptiveLimit(1, 1, () => 0.1, seeded(2));
    // Act
    const [fromBehind, fromAhead] = share([behind, ahead], 20, 0, 20_000, 5_000) as [number, number];
    // Assess
    expect(fromBehind).toBeGreaterThan(fromAhead * 1.5);
  });
});
