import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IdleEntry, IdleQueue } from '../src/idle.js';
import { type Linked, Registry } from '../src/worker/remote.js';

interface Entry extends IdleEntry {
  readonly n: number;
  /** Whether the sweep may let it go now (it holds nothing). */
  busy: boolean;
  forgotten: boolean;
}

const entry = (n: number): Entry => ({
  n,
  usedInPeriod: -1,
  queuedForSweep: false,
  busy: false,
  forgotten: false,
});

describe('IdleQueue', () => {
  it('lets an entry go between one and two idle times after its last use, never a busy one', () => {
    // A model run: entries used (or made busy) at random between sweeps of `idle` periods.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('use' as const), n: fc.nat(7) }),
      fc.record({ kind: fc.constant('busy' as const), n: fc.nat(7), busy: fc.boolean() }),
      fc.record({ kind: fc.constant('sweep' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.array(op, { maxLength: 200 }), (idle, ops) => {
        const queue = new IdleQueue<Entry>(idle, 1);
        const entries = Array.from({ length: 8 }, (_, n) => entry(n));
        const lastUse = new Array<number>(8).fill(-1);
        let period = 0;
        for (const o of ops) {
          if (o.kind === 'use') {
            const e = entries[o.n] as Entry;
            e.forgotten = false;
            queue.used(e);
            lastUse[o.n] = period;
          } else if (o.kind === 'busy') {
            (entries[o.n] as Entry).busy = o.busy;
          } else {
            period++;
            queue.sweep((e) => {
              if (e.busy) return false;
              // Never before an idle time has passed since its last use.
              expect(period - (lastUse[e.n] as number)).toBeGreaterThanOrEqual(idle);
              expect(e.forgotten).toBe(false);
              e.forgotten = true;
              return true;
            });
            for (const e of entries) {
              // Used, never made busy, and unused for two idle times: let go by now.
              const since = period - (lastUse[e.n] as number);
              const everBusy = ops.some((x) => x.kind === 'busy' && x.n === e.n);
              if ((lastUse[e.n] as number) >= 0 && !everBusy && since >= 2 * idle)
                expect(e.forgotten).toBe(true);
            }
          }
        }
      }),
    );
  });

  it('stops a sweep where the caller says, and takes it up at the next', () => {
    const queue = new IdleQueue<Entry>(2, 1);
    const [a, b] = [entry(0), entry(1)];
    queue.used(a);
    queue.used(b);
    const seen: number[] = [];
    queue.sweep(() => true);
    queue.sweep((e) => {
      seen.push(e.n);
      return undefined;
    });
    expect(seen).toEqual([0]);
    const later: number[] = [];
    queue.sweep((e) => {
      later.push(e.n);
      return true;
    });
    expect(later).toEqual([0, 1]);
  });
});

describe("worker mode's registry on the program's thread", () => {
  const make = () => new Registry(() => {}, 2, 1);
  const sweeps = (registry: Registry, n: number) => {
    for (let i = 0; i < n; i++) registry.sweep();
  };

  it('lets an unused destination go and gives its id to the next new one', () => {
    const registry = make();
    const a = registry.stream('g', 'a') as Linked;
    const b = registry.stream('g', 'b') as Linked;
    expect([a.id, b.id]).toEqual([0, 1]);
    registry.used(a);
    registry.used(b);
    sweeps(registry, 1);
    registry.used(b);
    sweeps(registry, 2);
    // a went unused for two sweeps; b was used since.
    expect(registry.lookup('g', 'a')).toBeUndefined();
    expect(registry.lookup('g', 'b')).toBe(b);
    expect(registry.size).toBe(1);
    const c = registry.stream('g', 'c') as Linked;
    expect(c.id).toBe(a.id);
    expect(c.defined).toBe(false);
    // The same names again are a new destination, which the worker is told of afresh.
    const again = registry.stream('g', 'a') as Linked;
    expect(again).not.toBe(a);
    expect(again.id).toBe(2);
  });

  it('keeps the pinned destination and one owed drops', () => {
    const registry = make();
    const pinned = registry.stream('g', 'default') as Linked;
    registry.pin(pinned);
    const owed = registry.stream('g', 'owed') as Linked;
    owed.owed = new Map([['overflow', 1]]);
    registry.used(pinned);
    registry.used(owed);
    sweeps(registry, 5);
    expect(registry.lookup('g', 'default')).toBe(pinned);
    expect(registry.lookup('g', 'owed')).toBe(owed);
    owed.owed = undefined;
    sweeps(registry, 3);
    expect(registry.lookup('g', 'owed')).toBeUndefined();
    expect(registry.size).toBe(1);
  });

  it('holds as many ids as destinations in use, however many come and go', () => {
    const registry = make();
    let most = 0;
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 10; k++) {
        const linked = registry.stream('g', `r${round}-${k}`) as Linked;
        registry.used(linked);
        most = Math.max(most, linked.id);
      }
      registry.sweep();
    }
    expect(most).toBeLessThan(40);
    expect(registry.size).toBeLessThanOrEqual(30);
  });
});
