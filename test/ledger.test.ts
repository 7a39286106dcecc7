import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DROP_REASONS, type DropReason } from '../src/event.js';
import { Ledger } from '../src/ledger.js';
import type { ShipperStats } from '../src/stats.js';

function balance(stats: ShipperStats): number {
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  return stats.logged - (stats.sent + stats.buffered + stats.inFlight + dropped);
}

/** One step an event can take, as the shipper's stages drive the ledger. */
type Step =
  | { kind: 'door'; reason: DropReason }
  | { kind: 'buffer'; weight: number }
  | { kind: 'take'; weight: number }
  | { kind: 'evict'; reason: DropReason; weight: number }
  | { kind: 'send'; weight: number }
  | { kind: 'lose'; reason: DropReason; weight: number };

const reason = fc.constantFrom(...DROP_REASONS);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('door' as const), reason }),
  fc.record({ kind: fc.constant('buffer' as const), weight: fc.constantFrom(0, 1) }),
  fc.record({ kind: fc.constant('take' as const), weight: fc.nat(3) }),
  fc.record({ kind: fc.constant('evict' as const), reason, weight: fc.nat(3) }),
  fc.record({ kind: fc.constant('send' as const), weight: fc.nat(3) }),
  fc.record({ kind: fc.constant('lose' as const), reason, weight: fc.nat(3) }),
);

describe('Ledger', () => {
  it('keeps logged == sent + buffered + inFlight + dropped through any sequence of steps', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        // Prepare: the shipper logs, then places, every event; later steps move only what exists.
        const ledger = new Ledger();
        let buffered = 0;
        let inFlight = 0;
        for (const s of steps) {
          // Act
          if (s.kind === 'door') {
            ledger.logged();
            ledger.droppedAtDoor(s.reason);
          } else if (s.kind === 'buffer') {
            ledger.logged();
            // A piece of a split message weighs 0 but was placed with its first piece.
            ledger.buffered(1, s.weight === 0 ? 'split' : undefined);
            buffered++;
          } else if (s.kind === 'take') {
            const weight = Math.min(s.weight, buffered);
            ledger.taken(weight);
            buffered -= weight;
            inFlight += weight;
          } else if (s.kind === 'evict') {
            const weight = Math.min(s.weight, buffered);
            ledger.droppedFromBuffer(s.reason, weight);
            buffered -= weight;
          } else if (s.kind === 'send') {
            const weight = Math.min(s.weight, inFlight);
            ledger.sent(weight, weight * 30, 0);
            inFlight -= weight;
          } else {
            const weight = Math.min(s.weight, inFlight);
            ledger.droppedInFlight(s.reason, weight);
            inFlight -= weight;
          }
          // Assess: the invariant holds after every step, not only at the end.
          const stats = ledger.snapshot(1, 1);
          expect(balance(stats)).toBe(0);
          expect(stats.buffered).toBe(buffered);
          expect(stats.inFlight).toBe(inFlight);
          expect(ledger.pending).toBe(buffered + inFlight);
        }
      }),
    );
  });

  it('counts each drop once, by reason, and reports the drops since the last report once', () => {
    // Prepare
    const ledger = new Ledger();
    for (let i = 0; i < 3; i++) ledger.logged();
    ledger.droppedAtDoor('empty');
    ledger.buffered(1);
    ledger.buffered(1);
    ledger.droppedFromBuffer('overflow', 2);
    // Act
    const first = ledger.takeDropsSinceReport();
    const second = ledger.takeDropsSinceReport();
    // Assess
    expect(first).toEqual({ counts: { empty: 1, overflow: 2 }, total: 3 });
    expect(second).toBeUndefined();
    expect(ledger.snapshot(1, 1).dropped).toMatchObject({ empty: 1, overflow: 2 });
  });

  it('tells its drop listener of every drop with weight, with the stage and destination', () => {
    // Prepare
    const heard: unknown[] = [];
    const ledger = new Ledger<string>((reason, weight, stage, destination) =>
      heard.push([reason, weight, stage, destination]),
    );
    ledger.logged();
    ledger.buffered(1);
    ledger.taken(1);
    // Act
    ledger.droppedAtDoor('invalidDestination');
    ledger.droppedInFlight('rejected', 1, 'g/s');
    ledger.droppedInFlight('rejected', 0, 'g/s');
    // Assess: a drop of weight 0 (a marker, a later piece) is no drop at all.
    expect(heard).toEqual([
      ['invalidDestination', 1, 'door', undefined],
      ['rejected', 1, 'flight', 'g/s'],
    ]);
  });

  it('counts truncated and split messages and markers apart from the events', () => {
    // Prepare
    const ledger = new Ledger();
    ledger.logged();
    ledger.logged();
    // Act
    ledger.buffered(1, 'truncated');
    ledger.buffered(1, 'split');
    ledger.taken(2);
    ledger.sent(2, 100, 1);
    // Assess
    expect(ledger.snapshot(4, 2)).toMatchObject({
      logged: 2,
      sent: 2,
      batches: 1,
      bytesSent: 100,
      truncated: 1,
      split: 1,
      markers: 1,
      concurrency: 4,
      destinations: 2,
    });
  });

  it('tells whether a log() placed its event, through placed', () => {
    // Prepare
    const ledger = new Ledger();
    ledger.logged();
    const before = ledger.placed;
    // Act
    ledger.buffered(1);
    // Assess
    expect(ledger.placed).toBe(before + 1);
    expect(ledger.loggedCount).toBe(1);
  });
});
