import { setMaxListeners } from 'node:events';
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  type PutLogEventsCommandOutput,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import PQueue from 'p-queue';
import pRetry, { AbortError } from 'p-retry';
import { type Batch, oldestAccepted } from './batcher.js';
import { AdaptiveLimit } from './concurrency.js';
import type { DestinationState } from './destination.js';
import type { DropReason, LogEvent } from './event.js';
import { EVENT_OVERHEAD_BYTES, MAX_EVENT_FUTURE_MS } from './limits.js';
import type { ResolvedOptions } from './options.js';
import { backoffDelay, classifyError, type ErrorClass, errorName } from './retry.js';

/** What the sender tells its owner, which keeps the accounts. */
export interface SenderHooks {
  /** `events` were acknowledged by CloudWatch Logs. */
  sent(
    destination: DestinationState,
    events: LogEvent[],
    bytes: number,
    attempts: number,
    durationMs: number,
  ): void;
  /** `events` left flight without being stored. */
  dropped(destination: DestinationState, events: LogEvent[], reason: DropReason): void;
  /** A batch's events were dropped as `rejected` or `failed` because of `error`. */
  failed(
    destination: DestinationState,
    reason: 'rejected' | 'failed',
    error: unknown,
    events: LogEvent[],
  ): void;
  /** An attempt failed and will be retried. */
  retried(errorClass: ErrorClass): void;
  /** The limit on requests in flight changed (adaptive concurrency). */
  concurrencyChanged(): void;
}

/** Generous bound on the abort listeners one request in flight holds at a time. */
const LISTENERS_PER_REQUEST = 10;

const RESOURCE_NOT_FOUND = 'ResourceNotFoundException';
const ALREADY_EXISTS = 'ResourceAlreadyExistsException';

/** A request abandoned after `requestTimeoutMs` without an answer; retried like a network error. */
export class RequestTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`No answer from CloudWatch Logs within ${timeoutMs} ms (requestTimeoutMs)`);
    // The name the retry classification knows as transient, as the SDK's own timeouts are.
    this.name = 'TimeoutError';
  }
}

/** Thrown inside an attempt to stop retrying; carries why. */
class StopRetrying extends AbortError {
  constructor(
    readonly reason: 'rejected' | 'failed',
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Sends batches: one p-queue bounds the requests in flight across all streams, p-retry retries
 * what is worth retrying with full-jitter backoff, and missing groups and streams are created once.
 * Sequence tokens are never sent: the API ignores them.
 */
export class Sender {
  readonly queue: PQueue;
  private readonly controller = new AbortController();
  private readonly limit: AdaptiveLimit | undefined;
  /** Batches under way: in flight, waiting for a request slot, or in a retry's backoff. */
  private outstanding = 0;

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly options: ResolvedOptions,
    private readonly hooks: SenderHooks,
  ) {
    this.queue = new PQueue({ concurrency: options.concurrency });
    this.limit = options.adaptiveConcurrency ? new AdaptiveLimit(options.concurrency) : undefined;
    // Every request in flight listens on this one signal (p-retry, our waits, the SDK's retry and
    // HTTP handler: about 2 to 5 each) and lets go when it settles. Node's default of 10 would print
    // a false leak warning on the host's stderr once 4 requests overlap; a real leak still shows.
    setMaxListeners(LISTENERS_PER_REQUEST * options.concurrency, this.controller.signal);
  }

  /**
   * Whether another batch may be taken: a request could start now, and fewer batches than
   * `concurrency` are under way (in flight, waiting for a slot, or in a retry's backoff). Batches
   * in backoff hold no request slot, so a throttled stream cannot hold the others up; the second
   * bound keeps what is taken from the buffers, and so memory, bounded while the endpoint fails.
   */
  get hasCapacity(): boolean {
    return (
      this.outstanding < this.options.concurrency &&
      this.queue.pending + this.queue.size < this.queue.concurrency
    );
  }

  /** Stops every retry wait and request in flight; their events are dropped as `closed`. */
  abort(): void {
    this.controller.abort(new Error('The shipper was closed before these events could be sent'));
  }

  /**
   * Sends a batch, retrying as needed; each attempt takes a request slot of the queue only while
   * it is in flight. The promise always resolves, whatever becomes of the events.
   */
  schedule(destination: DestinationState, batch: Batch): Promise<void> {
    destination.active++;
    this.outstanding++;
    return this.send(destination, batch.events)
      .catch(() => {
        // send() reports every outcome through the hooks and does not throw.
      })
      .finally(() => {
        destination.active--;
        this.outstanding--;
      });
  }

  private async send(destination: DestinationState, batch: LogEvent[]): Promise<void> {
    const { now } = this.options;
    const startedAt = now();
    let events = batch;
    let attempts = 0;
    let epoch = 0;
    const signal = this.controller.signal;
    try {
      await pRetry(
        async () => {
          attempts++;
          events = this.recheckWindow(destination, events);
          if (events.length === 0) return;
          const attempted = events;
          let attemptStartedAt = 0;
          let response: PutLogEventsCommandOutput;
          try {
            response = await this.queue.add(
              async () => {
                // Pacing waits inside the request slot (it is short, and what the slot is for);
                // a retry's backoff waits outside it, so that it holds no other stream up.
                if (this.limit) await sleep(this.limit.delayBeforeStart(now()), signal);
                epoch = this.limit?.epoch ?? 0;
                attemptStartedAt = now();
                return this.putWithCreation(destination, attempted, signal);
              },
              { signal },
            );
          } catch (error) {
            // p-retry never retries a plain TypeError; the classification decides here instead.
            throw error instanceof TypeError ? new Error(error.message, { cause: error }) : error;
          }
          this.accept(destination, events, response, attempts, now() - startedAt);
          if (this.limit) {
            this.limit.succeeded(now() - attemptStartedAt, now());
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
            if (errorClass === 'fatal' || signal.aborted) throw new StopRetrying('rejected', error);
            const elapsed = now() - startedAt;
            if (elapsed >= this.options.maxRetryTimeMs) throw new StopRetrying('failed', error);
            if (errorClass === 'throttle' && this.limit?.throttled(epoch, now())) this.applyLimit();
            this.hooks.retried(errorClass);
            const delay = backoffDelay(
              attemptNumber,
              this.options.minDelayMs,
              this.options.maxDelayMs,
              this.options.random,
            );
            await sleep(Math.min(delay, this.options.maxRetryTimeMs - elapsed), signal);
          },
        },
      );
    } catch (error) {
      if (events.length === 0) return;
      if (signal.aborted) {
        this.hooks.dropped(destination, events, 'closed');
        return;
      }
      const reason = error instanceof StopRetrying ? error.reason : 'rejected';
      const cause = error instanceof StopRetrying ? error.error : error;
      this.hooks.dropped(destination, events, reason);
      this.hooks.failed(destination, reason, cause, events);
    }
  }

  private applyLimit(): void {
    const limit = (this.limit as AdaptiveLimit).limit;
    if (limit === this.queue.concurrency) return;
    this.queue.concurrency = limit;
    this.hooks.concurrencyChanged();
  }

  /** Drops what aged out of (or is not yet inside) the accepted window since the batch was made. */
  private recheckWindow(destination: DestinationState, events: LogEvent[]): LogEvent[] {
    const now = this.options.now();
    const oldest = oldestAccepted(now, this.options.retentionInDays);
    const newest = now + MAX_EVENT_FUTURE_MS;
    const first = events[0] as LogEvent;
    const last = events[events.length - 1] as LogEvent;
    // Batches are sorted: checking the ends is enough in the common case.
    if (first.timestamp >= oldest && last.timestamp <= newest) return events;
    const kept: LogEvent[] = [];
    const tooOld: LogEvent[] = [];
    const tooNew: LogEvent[] = [];
    for (const event of events) {
      if (event.timestamp < oldest) tooOld.push(event);
      else if (event.timestamp > newest) tooNew.push(event);
      else kept.push(event);
    }
    if (tooOld.length > 0) this.hooks.dropped(destination, tooOld, 'tooOld');
    if (tooNew.length > 0) this.hooks.dropped(destination, tooNew, 'tooNew');
    return kept;
  }

  private async putWithCreation(
    destination: DestinationState,
    events: LogEvent[],
    signal: AbortSignal,
  ): Promise<PutLogEventsCommandOutput> {
    const generation = destination.generation;
    try {
      return await this.put(destination, events, signal);
    } catch (error) {
      if (errorName(error) !== RESOURCE_NOT_FOUND || !this.options.createLogStream) throw error;
      await this.ensureDestination(destination, generation, signal);
      return await this.put(destination, events, signal);
    }
  }

  private put(destination: DestinationState, events: LogEvent[], signal: AbortSignal) {
    return this.request(
      (abortSignal) =>
        this.client.send(
          new PutLogEventsCommand({
            logGroupName: destination.logGroupName,
            logStreamName: destination.logStreamName,
            // LogEvent is an InputLogEvent with two more fields, which the SDK's serializer leaves
            // out (it writes the model's members only): no copy of every event per attempt.
            logEvents: events,
          }),
          { abortSignal },
        ),
      signal,
    );
  }

  /**
   * One request, given its own abort signal: it follows `signal` (the close), and aborts by itself
   * after `requestTimeoutMs` with a {@link RequestTimeoutError}, which is retried like a network
   * error. The promise settles when either aborts, even if the client ignores its signal.
   */
  private request<T>(send: (abortSignal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs;
    if (timeoutMs === 0) return untilAborted(send(signal), signal);
    if (signal.aborted) return Promise.reject(signal.reason);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    return untilAborted(send(controller.signal), controller.signal).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  }

  /**
   * Creates the stream (and, if allowed, the group) once, however many batches found it missing
   * at the same time: they share one promise, and a batch that failed before a creation that has
   * since finished just resends.
   */
  private async ensureDestination(
    destination: DestinationState,
    seenGeneration: number,
    signal: AbortSignal,
  ): Promise<void> {
    if (destination.generation !== seenGeneration) return;
    if (!destination.creating) {
      destination.creating = this.create(destination, signal).then(
        () => {
          destination.generation++;
          destination.creating = undefined;
        },
        (error: unknown) => {
          destination.creating = undefined;
          throw error;
        },
      );
    }
    await destination.creating;
  }

  private async create(destination: DestinationState, signal: AbortSignal): Promise<void> {
    const { logGroupName, logStreamName } = destination;
    const createStream = () =>
      ignoreAlreadyExists(
        this.request(
          (abortSignal) =>
            this.client.send(new CreateLogStreamCommand({ logGroupName, logStreamName }), { abortSignal }),
          signal,
        ),
      );
    try {
      await createStream();
    } catch (error) {
      if (errorName(error) !== RESOURCE_NOT_FOUND || !this.options.createLogGroup) throw error;
      const created = await ignoreAlreadyExists(
        this.request(
          (abortSignal) => this.client.send(new CreateLogGroupCommand({ logGroupName }), { abortSignal }),
          signal,
        ),
      );
      const { retentionInDays } = this.options;
      if (created && retentionInDays !== undefined) {
        await this.request(
          (abortSignal) =>
            this.client.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays }), {
              abortSignal,
            }),
          signal,
        );
      }
      await createStream();
    }
  }

  private accept(
    destination: DestinationState,
    events: LogEvent[],
    response: PutLogEventsCommandOutput,
    attempts: number,
    durationMs: number,
  ): void {
    const info = response.rejectedLogEventsInfo;
    if (!info) {
      this.hooks.sent(destination, events, batchBytes(events), attempts, durationMs);
      return;
    }
    // Index semantics from the API reference: the too-old and expired ends are exclusive, the
    // too-new start is inclusive.
    const tooOldEnd = info.tooOldLogEventEndIndex ?? 0;
    const expiredEnd = info.expiredLogEventEndIndex ?? 0;
    const tooNewStart = info.tooNewLogEventStartIndex ?? events.length;
    const sent: LogEvent[] = [];
    const tooOld: LogEvent[] = [];
    const expired: LogEvent[] = [];
    const tooNew: LogEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as LogEvent;
      if (i < tooOldEnd) tooOld.push(event);
      else if (i < expiredEnd) expired.push(event);
      else if (i >= tooNewStart) tooNew.push(event);
      else sent.push(event);
    }
    if (tooOld.length > 0) this.hooks.dropped(destination, tooOld, 'tooOld');
    if (expired.length > 0) this.hooks.dropped(destination, expired, 'expired');
    if (tooNew.length > 0) this.hooks.dropped(destination, tooNew, 'tooNew');
    this.hooks.sent(destination, sent, batchBytes(sent), attempts, durationMs);
  }
}

function batchBytes(events: LogEvent[]): number {
  let bytes = 0;
  for (const event of events) bytes += event.bytes + EVENT_OVERHEAD_BYTES;
  return bytes;
}

/** Resolves `true` if the resource was created, `false` if it already existed. */
async function ignoreAlreadyExists(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (errorName(error) === ALREADY_EXISTS) return false;
    throw error;
  }
}

/**
 * The request's own promise, or a rejection as soon as `signal` aborts: a client that ignores
 * `abortSignal` cannot hold up a close.
 */
function untilAborted<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A wait that never keeps the process alive and ends early, rejecting, when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
