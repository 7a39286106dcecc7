/**
 * Paces one kind of request against an account-wide rate quota that other processes share. A token
 * bucket: a second's worth of requests may start at once (as the service's own quotas admit a
 * burst), then starts are spaced at `1 / rate`. A throttle halves the rate (once a second at most,
 * the period quotas are counted over) and empties the bucket; each success adds `1 / rate` requests
 * per second, about +1/s per second of successes. Additive increase and multiplicative decrease, so
 * that processes sharing one quota converge to equal shares instead of keeping the split they had.
 *
 * Used for the creations (CreateLogStream about 50/s, CreateLogGroup about 5/s per account and
 * region): they are throttled apart from PutLogEvents, and pacing them here keeps their throttles
 * away from the PutLogEvents limit.
 */
export class RatePacer {
  #rate: number;
  /** Starts available now; negative when starts are reserved ahead. */
  #tokens: number;
  #filledAt = Number.NEGATIVE_INFINITY;
  #cutAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly maxPerSecond: number,
    private readonly minPerSecond: number,
  ) {
    this.#rate = maxPerSecond;
    this.#tokens = maxPerSecond;
  }

  /** Requests per second allowed now. */
  get rate(): number {
    return this.#rate;
  }

  /** Takes the next start; returns how long (ms) a request about to start at `now` waits for it. */
  reserve(now: number): number {
    this.#fill(now);
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#rate) * 1000;
  }

  succeeded(): void {
    this.#rate = Math.min(this.maxPerSecond, this.#rate + 1 / this.#rate);
  }

  /**
   * A request that started at `startedAt` was throttled at `now`. Requests that started before the
   * last cut say nothing of the rate since, and throttles keep coming for a second after a cut
   * (quotas count over a second): the rate is cut once a second at most.
   */
  throttled(startedAt: number, now: number): void {
    if (startedAt < this.#cutAt || now - this.#cutAt < QUOTA_WINDOW_MS) return;
    this.#fill(now);
    this.#cutAt = now;
    this.#rate = Math.max(this.minPerSecond, this.#rate / 2);
    this.#tokens = Math.min(this.#tokens, 0);
  }

  #fill(now: number): void {
    if (this.#filledAt !== Number.NEGATIVE_INFINITY) {
      const burst = Math.max(1, this.#rate);
      this.#tokens = Math.min(burst, this.#tokens + ((now - this.#filledAt) / 1000) * this.#rate);
    }
    this.#filledAt = now;
  }
}

const QUOTA_WINDOW_MS = 1_000;
