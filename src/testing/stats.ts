import type { LocalStats } from './types.js';
import type { ViolationKind } from './validate.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

/** The endpoint's counters, written in place; `snapshotStats` copies them out. */
export type MutableStats = Mutable<LocalStats> & {
  requests: Record<string, number>;
  entities: { accepted: number; rejected: Record<string, number> };
};

export function createStats(): MutableStats {
  return {
    // No prototype: operation names come from the client, and `__proto__` must stay a plain key.
    requests: Object.create(null) as Record<string, number>,
    eventsAccepted: 0,
    bytesAccepted: 0,
    violations: {
      missingParameter: 0,
      emptyBatch: 0,
      tooManyEvents: 0,
      batchTooLarge: 0,
      emptyMessage: 0,
      eventTooLarge: 0,
      invalidTimestamp: 0,
      outOfOrder: 0,
      spanTooLong: 0,
      total: 0,
    },
    rejected: { tooOld: 0, tooNew: 0, expired: 0 },
    faults: {
      throttled: 0,
      unavailable: 0,
      reset: 0,
      resetAfterStore: 0,
      eventsStoredBeforeReset: 0,
      down: 0,
      tpsThrottled: 0,
      createLogStreamThrottled: 0,
      signatureExpired: 0,
    },
    entities: { accepted: 0, rejected: Object.create(null) as Record<string, number> },
    sequenceTokensReceived: 0,
  };
}

export function countViolation(stats: MutableStats, kind: ViolationKind): void {
  stats.violations[kind]++;
  stats.violations.total++;
}

export function snapshotStats(stats: MutableStats): LocalStats {
  return {
    ...stats,
    requests: { ...stats.requests },
    violations: { ...stats.violations },
    rejected: { ...stats.rejected },
    faults: { ...stats.faults },
    entities: { accepted: stats.entities.accepted, rejected: { ...stats.entities.rejected } },
  };
}
