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
 * the endpoint answers in milliseconds, so the limit becomes a request rate. Processes that share
 * a quota cannot see each other, and each must end up with a similar share of it:
 * - the rate is a base rate times a backlog factor, from ×¼ with nothing waiting to ×4 with the
 *   buffers full. A quota admits the requests of each process about in proportion to how often it
 *   asks, so a process left behind (by bad luck, a late start) takes a larger share until its
 *   backlog is back with the others': that is what evens out what each has delivered, which equal
 *   rates alone do not (which request gets through is a draw, and the draws add up);
 * - the base rate grows by the same step in every process (0.5 request/s each second, plus 2 % of
 *   itself), and a throttle cuts it to 75 % of what it was (at most once a second, the period
 *   quotas are counted over): additive increase and multiplicative decrease, under which unequal
 *   rates converge, where steps proportional to each process's own rate keep an unequal split
 *   unequal. The cut does not look at what got through: at a few requests a second that count is
 *   a draw (±20 % from one second to the next at 5 requests a second), and a cut to it carried each
 *   process's luck into its rate, a random walk that split a fleet 0.6 : 1. It grows faster after
 *   5 quiet seconds, and not at all while the process has nothing to send (a rate it does not use
 *   says nothing about the quota);
 * - paced starts are jittered: evenly spaced ones keep one phase against a quota counted over a
 *   sliding second, and a process whose starts land just after another's is refused far more often
 *   than its share.
 * Once the rate passes what one request in flight reaches on its own, 5 s or more after the last
 * cut, pacing ends and the limit on requests in flight grows again.
 */
export class AdaptiveLimit {
  private value: number;
  /** Bumped at each cut; a request records it when it starts. */
  epoch = 0;

  private pacing = false;
  /** Requests in flight allowed while pacing (see {@link pipeline}). */
  private pacedLimit = 1;
  /**
   * The base rate right after the last cut, and its growth, in requests per millisecond (per ms²);
   * the rate asked is the base rate times the backlog factor.
   */
  private baseRate = 0;
  private growth = 0;
  private cutAt = 0;
  /** The last throttle while pacing. */
  private lastThrottleAt = Number.NEGATIVE_INFINITY;
  private nextStartAt = Number.NEGATIVE_INFINITY;
  /** Request starts as they come, for the rate to start pacing from. */
  private lastStartAt = Number.NEGATIVE_INFINITY;
  private meanIntervalMs = 0;
  /** The most requests that got through in a second since pacing began, per millisecond, and when. */
  private deliveredPeak = 0;
  private deliveredPeakAt = 0;
  /** When recent requests succeeded, newest last, to measure what gets through. */
  private readonly successes: number[] = [];
  private readonly throttles: number[] = [];
  private firstOutcomeAt = Number.POSITIVE_INFINITY;
  /** How long requests take, for the rate one request in flight reaches by itself. */
  private meanLatencyMs = 0;

  constructor(
    private readonly max: number,
    private readonly min = 1,
    /**
     * How far behind the process is: events waiting or in flight, as a share of the room for them.
     * Without it the backlog factor is 1.
     */
    private readonly backlog?: () => number,
    /** Jitters the spacing of paced starts; injected so that tests decide the draw. */
    private readonly random: () => number = Math.random,
  ) {
    this.value = max;
  }

  /** Requests allowed in flight now. */
  get limit(): number {
    if (this.pacing) return this.pacedLimit;
    return Math.max(this.min, Math.floor(this.value));
  }

  /** Whether the limit is a request rate now (see {@link rate}). */
  get isPacing(): boolean {
    return this.pacing;
  }

  /** Requests per second allowed at `now` while pacing; `Infinity` when not pacing. */
  rate(now: number): number {
    return this.pacing ? this.askedAt(now) * 1000 : Number.POSITIVE_INFINITY;
  }

  /** A request succeeded at `now`, after `latencyMs`. */
  succeeded(latencyMs: number, now: number): void {
    this.meanLatencyMs = this.meanLatencyMs === 0 ? latencyMs : this.meanLatencyMs * 0.8 + latencyMs * 0.2;
    this.firstOutcomeAt = Math.min(this.firstOutcomeAt, now);
    record(this.successes, now);
    if (!this.pacing) this.value = Math.min(this.max, this.value + 1 / this.value);
    else this.pipeline(now);
  }

  /**
   * While pacing, enough requests in flight for the paced rate, with room to spare, each waiting for
   * its turn: when requests take longer than the spacing (a loaded host, a distant endpoint), one in
   * flight would fall short of the rate, and short of the process's share of the quota.
   */
  private pipeline(now: number): void {
    const needed = Math.ceil(this.askedAt(now) * this.meanLatencyMs * PIPELINE_HEADROOM);
    this.pacedLimit = Math.min(this.max, Math.max(this.min, needed));
  }

  /** A request that started in `startedEpoch` was throttled at `now`; true if that cut the limit. */
  throttled(startedEpoch: number, now: number): boolean {
    this.firstOutcomeAt = Math.min(this.firstOutcomeAt, now);
    record(this.throttles, now);
    if (this.pacing) {
      // Quiet means no throttle at all, not merely no cut: a throttle ends the faster growth there
      // and then (the rate goes on from where it got to, growing as after a cut).
      if (now > this.quietFrom()) this.rebase(this.rateAt(now), now);
      this.lastThrottleAt = now;
    }
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
    const factor = this.backlogFactor();
    const asked = this.pacing ? this.askedAt(now) : 1 / Math.max(this.meanIntervalMs, MIN_INTERVAL_MS);
    // On entering pacing, what got through in the last second is the best guess of this process's
    // share: cut from no more than that, not from what was asked at 8 in flight, so that one cut
    // lands near it instead of a cascade of cuts. While pacing, what was asked: what got through
    // is a draw at a few requests a second, and a process cut to its bad luck would ask less the
    // next second, and the next (see the header).
    const delivered = this.successesSince(now - QUOTA_WINDOW_MS) / QUOTA_WINDOW_MS;
    const current = !this.pacing && delivered > 0 ? Math.min(asked, delivered) : asked;
    if (!this.pacing) this.deliveredPeak = 0;
    // Never below half the best recent second: throttles that are not a quota (random refusals, a
    // struggling endpoint) would otherwise cut the rate a little more every second. Recent: a floor
    // kept from a lucky second (a start-up burst) would hold a process above its share for good.
    const peak = this.deliveredPeak * FLOOR_DECAY_PER_SECOND ** ((now - this.deliveredPeakAt) / 1000);
    if (delivered >= peak) {
      this.deliveredPeak = delivered;
      this.deliveredPeakAt = now;
    }
    this.pacing = true;
    // The base rate is what is asked without the backlog factor, so the factor does not compound.
    this.rebase(
      Math.max(MIN_RATE, (current * CUT) / factor, (Math.max(peak, delivered) * FLOOR) / factor),
      now,
    );
    this.pipeline(now);
    return true;
  }

  /** The base rate is `rate` at `now`, and grows from there. */
  private rebase(rate: number, now: number): void {
    this.baseRate = rate;
    this.growth = (rate * GROWTH_PER_SECOND + ADDITIVE_INCREASE_PER_MS) / 1000;
    this.cutAt = now;
  }

  /** When the rate starts growing faster: {@link QUIET_MS} after the last cut or throttle. */
  private quietFrom(): number {
    return Math.max(this.cutAt, this.lastThrottleAt) + QUIET_MS;
  }

  /** How long a request about to start at `now` waits for its turn (and takes that turn). */
  delayBeforeStart(now: number): number {
    let start = now;
    if (this.pacing) {
      // Time with nothing to send does not count as growth: a rate not used says nothing of the
      // quota, and a process that idled would otherwise come back asking far above its share.
      if (now > this.nextStartAt && this.nextStartAt > this.cutAt) {
        this.cutAt += Math.min(now - this.nextStartAt, now - this.cutAt);
      }
      const rate = this.askedAt(now);
      if (now >= this.quietFrom() && rate * Math.max(this.meanLatencyMs, MIN_INTERVAL_MS) >= 1) {
        // Faster than one request in flight goes by itself, and no cut for a while: the limit in
        // flight takes over. Not sooner: the backlog factor alone can ask that fast of a quota
        // that is still refusing, and unpaced, every process would then ask as fast as it can.
        this.pacing = false;
        this.value = Math.max(this.value, this.pacedLimit);
      } else {
        start = Math.max(now, this.nextStartAt);
        // Jittered around 1 / rate (the mean stays 1 / rate).
        this.nextStartAt = start + (1 - PACING_JITTER / 2 + this.random() * PACING_JITTER) / rate;
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

  /** ×¼ with nothing waiting, ×1 half full, ×4 with the buffers full. */
  private backlogFactor(): number {
    if (this.backlog === undefined) return 1;
    const behind = Math.min(1, Math.max(0, this.backlog()));
    return BACKLOG_FACTOR_FULL ** (2 * behind - 1);
  }

  /** The rate asked at `now`, per millisecond: the base rate times the backlog factor. */
  private askedAt(now: number): number {
    return this.rateAt(now) * this.backlogFactor();
  }

  /** The base rate at `now`, per millisecond. */
  private rateAt(now: number): number {
    const quietFrom = this.quietFrom();
    const linear = this.baseRate + this.growth * Math.max(0, Math.min(now, quietFrom) - this.cutAt);
    if (now <= quietFrom) return linear;
    return linear * QUIET_GROWTH_PER_SECOND ** ((now - quietFrom) / 1000);
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
/**
 * A throttle leaves this share of the rate cut from: what got through in the last second on entering
 * pacing; while pacing, what was asked. Deeper than TCP's ½ would waste a single process's quota,
 * shallower keeps a fleet over its quota longer: at 0.85 a fleet of 8 had 45 % of its requests
 * refused in simulation, 31 % at 0.75, with as fair a split (0.89 against 0.92), and 0.65 split
 * less fairly (0.83: the rates spend longer below the quota, where asking more does not get more).
 */
const CUT = 0.75;
/** …but not below this share of the best second seen while pacing, which counts less by the second. */
const FLOOR = 0.5;
const FLOOR_DECAY_PER_SECOND = 0.8;
/**
 * While pacing, the base rate grows each second by 0.5 request/s, the same step in every process
 * whatever its own rate (which is what makes rates converge), plus a small share of itself, so
 * that a process alone against a quota of tens of requests a second is back near it in seconds.
 */
const ADDITIVE_INCREASE_PER_MS = 0.5 / 1000;
const GROWTH_PER_SECOND = 0.02;
/**
 * The backlog factor: ×¼ with nothing waiting, ×1 half full, ×4 with the buffers full, by the same
 * ratio for each step of the backlog (so a backlog that builds up from nothing does not multiply
 * the rate in a moment). Steep, because what it corrects (who happened to get through) adds up
 * second after second, and a process whose buffers fill loses events.
 */
const BACKLOG_FACTOR_FULL = 4;
/** Requests in flight while pacing: this many times the paced rate × the mean latency. */
const PIPELINE_HEADROOM = 1.5;
/** Paced starts are spaced by 1 / rate times a uniform draw in [0.5, 1.5). */
const PACING_JITTER = 1;
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
