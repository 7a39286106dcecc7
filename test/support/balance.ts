// The accounting invariant, shared by the unit and end-to-end tests.
import { expect } from 'vitest';
import type { LogShipper } from '../../src/shipper.js';
import type { ShipperStats } from '../../src/stats.js';

export function sumDropped(stats: ShipperStats): number {
  return Object.values(stats.dropped).reduce((a, b) => a + b, 0);
}

/** `logged == sent + buffered + inFlight + sum(dropped)`, asserted wherever a test looks at the counters. */
export function expectBalanced(shipper: LogShipper): ShipperStats {
  const stats = shipper.stats();
  expect(stats.logged).toBe(stats.sent + stats.buffered + stats.inFlight + sumDropped(stats));
  return stats;
}
