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
 * the endpoint answers in milliseconds, so the limit becomes a request rate, with the same law:
 * a throttle cuts the rate to 80 % of what it was (at most once a second, the period quotas are
 * counted over), and it then grows back by 10 % of that each second, faster after 5 quiet seconds. Once the rate passes what one request in flight reaches on its own, pacing ends and the
 * limit on requests in flight grows again.
 */
export class AdaptiveLimit {
  private value: number;
  /** Bumped at each cut; a request records it when it starts. */
  epoch = 0;

  private pacing = false;
  /** The rate right after the last cut, and its growth, in requests per millisecond (per ms²). */
  private baseRate = 0;
  private growth = 0;
  private cutAt = 0;
  private nextStartAt = Number.NEGATIVE_INFINITY;
  /** Request starts as they come, for the rate to start pacing from. */
  private lastStartAt = Number.NEGATIVE_INFINITY;
  private meanIntervalMs = 0;
  /** The most requests that got through in a second since pacing began, per millisecond. */
  private deliveredPeak = 0;
  /** When recent requests succeeded, newest last, to measure what gets through. */
  private readonly successes: number[] = [];
  private readonly throttles: number[] = [];
  private firstOutcomeAt = Number.POSITIVE_INFINITY;
  /** How long requests take, for the rate one request in flight reaches by itself. */
  private meanLatencyMs = 0;

  constructor(
    private readonly max: number,
    private readonly min = 1,
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
    const share = this.refusedShare(now);
    if (share < (this.pacing ? PACING_CUT_SHARE : PACING_ENTRY_SHARE)) return true;
    // Request quotas count over a second: throttles keep coming for up to a second after a cut,
    // however well it worked, so the rate is cut at most once a second.
    if (this.pacing && now - this.cutAt < QUOTA_WINDOW_MS) return true;
    const asked = this.pacing ? this.rateAt(now) : 1 / Math.max(this.meanIntervalMs, MIN_INTERVAL_MS);
    // What got through in the last second is the best guess of the quota: cut from that, not from
    // what was asked, so that one cut lands near the quota instead of a cascade of cuts.
    const delivered = this.successesSince(now - QUOTA_WINDOW_MS) / QUOTA_WINDOW_MS;
    const current = delivered > 0 ? Math.min(asked, delivered) : asked;
    if (!this.pacing) this.deliveredPeak = 0;
    this.deliveredPeak = Math.max(this.deliveredPeak, delivered);
    this.pacing = true;
    // Never below half the best second seen while pacing: throttles that are not a quota (random
    // refusals, a struggling endpoint) would otherwise cut the rate a little more every second.
    this.baseRate = Math.max(MIN_RATE, current * CUT, this.deliveredPeak * FLOOR);
    this.growth = (this.baseRate * GROWTH_PER_SECOND) / 1000;
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
        this.nextStartAt = start + 1 / rate;
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

  private rateAt(now: number): number {
    const elapsed = Math.max(0, now - this.cutAt);
    const linear = this.baseRate + this.growth * Math.min(elapsed, QUIET_MS);
    if (elapsed <= QUIET_MS) return linear;
    return linear * QUIET_GROWTH_PER_SECOND ** ((elapsed - QUIET_MS) / 1000);
  }
}

/** The period request quotas are counted over. */
const QUOTA_WINDOW_MS = 1_000;
/** Share of a second's requests refused that starts pacing, and that cuts the rate once pacing. */
const PACING_ENTRY_SHARE = 0.25;
const PACING_CUT_SHARE = 0.1;
/** Fewest requests in a second to judge a share from. */
const MIN_SAMPLES = 5;
/** Success and throttle times kept, at most (a second's worth at any rate pacing matters for). */
const MAX_SUCCESSES_KEPT = 2_048;
/** A throttle while pacing leaves this share of the rate. */
const CUT = 0.8;
/** …but not below this share of the best second seen while pacing. */
const FLOOR = 0.5;
/** While pacing, the rate grows by this share of its post-cut value each second. */
const GROWTH_PER_SECOND = 0.1;
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
