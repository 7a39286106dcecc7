import { setMaxListeners } from 'node:events';
import type { Entity, PutLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import PQueue from 'p-queue';
import pRetry, { AbortError } from 'p-retry';
import { type Batch, intoBatches } from './batcher.js';
import { Bisection, halves, isBisectable, refit, tooLargeLimit } from './bisect.js';
import type { Client } from './client.js';
import { AdaptiveLimit } from './concurrency.js';
import type { Creation } from './creation.js';
import type { Stream } from './destination.js';
import { rejectedEntityWarning } from './entity.js';
import type { FailureReason } from './errors.js';
import { type DropReason, type LogEvent, leadingPieces } from './event.js';
import { backoffDelay, classifyError, type ErrorClass } from './retry.js';
import { acceptedWindow, batchSize, outsideWindow, splitRejected } from './rules.js';
import { sleep } from './timing.js';
import { putLogEventsCommand } from './wire.js';

/** What the sender tells its owner, which keeps the accounts. */
export interface SenderHooks {
  /** `events` were acknowledged by CloudWatch Logs. */
  sent(stream: Stream, events: LogEvent[], bytes: number, attempts: number, durationMs: number): void;
  /** `events` left flight without being stored. */
  dropped(stream: Stream, events: LogEvent[], reason: DropReason): void;
  /** A batch's events were dropped as `rejected` or `failed` because of `error`. */
  failed(stream: Stream, reason: FailureReason, error: unknown, events: LogEvent[]): void;
  /** An attempt failed and will be retried. */
  retried(errorClass: ErrorClass): void;
  /** The service refused the entity sent with the events (it stored the events): `warning` says what to fix. */
  entityRejected(warning: string): void;
  /** A request slot came free, or the limit on requests in flight rose: more may be scheduled. */
  capacityFreed(): void;
  /** The service refused an event as larger than `maxEventBytes` (message UTF-8 bytes + 26). */
  eventTooLarge(maxEventBytes: number): void;
}

/**
 * The seam between the scheduler and whatever sends: the scheduler asks whether there is capacity,
 * schedules a batch, and hears (through {@link SenderHooks.capacityFreed}) when capacity came free.
 */
export interface SenderPort {
  /** Whether another batch may be scheduled now. */
  readonly hasCapacity: boolean;
  /** Requests allowed in flight now. */
  readonly concurrency: number;
  /** Sends a batch, retrying as needed; resolves (never rejects) once its events are sent or dropped. */
  schedule(stream: Stream, batch: Batch): Promise<void>;
  /** Stops every retry wait and request in flight; their events are dropped as `closed`. */
  abort(): void;
}

/** The options the sender reads. */
export interface SenderOptions {
  /** Sent with every PutLogEvents, when given. */
  readonly entity: Readonly<Entity> | undefined;
  readonly concurrency: number;
  readonly adaptiveConcurrency: boolean;
  readonly requestTimeoutMs: number;
  readonly retentionInDays: number | undefined;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryTimeMs: number;
  /** The request limits, for events sent again once pieces in them were cut again (see `bisect.ts`). */
  readonly maxBatchBytes: number;
  readonly maxBatchEvents: number;
  /** Bounds the bytes of batches set aside while their streams are created. */
  readonly maxBufferedBytes: number;
  readonly now: () => number;
  readonly random: () => number;
  /** How far behind the shipper is: events held or in flight, as a share of the room for them. */
  readonly backlog?: () => number;
}

/** Clock-skew retries in a row for one batch; one normally does (see `retry.ts`), two cover a race. */
const MAX_CLOCK_SKEW_RETRIES = 2;
/** How long a batch is retried while the client cannot get credentials (at most `maxRetryTimeMs`). */
export const CREDENTIALS_RETRY_MS = 60_000;

/** Longest backoff of a throttled batch under adaptive concurrency: a quota's window. */
const THROTTLE_BACKOFF_CAP_MS = 1_000;

/**
 * Batches set aside while their streams are created, at most: several seconds of the account's
 * CreateLogStream quota, which is as many creations as can usefully be waited for at once.
 */
const MAX_AWAITING_CREATION = 1_000;

/** Generous bound on the abort listeners one request in flight holds at a time. */
const LISTENERS_PER_REQUEST = 10;

/** Batches failing for want of an answer that make the endpoint one that does not answer (`#unanswered`). */
const UNANSWERED_BATCHES = 2;

/** Thrown inside an attempt to stop retrying; carries why. */
class StopRetrying extends AbortError {
  constructor(
    readonly reason: FailureReason,
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Sends batches: one p-queue bounds the requests in flight across all streams, p-retry retries
 * what is worth retrying with full-jitter backoff, and missing groups and streams are created once
 * (outside the request slots: see `creation.ts`).
 * Sequence tokens are never sent: the API ignores them.
 */
export class Sender implements SenderPort {
  readonly #queue: PQueue;
  readonly #controller = new AbortController();
  readonly #limit: AdaptiveLimit | undefined;
  /** Batches under way: in flight, waiting for a request slot, or in a retry's backoff. */
  #outstanding = 0;
  /** Bytes of the batches waiting for their stream's creation outside that bound. */
  #awaitingCreationBytes = 0;
  #awaitingCreation = 0;
  /**
   * Attempts of two batches or more failed for want of an answer (a network error, a timeout, a 5xx,
   * no credentials to be had) and none has been answered since: the endpoint is down or failing.
   * Until an answer (a success, a throttle, a refusal), no batch is taken while one is under way: the
   * batches already under way go on retrying, and the rest stay in the buffers, where the overflow
   * policy bounds them, instead of `concurrency` of them held as strings and request bodies on the
   * heap. Two batches, not one: a batch that fails on its own (a 5xx its payload brings about, a
   * blip) must not hold the other streams up while it retries.
   */
  #unanswered = false;
  /** Batches with an attempt that failed for want of an answer since the last answer, each once. */
  #unansweredBatches = 0;
  /** Answers so far: a batch that failed for want of one before an answer counts again after it. */
  #answers = 0;

  constructor(
    private readonly client: Client,
    private readonly creation: Creation,
    private readonly options: SenderOptions,
    private readonly hooks: SenderHooks,
  ) {
    this.#queue = new PQueue({ concurrency: options.concurrency });
    this.#queue.on('next', () => hooks.capacityFreed());
    this.#limit = options.adaptiveConcurrency
      ? new AdaptiveLimit(options.concurrency, 1, options.backlog, options.random)
      : undefined;
    // Every request in flight listens on this one signal (p-retry, our waits, the SDK's retry and
    // HTTP handler: about 2 to 5 each) and lets go when it settles. Node's default of 10 would print
    // a false leak warning on the host's stderr once 4 requests overlap; a real leak still shows.
    // Batches waiting for their stream's creation hold a few more each (see awaitCreation).
    setMaxListeners(
      LISTENERS_PER_REQUEST * (options.concurrency + MAX_AWAITING_CREATION),
      this.#controller.signal,
    );
  }

  /**
   * Whether another batch may be taken: a request could start now, and fewer batches than
   * `concurrency` are under way (in flight, waiting for a slot, or in a retry's backoff). Batches
   * in backoff hold no request slot, so a throttled stream cannot hold the others up; the second
   * bound keeps what is taken from the buffers, and so memory, bounded while the endpoint fails.
   */
  get hasCapacity(): boolean {
    return (
      this.#outstanding < (this.#unanswered ? 1 : this.options.concurrency) &&
      this.#queue.pending + this.#queue.size < this.#queue.concurrency
    );
  }

  get concurrency(): number {
    return this.#queue.concurrency;
  }

  /** An attempt was answered by the service: batches may be taken up to `concurrency` again. */
  #heard(): void {
    this.#answers++;
    this.#unansweredBatches = 0;
    if (!this.#unanswered) return;
    this.#unanswered = false;
    this.hooks.capacityFreed();
  }

  /** An attempt of a batch not yet counted since the last answer failed for want of one. */
  #notHeard(): void {
    if (++this.#unansweredBatches >= UNANSWERED_BATCHES) this.#unanswered = true;
  }

  abort(): void {
    this.#controller.abort(new Error('The shipper was closed before these events could be sent'));
  }

  /**
   * Sends a batch, retrying as needed; each attempt takes a request slot of the queue only while
   * it is in flight. The promise always resolves, whatever becomes of the events.
   */
  schedule(stream: Stream, batch: Batch): Promise<void> {
    this.#outstanding++;
    return this.send(stream, batch.events, batch.bytes)
      .catch(() => {
        // send() reports every outcome through the hooks and does not throw.
      })
      .finally(() => {
        this.#outstanding--;
      });
  }

  /** `bytes`: the batch's size, while it waits for a creation; `bisection`: the bisection of a refused batch that this part of it belongs to (see `bisect.ts`). */
  private async send(stream: Stream, batch: LogEvent[], bytes: number, bisection?: Bisection): Promise<void> {
    const { now } = this.options;
    const startedAt = now();
    let events = batch;
    let attempts = 0;
    let epoch = 0;
    let skewRetries = 0;
    /** Whether this attempt's failure came from a creation (whose throttles are not PutLogEvents'). */
    let creationFailed = false;
    /** The service's answer was taken (see `accept`): the batch is counted, whatever p-retry does after. */
    let answered = false;
    /** The answers there had been when this batch last failed for want of one (see `#unanswered`). */
    let unansweredAt = -1;
    const signal = this.#controller.signal;
    try {
      await pRetry(
        async () => {
          attempts++;
          events = this.recheckWindow(stream, events, bisection);
          if (events.length === 0) return;
          const attempted = events;
          let attemptStartedAt = 0;
          creationFailed = false;
          const generation = stream.creation.generation;
          const slot = () =>
            this.#queue.add(
              async () => {
                // Pacing waits inside the request slot (it is short, and what the slot is for);
                // a retry's backoff waits outside it, so that it holds no other stream up.
                if (this.#limit) await sleep(this.#limit.delayBeforeStart(now()), signal);
                epoch = this.#limit?.epoch ?? 0;
                attemptStartedAt = now();
                return this.put(stream, attempted, signal);
              },
              { signal },
            );
          let response: PutLogEventsCommandOutput;
          try {
            try {
              response = await slot();
            } catch (error) {
              if (!this.creation.wanted(error)) throw error;
              // The creation runs outside the request slots, paced and retried on its own.
              try {
                await this.awaitCreation(stream, generation, bytes, signal);
              } catch (creationError) {
                creationFailed = true;
                throw creationError;
              }
              response = await slot();
            }
          } catch (error) {
            // p-retry never retries a plain TypeError; the classification decides here instead.
            throw error instanceof TypeError ? new Error(error.message, { cause: error }) : error;
          }
          this.accept(stream, events, response, attempts, now() - startedAt, bisection);
          answered = true;
          this.#heard();
          if (this.#limit) {
            this.#limit.succeeded(now() - attemptStartedAt, now());
            this.applyLimit();
          }
        },
        {
          retries: Number.POSITIVE_INFINITY,
          // The backoff is ours (full jitter, injected clock and randomness), in onFailedAttempt.
          minTimeout: 0,
          maxTimeout: 0,
          signal,
          onFailedAttempt: async ({ error, attemptNumber }) => {
            const errorClass = classifyError(error);
            if (errorClass === 'transient' || errorClass === 'credentials') {
              if (unansweredAt !== this.#answers) {
                unansweredAt = this.#answers;
                this.#notHeard();
              }
            } else {
              this.#heard();
            }
            if (errorClass === 'fatal' || signal.aborted) throw new StopRetrying('rejected', error);
            if (errorClass === 'clockSkew') {
              // The SDK corrected its clock offset from the refusal: send again at once, signed with
              // the right time. Bounded, since on a skewed host the SDK marks every error answer as
              // corrected (a denied action too).
              if (++skewRetries > MAX_CLOCK_SKEW_RETRIES) throw new StopRetrying('rejected', error);
              this.hooks.retried(errorClass);
              return;
            }
            skewRetries = 0;
            const elapsed = now() - startedAt;
            // Credentials that cannot be had are retried for a shorter time: a metadata endpoint slow
            // at start-up answers within seconds, and credentials missing everywhere stay missing.
            const bound =
              errorClass === 'credentials'
                ? Math.min(this.options.maxRetryTimeMs, CREDENTIALS_RETRY_MS)
                : this.options.maxRetryTimeMs;
            if (elapsed >= bound) throw new StopRetrying('failed', error);
            if (errorClass === 'throttle' && !creationFailed && this.#limit?.throttled(epoch, now())) {
              this.applyLimit();
            }
            this.hooks.retried(errorClass);
            // With adaptive concurrency the limit spaces the requests out: a throttled batch waits at
            // most a quota window more, and none while the limit paces (its next turn is the wait),
            // so that its process keeps asking at its paced rate: long backoffs would leave it
            // behind the processes it shares the quota with.
            const maxDelayMs =
              errorClass === 'throttle' && this.#limit
                ? Math.min(this.options.maxDelayMs, this.#limit.isPacing ? 0 : THROTTLE_BACKOFF_CAP_MS)
                : this.options.maxDelayMs;
            const delay = backoffDelay(
              attemptNumber,
              this.options.minDelayMs,
              maxDelayMs,
              this.options.random,
            );
            await sleep(Math.min(delay, bound - elapsed), signal);
          },
        },
      );
    } catch (error) {
      // p-retry looks at the signal again once an attempt has succeeded: an abort in between (a
      // hook that closes) must not count the events sent a second time, as closed.
      if (events.length === 0 || answered) return;
      if (signal.aborted) {
        this.drop(stream, events, 'closed', bisection);
        return;
      }
      const reason = error instanceof StopRetrying ? error.reason : 'rejected';
      const cause = error instanceof StopRetrying ? error.error : error;
      if (reason === 'rejected' && isBisectable(cause)) {
        await this.bisect(stream, events, cause, bisection);
        return;
      }
      this.drop(stream, events, reason, bisection);
      this.hooks.failed(stream, reason, cause, events);
    }
  }

  /**
   * A whole request was refused for what may be one event's fault: finds the events refused on
   * their own by sending halves again, in order (so the pieces of a split message still arrive in
   * order), each through the request slots and retry policy. A refusal that names the endpoint's
   * event size limit singles out the events over it at once, without a request each: a split
   * message's are cut again under it and sent with the rest, the others refused (see `refit`). Those
   * refused on their own are dropped as `rejected` and reported once, when the bisection ends.
   */
  private async bisect(
    stream: Stream,
    events: LogEvent[],
    error: unknown,
    within: Bisection | undefined,
  ): Promise<void> {
    const bisection = within ?? new Bisection(events.length);
    const refuse = (refused: LogEvent[]): void => {
      this.drop(stream, refused, 'rejected', bisection);
      bisection.refuse(refused, error);
    };
    const limit = tooLargeLimit(error);
    if (limit !== undefined) this.hooks.eventTooLarge(limit);
    const refitted = limit === undefined ? undefined : refit(events, limit);
    if (refitted !== undefined) {
      const { resend, refused } = refitted;
      if (refused.length > 0) refuse(refused);
      if (resend.length > 0) {
        // One take, even when pieces cut again need more requests than one: how many is bounded by
        // the bytes and the limit (at least 1,024), not a guess that may have to be made again.
        if (bisection.take(1)) await this.resend(stream, resend, bisection);
        else refuse(resend);
      }
    } else {
      // One message (an event, or the pieces of one) is refused on its own; so is what is left
      // once the budget is spent.
      const split = halves(events);
      if (split === undefined || !bisection.take(2)) {
        refuse(events);
      } else {
        await this.send(stream, split[0], batchSize(split[0]), bisection);
        await this.send(stream, split[1], batchSize(split[1]), bisection);
      }
    }
    if (within === undefined && bisection.refused.length > 0) {
      this.hooks.failed(stream, 'rejected', bisection.error, bisection.refused);
    }
  }

  /**
   * Sends `events` again, in order, once pieces in them were cut again: in as many requests as the
   * request limits now need (a piece cut again weighs 26 bytes more per cut), each sent once the one
   * before it settled, since the pieces of a message share a timestamp and only arrival order keeps
   * them in order. A request that goes on with a message the request before it lost (in part) leaves
   * that message's pieces out, dropped with it: no piece of a message is stored after a gap in it,
   * as the scheduler does with the requests it carries (`dropContinuation`).
   */
  private async resend(stream: Stream, events: LogEvent[], bisection: Bisection): Promise<void> {
    const { maxBatchBytes, maxBatchEvents } = this.options;
    let previous: LogEvent | undefined;
    for (const batch of intoBatches(events, maxBatchBytes, maxBatchEvents)) {
      let part = batch.events;
      const lost = previous === undefined ? undefined : bisection.lostAs(previous);
      previous = part[part.length - 1];
      if (lost !== undefined) {
        const pieces = leadingPieces(part);
        if (pieces > 0) {
          this.drop(stream, part.slice(0, pieces), lost, bisection);
          part = part.slice(pieces);
        }
      }
      if (part.length > 0) await this.send(stream, part, batchSize(part), bisection);
    }
  }

  /** `events` left flight without being stored: the owner is told, and the bisection they are part of. */
  private drop(
    stream: Stream,
    events: LogEvent[],
    reason: DropReason,
    bisection: Bisection | undefined,
  ): void {
    this.hooks.dropped(stream, events, reason);
    bisection?.lose(events, reason);
  }

  /**
   * Waits for `stream`'s creation. While it waits the batch leaves the bound on batches under way,
   * so that thousands of streams being created (at the account's creation quota, tens a second) do
   * not hold up the streams that exist; what is so set aside is bounded (`MAX_AWAITING_CREATION`
   * batches, `maxBufferedBytes` bytes), past which a waiting batch keeps its place in the bound.
   */
  private async awaitCreation(
    stream: Stream,
    generation: number,
    bytes: number,
    signal: AbortSignal,
  ): Promise<void> {
    const setAside =
      this.#awaitingCreation < MAX_AWAITING_CREATION &&
      this.#awaitingCreationBytes + bytes <= this.options.maxBufferedBytes;
    if (setAside) {
      this.#awaitingCreation++;
      this.#awaitingCreationBytes += bytes;
      this.#outstanding--;
      this.hooks.capacityFreed();
    }
    try {
      await this.creation.ensure(stream, generation, signal);
    } finally {
      if (setAside) {
        this.#awaitingCreation--;
        this.#awaitingCreationBytes -= bytes;
        this.#outstanding++;
      }
    }
  }

  private applyLimit(): void {
    const limit = (this.#limit as AdaptiveLimit).limit;
    if (limit === this.#queue.concurrency) return;
    this.#queue.concurrency = limit;
    this.hooks.capacityFreed();
  }

  /** Drops what aged out of (or is not yet inside) the accepted window since the batch was made. */
  private recheckWindow(stream: Stream, events: LogEvent[], bisection: Bisection | undefined): LogEvent[] {
    const window = acceptedWindow(this.options.now(), this.options.retentionInDays);
    // Batches are sorted: checking the ends is enough in the common case.
    if (
      outsideWindow((events[0] as LogEvent).timestamp, window) === undefined &&
      outsideWindow((events[events.length - 1] as LogEvent).timestamp, window) === undefined
    ) {
      return events;
    }
    const kept: LogEvent[] = [];
    const tooOld: LogEvent[] = [];
    const tooNew: LogEvent[] = [];
    for (const event of events) {
      const outside = outsideWindow(event.timestamp, window);
      if (outside === 'tooOld') tooOld.push(event);
      else if (outside === 'tooNew') tooNew.push(event);
      else kept.push(event);
    }
    if (tooOld.length > 0) this.drop(stream, tooOld, 'tooOld', bisection);
    if (tooNew.length > 0) this.drop(stream, tooNew, 'tooNew', bisection);
    return kept;
  }

  private put(stream: Stream, events: LogEvent[], signal: AbortSignal): Promise<PutLogEventsCommandOutput> {
    return this.client.request<PutLogEventsCommandOutput>(
      (sdk) =>
        putLogEventsCommand(sdk, {
          logGroupName: stream.logGroupName,
          logStreamName: stream.logStreamName,
          // LogEvent is an InputLogEvent with two more fields, which the body leaves out (it
          // writes the model's members only).
          logEvents: events,
          ...(this.options.entity === undefined ? {} : { entity: this.options.entity as Entity }),
        }),
      signal,
      this.options.requestTimeoutMs,
    );
  }

  private accept(
    stream: Stream,
    events: LogEvent[],
    response: PutLogEventsCommandOutput,
    attempts: number,
    durationMs: number,
    bisection: Bisection | undefined,
  ): void {
    const entityWarning = rejectedEntityWarning(response.rejectedEntityInfo);
    if (entityWarning !== undefined) this.hooks.entityRejected(entityWarning);
    const info = response.rejectedLogEventsInfo;
    if (!info) {
      this.hooks.sent(stream, events, batchSize(events), attempts, durationMs);
      return;
    }
    const { stored, tooOld, expired, tooNew } = splitRejected(events, info);
    if (tooOld.length > 0) this.drop(stream, tooOld, 'tooOld', bisection);
    if (expired.length > 0) this.drop(stream, expired, 'expired', bisection);
    if (tooNew.length > 0) this.drop(stream, tooNew, 'tooNew', bisection);
    this.hooks.sent(stream, stored, batchSize(stored), attempts, durationMs);
  }
}
