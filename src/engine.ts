import { Buffers } from './buffers.js';
import { Client, type MakeCommand } from './client.js';
import { Creation } from './creation.js';
import type { Destination, Stream } from './destination.js';
import type { CloseResult, Engine, FlushOptions, FlushResult } from './engine-api.js';
import { ENTITY_REJECTED_WARNING_CODE } from './entity.js';
import { createEvent, type DropReason, type LogEvent, totalWeight } from './event.js';
import { EVENT_LIMIT_WARNING_CODE, EventLimit, eventLimitWarning } from './event-limit.js';
import { LoopHold } from './exit.js';
import { describeFailure } from './failure.js';
import { Intake } from './intake.js';
import { Ledger } from './ledger.js';
import { Markers, markerCount } from './markers.js';
import type { ResolvedOptions } from './options.js';
import { type Emitter, Reporter } from './reporter.js';
import { Router } from './router.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { loadSdk, sdkIfLoaded } from './sdk.js';
import { Sender } from './sender.js';
import type { ShipperStats } from './stats.js';
import { beforeDeadline, type Deadline, deadline, KeepAlive } from './timing.js';

/**
 * The pipeline on this thread: intake reads what is logged, the buffers hold it, the scheduler batches
 * and hands it to the sender, the ledger counts every step, and the reporter tells the program (see
 * README, "Architecture"). `LogShipper` runs it on the program's thread, or a worker thread runs it
 * for a `LogShipper` in worker mode (`worker/thread.ts`).
 */
export class LocalEngine implements Engine {
  readonly #options: ResolvedOptions;
  /** Read by `LogShipper` for a test that checks the client it makes. @internal */
  readonly client: Client;
  readonly #ledger: Ledger<Stream>;
  readonly #intake: Intake;
  readonly #buffers: Buffers;
  readonly #router: Router;
  readonly #reporter: Reporter;
  readonly #sender: Sender;
  /** Read by `LogShipper` for a test that plants a fault in it. @internal */
  readonly scheduler: Scheduler;
  /** The event size limit: `maxEventBytes`, lowered when the endpoint says it applies a lower one. */
  readonly #eventLimit: EventLimit;
  readonly #timer: NodeJS.Timeout;
  readonly #keepAlive = new KeepAlive();
  readonly #emitter: Emitter;
  readonly #markers: Markers | undefined;
  #closed = false;
  #closing: Promise<CloseResult> | undefined;
  /** Aborted when the first of the bounds given to `close()` ends: the close then stops waiting. */
  #closeBound: AbortController | undefined;
  /** What of this pipeline's work keeps the event loop alive: for `flushOnExit`'s `beforeExit`. */
  readonly #loopHold = new LoopHold(() => this.#ledger.loggedCount);

  constructor(resolved: ResolvedOptions, emitter: Emitter) {
    this.#options = resolved;
    this.#emitter = emitter;
    this.client = new HeldClient(resolved.client, resolved.clientConfig, this.#loopHold);
    const eventLimit = new EventLimit(resolved.maxEventBytes);
    this.#eventLimit = eventLimit;
    this.#reporter = new Reporter(emitter, resolved.now);
    const markers = resolved.dropMarkers ? new Markers(resolved.now, resolved.flushIntervalMs) : undefined;
    this.#markers = markers;
    this.#ledger = new Ledger<Stream>(
      markers && ((reason, weight, _stage, stream) => stream && markers.note(stream, reason, weight)),
    );
    this.#intake = new Intake(resolved.now);
    this.#buffers = new Buffers(resolved, this.#ledger, {
      full: (stream) => this.scheduler.held(stream),
      evicted: (stream) => this.scheduler.progressed(stream),
      invalidDestination: (group, stream) => refused(group, stream),
      drain: () =>
        process.nextTick(() => {
          if (this.#emitter.listenerCount('drain') > 0) this.#reporter.notify('drain');
        }),
    });
    const refused = (group: unknown, stream: unknown): void =>
      this.#reporter.invalidDestination(group, stream);
    this.#router = new Router(this.#buffers, resolved, refused);
    const creation = new Creation(this.client, resolved, (key, code, message) =>
      this.#reporter.warnOnce(key, code, message),
    );
    // The share of the buffers' room in use: adaptive concurrency asks more the further behind.
    const backlog = (): number => this.#ledger.pending / resolved.maxBufferedEvents;
    const sending = { ...resolved, backlog };
    this.#sender = new Sender(this.client, creation, sending, {
      sent: (stream, events, bytes, attempts, durationMs) => {
        const weight = totalWeight(events);
        this.#ledger.sent(weight, bytes, weight < events.length ? markerCount(events) : 0);
        if (this.#emitter.listenerCount('batch') > 0) {
          this.#reporter.notify('batch', {
            logGroupName: stream.logGroupName,
            logStreamName: stream.logStreamName,
            events: events.length,
            bytes,
            attempts,
            durationMs,
          });
        }
      },
      dropped: (stream, events, reason) => {
        this.#ledger.droppedInFlight(reason, totalWeight(events), stream);
        this.scheduler.dropContinuation(stream, events);
      },
      failed: (stream, reason, error, events) => {
        // Counted as the program logged them: markers and later pieces weigh 0. A batch of markers
        // alone is not reported (the failure of the events it speaks for was); one of later pieces
        // alone reports the pieces.
        let count = totalWeight(events);
        if (count === 0) for (const event of events) if (event.kind === 'piece') count++;
        if (count > 0) this.#reporter.deliveryFailed(stream, reason, error, count);
      },
      retried: () => this.#ledger.retried(),
      entityRejected: (warning) => this.#reporter.warnOnce('entity', ENTITY_REJECTED_WARNING_CODE, warning),
      capacityFreed: () => this.scheduler.schedulePump(),
      eventTooLarge: (maxEventBytes) => {
        if (eventLimit.lower(maxEventBytes)) {
          this.#reporter.warnOnce(
            'eventLimit',
            EVENT_LIMIT_WARNING_CODE,
            eventLimitWarning(maxEventBytes, resolved.oversizedEvents),
          );
        }
      },
    });
    // The batcher reads the limit at each take, from the one EventLimit (a getter, not a copy).
    const schedulerOptions: SchedulerOptions = {
      ...resolved,
      get maxEventBytes() {
        return eventLimit.maxEventBytes;
      },
    };
    this.scheduler = new Scheduler(
      this.#buffers,
      this.#sender,
      this.#ledger,
      markers,
      schedulerOptions,
      () => {
        if (!this.#closed) this.#buffers.checkDrain();
      },
      (error) => this.#reporter.internalError(error, 'sending'),
    );
    this.#timer = setInterval(() => this.#tick(), resolved.flushIntervalMs);
    this.#timer.unref();
    // Reading the SDK's modules keeps the event loop alive: a program that ends meanwhile waits for it.
    if (sdkIfLoaded() === undefined) {
      const release = this.#loopHold.hold();
      loadSdk().then(release, release);
    }
  }

  /**
   * Buffers one event; O(1), never throws, never waits. `input` is a message (string, Error, or
   * any value, serialized as JSON) or `{ message, timestamp }`; without a timestamp, the event is
   * stamped now. Returns `false` when the buffer is past its high-water mark, so that stream-like
   * callers can pause; `'drain'` follows once it is below the mark again. Once closing, it returns
   * `true`: no `'drain'` follows a close, and the event is dropped as `closed` in any case.
   */
  log(input: unknown, destination?: Partial<Destination>): boolean {
    this.#ledger.logged();
    const placed = this.#ledger.placed;
    try {
      this.#accept(input, destination);
      return this.#closed || this.#buffers.accepting();
    } catch (error) {
      // Every step guards its own input; this is the last line of defense for the host. The event
      // is counted once: as `internal` unless the ledger placed it before the throw. The answer is
      // not false: that would have the program wait for a 'drain' nothing may send.
      if (this.#ledger.placed === placed) this.#ledger.droppedAtDoor('internal');
      this.#reporter.internalError(error);
      return true;
    }
  }

  async ready(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.client.current();
      return !this.#closed;
    } catch (error) {
      this.#reporter.warnOnce(
        'ready',
        'CWS_SDK_UNAVAILABLE',
        `cloudwatch-shipper: the shipper cannot send: ${describeFailure(error).detail}`,
      );
      return false;
    }
  }

  /**
   * Sends everything logged before the call. Resolves when all of it is sent or dropped with a
   * reason, or when `timeoutMs` passes or `signal` aborts; what is left then stays buffered.
   */
  async flush(options: FlushOptions = {}): Promise<FlushResult> {
    const bound = deadline(options);
    const drain = this.scheduler.drainForFlush();
    const release = this.#keepAlive.hold();
    try {
      let complete = await beforeDeadline(drain.taken, bound);
      if (complete) complete = await beforeDeadline(Promise.all([...this.scheduler.tasks]), bound);
      this.#reporter.reportDrops(this.#ledger);
      const remaining = complete ? 0 : this.#ledger.pending;
      // A bound that had passed before there was anything to wait for does not make it incomplete.
      return { complete: complete || remaining === 0, remaining };
    } finally {
      drain.cancel();
      bound.clear();
      release();
    }
  }

  /**
   * Flushes, stops the timer and refuses further events (they are counted as dropped, `closed`).
   * With `timeoutMs` or `signal`, what is still unsent when the wait ends is dropped as `closed`.
   * Calling it again returns the same promise; a `timeoutMs` or `signal` given then bounds the
   * close under way as well (whichever bound ends first ends the wait).
   */
  close(options: FlushOptions = {}): Promise<CloseResult> {
    let bound: Deadline;
    try {
      bound = deadline(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closing === undefined) {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#closeBound = new AbortController();
      this.#closing = this.#shutDown(this.#closeBound.signal);
    }
    if (bound.ended !== undefined) {
      const controller = this.#closeBound as AbortController;
      void bound.ended.then(() => controller.abort());
      void this.#closing.then(bound.clear, bound.clear);
    }
    return this.#closing;
  }

  /** A snapshot of the counters. */
  stats(): ShipperStats {
    return this.#ledger.snapshot(this.#sender.concurrency, this.#buffers.size);
  }

  /** Events not yet sent or dropped. */
  pending(): number {
    return this.#ledger.pending;
  }

  logged(): number {
    return this.#ledger.loggedCount;
  }

  /** For `flushOnExit`: see {@link LoopHold.aloneSince}. */
  aloneSince(): number | undefined {
    return this.#loopHold.aloneSince();
  }

  /** Whether the buffers are below their high-water mark (asks for a `'drain'` when not). */
  accepting(): boolean {
    return this.#buffers.accepting();
  }

  /** The event size limit in force: `maxEventBytes`, lowered when the endpoint applies a lower one. */
  get maxEventBytes(): number {
    return this.#eventLimit.maxEventBytes;
  }

  /** Worker mode: `listener` is called after any counter changed (the worker publishes them). */
  onChange(listener: () => void): void {
    this.#ledger.changed = listener;
  }

  /**
   * Worker mode: one event the program's thread read, routed and kept within the event limit it was
   * told, as UTF-8 bytes in the ring, copied into the buffers as they are. Counted as logged here.
   */
  placeBytes(
    logGroupName: string,
    logStreamName: string,
    timestamp: number,
    source: Buffer,
    start: number,
    bytes: number,
    ascii: boolean,
  ): void {
    const ledger = this.#ledger;
    ledger.logged();
    const placed = ledger.placed;
    try {
      const stream = this.#placeable(logGroupName, logStreamName);
      if (stream !== undefined) this.#buffers.holdBytes(stream, timestamp, source, start, bytes, ascii);
    } catch (error) {
      if (ledger.placed === placed) ledger.droppedAtDoor('internal');
      this.#reporter.internalError(error);
    }
  }

  /** Worker mode: the pieces of one message the program's thread cut or split to the event limit. */
  placeMessage(
    logGroupName: string,
    logStreamName: string,
    events: LogEvent[],
    shape: 'truncated' | 'split',
  ): void {
    const ledger = this.#ledger;
    ledger.logged();
    const placed = ledger.placed;
    try {
      const stream = this.#placeable(logGroupName, logStreamName);
      if (stream !== undefined) this.#buffers.holdMessage(stream, events, shape);
    } catch (error) {
      if (ledger.placed === placed) ledger.droppedAtDoor('internal');
      this.#reporter.internalError(error);
    }
  }

  #placeable(logGroupName: string, logStreamName: string): Stream | undefined {
    if (this.#closed) {
      this.#ledger.droppedAtDoor('closed');
      return undefined;
    }
    const stream = this.#buffers.stream(logGroupName, logStreamName);
    if (stream === undefined) this.#ledger.droppedAtDoor('invalidDestination');
    return stream;
  }

  /** Worker mode: the program's thread dropped `weight` events meant for this stream: owed a marker. */
  noteDrop(logGroupName: string, logStreamName: string, reason: DropReason, weight: number): void {
    const stream = this.#markers && this.#buffers.stream(logGroupName, logStreamName);
    if (stream !== undefined) this.#markers?.note(stream, reason, weight);
  }

  /** The ledger's drops since the last report (worker mode reports them from the program's thread). */
  takeDrops(): ReturnType<Ledger['takeDropsSinceReport']> {
    return this.#ledger.takeDropsSinceReport();
  }

  /** Buffers `input`, or counts why not: every path places the event in the ledger exactly once. */
  #accept(input: unknown, where: Partial<Destination> | undefined): void {
    const ledger = this.#ledger;
    if (this.#closed) {
      ledger.droppedAtDoor('closed');
      return;
    }
    const intake = this.#intake;
    const refused = intake.read(input);
    if (refused !== undefined) {
      ledger.droppedAtDoor(refused);
      return;
    }
    const { message, timestamp } = intake;
    // Routed by the event's own time: a stream name may rotate by day or hour.
    const stream = this.#router.route(where, timestamp);
    if (stream === undefined) {
      ledger.droppedAtDoor('invalidDestination');
      return;
    }
    const limit = this.#eventLimit;
    // A UTF-16 unit is at most 3 UTF-8 bytes: a message that short is within the limit whatever it
    // holds, and is measured as it is copied (the common case; measuring first costs as much as the
    // copy). When that cannot be done as it is, measured first, as any other message.
    const most = message.length * 3;
    if (most <= limit.maxMessageBytes && this.#buffers.holdUnmeasured(stream, timestamp, message, most))
      return;
    const bytes = Buffer.byteLength(message, 'utf8');
    if (bytes <= limit.maxMessageBytes) {
      this.#buffers.holdOne(stream, timestamp, message, bytes);
      return;
    }
    const { oversizedEvents } = this.#options;
    // Decided before splitting: a message that could never fit the buffers is not copied into pieces.
    if (
      oversizedEvents === 'split' &&
      !this.#buffers.couldHold(Math.ceil(bytes / limit.maxMessageBytes), bytes)
    ) {
      ledger.droppedAtDoor('overflow', stream);
      return;
    }
    const made = createEvent(message, timestamp, limit.maxEventBytes, oversizedEvents, bytes);
    if (made === undefined) {
      ledger.droppedAtDoor('oversized', stream);
      return;
    }
    const split = Array.isArray(made);
    this.#buffers.holdMessage(stream, split ? made : [made], split ? 'split' : 'truncated');
  }

  #tick(): void {
    try {
      this.#buffers.sweep();
      this.scheduler.drainAll();
      this.#reporter.reportDrops(this.#ledger);
      this.#reporter.reportHeldErrors(false);
    } catch (error) {
      // A throw here would escape the timer and end the host process.
      this.#reporter.internalError(error, 'the flush interval');
    }
  }

  async #shutDown(bound: AbortSignal): Promise<CloseResult> {
    const before = this.#ledger.droppedCount('closed');
    const release = this.#keepAlive.hold();
    try {
      const { complete } = await this.flush({ signal: bound });
      if (!complete) {
        this.scheduler.dropCarried();
        for (const stream of this.#buffers.dropAll()) this.scheduler.progressed(stream);
        this.#sender.abort();
        await Promise.all([...this.scheduler.tasks]);
      }
      this.client.destroy();
      this.#buffers.releaseIdle();
      this.#reporter.reportDrops(this.#ledger);
      this.#reporter.reportHeldErrors(true);
      return { complete, dropped: this.#ledger.droppedCount('closed') - before };
    } finally {
      release();
    }
  }
}

/** The client, holding the event loop while a request is under way (its socket keeps the loop alive). */
class HeldClient extends Client {
  readonly #hold: LoopHold;

  constructor(given: ResolvedOptions['client'], config: ResolvedOptions['clientConfig'], hold: LoopHold) {
    super(given, config);
    this.#hold = hold;
  }

  override request<Output>(make: MakeCommand, signal: AbortSignal, timeoutMs: number): Promise<Output> {
    const release = this.#hold.hold();
    try {
      const request = super.request<Output>(make, signal, timeoutMs);
      request.then(release, release);
      return request;
    } catch (error) {
      release();
      throw error;
    }
  }
}
