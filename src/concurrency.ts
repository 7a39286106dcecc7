/**
 * Adapts how hard the sender pushes to how much the account takes. PutLogEvents is throttled per
 * account and region, shared by every process that ships: a fixed concurrency either wastes
 * capacity or keeps hammering a throttled account.
 *
 * Above one request in flight, the limit on requests in flight moves by additive increase (each
 * success adds 1/limit: about +1 per limit's worth of successes, one "round trip") and
 * multiplicative decrease (a throttle halves it). A cut happens once per epoch: requests that were
 * in flight when the limit was cut report throttles of the old epoch, and those do not cut it again.
 *
 * At one request in flight a throttled account can still be asked hundreds of times a second when
 * the endpoint answers in milliseconds, so the limit becomes a request rate (once most of a second's
 * requests are refused; it starts at 80 % of what got through in that second), with the same kind
 * of law, built to share a quota fairly between processes that cannot see each other: each throttle
 * takes 10 % off the rate, and the rate grows by a fixed number of requests per second (1/s per
 * second), faster after 5 quiet seconds; both are scaled by how far behind the process is (its
 * buffers' fill), so that a process left behind cuts less and grows faster. Paced starts are
 * jittered. Once the rate passes what one request in flight reaches on its own, pacing ends and the
 * limit on requests in flight grows again.
 */
export class AdaptiveLimit {
  private value: number;
  /** Bumped at each cut; a request records it when it starts. */
  epoch = 0;

  private pacing = false;
  /** The rate right after the last cut (or throttle), in requests per millisecond, and when. */
  private baseRate = 0;
  private cutAt = 0;
  /** The rate at the start of the second the throttles are counted in. */
  private windowStartAt = Number.NEGATIVE_INFINITY;
  private windowStartRate = 0;
  private nextStartAt = Number.NEGATIVE_INFINITY;
  /** Request starts as they come, for the rate to start pacing from. */
  private lastStartAt = Number.NEGATIVE_INFINITY;
  private meanIntervalMs = 0;
  /** When recent requests succeeded, newest last, to measure what gets through. */
  private readonly successes: number[] = [];
  private readonly throttles: number[] = [];
  private firstOutcomeAt = Number.POSITIVE_INFINITY;
  /** How long requests take, for the rate one request in flight reaches by itself. */
  private meanLatencyMs = 0;

  constructor(
    private readonly max: number,
    private readonly min = 1,
    /** Jitters the spacing of paced starts; injected so tests decide the draw. */
    private readonly random: () => number = Math.random,
    /** How far behind the process is, from 0 (nothing waiting) to 1 (its buffers full). */
    private readonly backlog: () => number = () => 0,
  ) {
    this.value = max;
  }

  /** Requests allowed in flight now. */
  get limit(): number {
    return Math.max(this.min, Math.floor(this.value));
  }

  /** Whether the limit is a request rate now (see {@link rate}). */
  get isPacing(): boolean {
    return this.pacing;
  }

  /** Requests per second allowed at `now` while pacing; `Infinity` when not pacing. */
  rate(now: number): number {
    return this.pacing ? this.rateAt(now) * 1000 : Number.POSITIVE_INFINITY;
  }

  /** A request succeeded at `now`, after `latencyMs`. */
  succeeded(latencyMs: number, now: number): void {
    this.meanLatencyMs = this.meanLatencyMs === 0 ? latencyMs : this.meanLatencyMs * 0.8 + latencyMs * 0.2;
    this.firstOutcomeAt = Math.min(this.firstOutcomeAt, now);
    record(this.successes, now);
    if (!this.pacing) this.value = Math.min(this.max, this.value + 1 / this.value);
  }

  /** A request that started in `startedEpoch` was throttled at `now`; true if that cut the limit. */
  throttled(startedEpoch: number, now: number): boolean {
    this.firstOutcomeAt = Math.min(this.firstOutcomeAt, now);
    record(this.throttles, now);
    if (startedEpoch !== this.epoch) return false;
    this.epoch++;
    if (this.limit > this.min) {
      this.value = Math.max(this.min, this.value / 2);
      return true;
    }
    this.value = this.min;
    // Pace only when most of a second's requests are refused, as when a quota is saturated:
    // refusals that do not depend on the rate (a flaky endpoint, random throttling) would otherwise
    // slow the rate a little more every second. Once pacing, a smaller share is enough to cut.
    // A second of history at least: a quota admits a burst at first, which reads as a high rate.
    if (now - this.firstOutcomeAt < QUOTA_WINDOW_MS) return true;
    if (!this.pacing && this.refusedShare(now) < PACING_ENTRY_SHARE) return true;
    if (this.pacing) {
      // Each throttle takes a small share off the rate, and the rate grows by the same number of
      // requests per second in every process: a process asking r times a second is throttled about
      // r·s times a second (s, the refused share, is the same for every process that shares the
      // quota), so it loses about d·r²·s a second and gains A. That balances at one rate, the same
      // for all: r = √(A / (d·s)). A cut once per event instead would tie each process's rate to
      // how often it happened to be throttled, and keep an unequal split unequal.
      // …but a second's throttles take at most half of the rate: throttles keep coming for up to a
      // second after the rate fell below the quota (quotas count over a second), and a newcomer
      // that has not started pacing yet can cause hundreds.
      const rate = this.rateAt(now);
      if (now - this.windowStartAt >= QUOTA_WINDOW_MS) {
        this.windowStartAt = now;
        this.windowStartRate = rate;
      }
      this.baseRate = Math.max(
        MIN_RATE,
        rate * (1 - CUT_PER_THROTTLE * (BEHIND_CUT_BASE - this.behind())),
        this.windowStartRate * MAX_CUT_PER_SECOND,
      );
      this.cutAt = now;
      return true;
    }
    // Entering pacing, what got through in the last second is the best guess of the quota: cut from
    // that, not from the rate asked unpaced (hundreds a second against a fast endpoint), so that one
    // cut lands near the quota instead of a cascade of cuts.
    const asked = 1 / Math.max(this.meanIntervalMs, MIN_INTERVAL_MS);
    const delivered = this.successesSince(now - QUOTA_WINDOW_MS) / QUOTA_WINDOW_MS;
    const current = delivered > 0 ? Math.min(asked, delivered) : asked;
    this.pacing = true;
    this.baseRate = Math.max(MIN_RATE, current * CUT);
    this.cutAt = now;
    return true;
  }

  /** How long a request about to start at `now` waits for its turn (and takes that turn). */
  delayBeforeStart(now: number): number {
    let start = now;
    if (this.pacing) {
      const rate = this.rateAt(now);
      if (rate * Math.max(this.meanLatencyMs, MIN_INTERVAL_MS) >= 1) {
        // Faster than one request in flight goes by itself: the limit in flight takes over.
        this.pacing = false;
      } else {
        start = Math.max(now, this.nextStartAt);
        // Jittered around 1 / rate: evenly spaced starts keep one phase against a quota counted over a
        // sliding second, and a process whose starts keep landing just after another's is refused
        // far more often than its share, second after second.
        this.nextStartAt = start + (PACING_JITTER_LOW + this.random() * PACING_JITTER_SPAN) / rate;
      }
    }
    if (!this.pacing && this.lastStartAt !== Number.NEGATIVE_INFINITY) {
      const interval = start - this.lastStartAt;
      this.meanIntervalMs = this.meanIntervalMs === 0 ? interval : this.meanIntervalMs * 0.8 + interval * 0.2;
    }
    this.lastStartAt = start;
    return start - now;
  }

  private successesSince(since: number): number {
    return countSince(this.successes, since);
  }

  /** Share of the last second's requests that were throttled; 0 with too few to tell. */
  private refusedShare(now: number): number {
    const refused = countSince(this.throttles, now - QUOTA_WINDOW_MS);
    const total = refused + countSince(this.successes, now - QUOTA_WINDOW_MS);
    return total < MIN_SAMPLES ? 0 : refused / total;
  }

  /** How far behind the process is, in [0, 1]. */
  private behind(): number {
    return Math.min(1, Math.max(0, this.backlog()));
  }

  private rateAt(now: number): number {
    const elapsed = Math.max(0, now - this.cutAt);
    const boost = BACKLOG_BASE + BACKLOG_BOOST * this.behind();
    const linear = this.baseRate + GROWTH_PER_MS2 * boost * Math.min(elapsed, QUIET_MS);
    if (elapsed <= QUIET_MS) return linear;
    return linear * QUIET_GROWTH_PER_SECOND ** ((elapsed - QUIET_MS) / 1000);
  }
}

/** The period request quotas are counted over. */
const QUOTA_WINDOW_MS = 1_000;
/** Share of a second's requests refused that starts pacing. */
const PACING_ENTRY_SHARE = 0.25;
/** Paced starts are spaced by 1 / rate times a uniform draw in [0.5, 1.5): the mean stays 1 / rate. */
const PACING_JITTER_LOW = 0.5;
const PACING_JITTER_SPAN = 1;
/** Fewest requests in a second to judge a share from. */
const MIN_SAMPLES = 5;
/** Success and throttle times kept, at most (a second's worth at any rate pacing matters for). */
const MAX_SUCCESSES_KEPT = 2_048;
/** A throttle while pacing leaves this share of the rate. */
const CUT = 0.8;
/**
 * While pacing, each throttle takes this share off the rate, scaled by how far behind the process is
 * (×1.5 with nothing waiting, ×1 half full, ×0.5 full): with the step below, processes that ship
 * alike converge to equal backlogs, so to equal deliveries, not merely to equal rates.
 */
const CUT_PER_THROTTLE = 0.1;
const BEHIND_CUT_BASE = 1.5;
/** …and a second's throttles leave at least this share of the rate at its start. */
const MAX_CUT_PER_SECOND = 0.5;
/**
 * While pacing, the rate grows by this many requests per second, each second: the same step for
 * every process whatever its own rate, which is what makes processes sharing a quota converge to
 * equal shares (a step proportional to each one's rate keeps an unequal split unequal).
 */
const ADDITIVE_INCREASE_PER_SECOND = 1;
/**
 * The step is scaled by how far behind the process is: ×0.25 with nothing waiting, ×1 with its
 * buffers half full, ×1.75 full. Processes that ship alike and share a quota then converge to equal
 * backlogs, so to equal deliveries, rather than merely to equal rates from unequal starts; and a
 * process about to overflow asks for more before it loses events.
 */
const BACKLOG_BASE = 0.25;
const BACKLOG_BOOST = 1.5;
const GROWTH_PER_MS2 = ADDITIVE_INCREASE_PER_SECOND / 1000 / 1000;
/**
 * After this long without a throttle the quota has likely moved (or the storm is over): the rate
 * then grows by half each second, so that however deep the cuts went it is back within seconds.
 */
const QUIET_MS = 5_000;
const QUIET_GROWTH_PER_SECOND = 1.5;
/** Never slower than one request a second (one request still moves up to 10,000 events). */
const MIN_RATE = 1 / 1000;
/** Floor of the measured interval between starts, so a burst does not read as an infinite rate. */
const MIN_INTERVAL_MS = 1;

function record(times: number[], now: number): void {
  times.push(now);
  if (times.length > MAX_SUCCESSES_KEPT) times.splice(0, times.length >> 1);
}

function countSince(times: readonly number[], since: number): number {
  let count = 0;
  for (let i = times.length - 1; i >= 0 && (times[i] as number) > since; i--) count++;
  return count;
}
