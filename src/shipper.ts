import { EventEmitter } from 'node:events';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { type Batch, createBatches } from './batcher.js';
import { DestinationState } from './destination.js';
import { brand, CloudWatchShipperError } from './errors.js';
import {
  createEvent,
  type DropReason,
  type LogEvent,
  type LogInput,
  toMessage,
  toTimestamp,
} from './event.js';
import { type ExitParticipant, registerForExit, unregisterForExit } from './exit.js';
import { EVENT_OVERHEAD_BYTES, MAX_BATCH_SPAN_MS } from './limits.js';
import {
  type Destination,
  EVENT_MEMORY_OVERHEAD_BYTES,
  isLogGroupName,
  isLogStreamName,
  type LogShipperOptions,
  type ResolvedOptions,
  resolveOptions,
} from './options.js';
import { errorName } from './retry.js';
import { Sender } from './sender.js';
import { type DropCounts, emptyDropCounts, type ShipperStats, totalDropped } from './stats.js';

/** Bounds a wait in `flush()` and `close()`. */
export interface FlushOptions {
  /** Stop waiting when this signal aborts. */
  readonly signal?: AbortSignal;
  /** Stop waiting after this many milliseconds. */
  readonly timeoutMs?: number;
}

export interface FlushResult {
  /** `true` when everything logged before the call was sent or dropped with a reason. */
  readonly complete: boolean;
  /** Events still buffered or in flight when the wait ended (0 when complete). */
  readonly remaining: number;
}

export interface CloseResult {
  /** `true` when everything was sent or dropped with a reason before the wait ended. */
  readonly complete: boolean;
  /** Events dropped with reason `closed` because the wait ended first. */
  readonly dropped: number;
}

/** Emitted as `drop`, at most once per flush interval: what was dropped since the last report. */
export interface DropReport {
  /** Dropped events by reason, only the reasons that occurred. */
  readonly counts: Partial<DropCounts>;
  readonly total: number;
}

/** Emitted as `batch` for each acknowledged PutLogEvents request. */
export interface BatchReport {
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Events acknowledged. */
  readonly events: number;
  readonly bytes: number;
  /** Attempts it took (1 when the first one succeeded). */
  readonly attempts: number;
  readonly durationMs: number;
}

/**
 * A batch could not be delivered. The message names the AWS error and the destination, never a
 * message body or a credential. Identical errors are reported once per minute, with `repeated`
 * counting the ones in between; those held back are reported once their minute is over, or at
 * close. `cause` is a copy of the SDK's error with its name, message, code
 * and `$metadata` only: the original holds the raw HTTP exchange, signed headers included.
 */
export class DeliveryError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.DeliveryError');
  static {
    brand(DeliveryError);
  }

  /** The AWS error name, such as `AccessDeniedException`. */
  readonly awsErrorName: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** `rejected`: not retryable. `failed`: retried until `retry.maxRetryTimeMs` ran out. */
  readonly reason: 'rejected' | 'failed';
  /** Events dropped by this failure. */
  readonly events: number;
  /** Identical failures since the last report that were not reported on their own. */
  readonly repeated: number;

  constructor(init: {
    awsErrorName: string;
    destination: Destination;
    reason: 'rejected' | 'failed';
    events: number;
    repeated: number;
    detail: string;
    cause: unknown;
  }) {
    const what = init.reason === 'failed' ? 'gave up retrying' : 'was rejected';
    super(
      `PutLogEvents to ${init.destination.logGroupName} / ${init.destination.logStreamName} ${what} ` +
        `(${init.awsErrorName}${init.detail ? `: ${init.detail}` : ''}); ${init.events} events dropped` +
        (init.repeated > 0 ? `, ${init.repeated} more failures like it since the last report` : ''),
      { code: init.reason === 'failed' ? 'CWS_DELIVERY_FAILED' : 'CWS_DELIVERY_REJECTED', cause: init.cause },
    );
    this.name = 'DeliveryError';
    this.awsErrorName = init.awsErrorName;
    this.logGroupName = init.destination.logGroupName;
    this.logStreamName = init.destination.logStreamName;
    this.reason = init.reason;
    this.events = init.events;
    this.repeated = init.repeated;
  }
}

export interface LogShipperEvents {
  error: [error: DeliveryError];
  drop: [report: DropReport];
  batch: [report: BatchReport];
  /** After `log()` returned `false`, the buffer is below its high-water mark again. */
  drain: [];
}

/** Drops a stream's marker reports: lost on the way, not refused at the door or at close. */
const MARKED: Partial<Record<DropReason, true>> = {
  overflow: true,
  oversized: true,
  tooOld: true,
  tooNew: true,
  expired: true,
  rejected: true,
  failed: true,
};

/** How often identical delivery errors are reported. */
const ERROR_REPORT_INTERVAL_MS = 60_000;

/** The reports of one kind of failure (reason, AWS error, destination) within the interval. */
interface ErrorReport {
  /** When the last report went out. */
  at: number;
  /** Failures since then that were not reported, the events they dropped, and the last of them. */
  repeated: number;
  events: number;
  last?: { destination: Destination; reason: 'rejected' | 'failed'; awsErrorName: string; error: unknown };
}
/** Longest AWS error message quoted in a DeliveryError. */
const MAX_DETAIL_LENGTH = 200;

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
}

/**
 * Takes log events from a running program and gets every one of them into CloudWatch Logs, or
 * counts, by reason, the ones it could not send.
 */
export class LogShipper extends EventEmitter<LogShipperEvents> {
  private readonly options: ResolvedOptions;
  private readonly client: CloudWatchLogsClient;
  private readonly ownsClient: boolean;
  private readonly sender: Sender;
  private readonly defaultDestination: DestinationState;
  private readonly destinations: DestinationState[] = [];
  private readonly byName = new Map<string, Map<string, DestinationState | null>>();
  private cursor = 0;

  // Counters; `stats()` copies them.
  private logged = 0;
  private sent = 0;
  private batches = 0;
  private bytesSent = 0;
  private retries = 0;
  private buffered = 0;
  private inFlight = 0;
  private truncated = 0;
  private splitCount = 0;
  private readonly dropped: DropCounts = emptyDropCounts();

  /** Physical events and message bytes buffered across all destinations, for the bounds. */
  private heldEvents = 0;
  private heldBytes = 0;
  private readonly highWaterEvents: number;
  private readonly highWaterBytes: number;
  private readonly maxMessageBytes: number;

  private readonly tasks = new Set<Promise<void>>();
  private waiters: Waiter[] = [];
  private pumpScheduled = false;
  /** `log()` returned `false` and no `'drain'` has followed yet. */
  private wantsDrain = false;
  private readonly timer: NodeJS.Timeout;
  private keepAlive: NodeJS.Timeout | undefined;
  private keepAliveUsers = 0;
  private closed = false;
  private closing: Promise<CloseResult> | undefined;
  /** Aborted when the first of the bounds given to `close()` ends: the close then stops waiting. */
  private closeBound: AbortController | undefined;
  private pendingDrops: Partial<DropCounts> = {};
  private readonly errorReports = new Map<string, ErrorReport>();
  private readonly invalidDestinations = new Set<string>();
  /** Drop markers in flight, to count the ones acknowledged; undefined when markers are off. */
  private readonly markerEvents: WeakSet<LogEvent> | undefined;
  private markers = 0;
  private readonly exitHooks: ExitParticipant;

  constructor(options: LogShipperOptions) {
    super();
    this.options = resolveOptions(options);
    const { client, clientConfig } = options;
    if (client !== undefined) {
      if (
        !(client instanceof CloudWatchLogsClient) &&
        typeof (client as { send?: unknown }).send !== 'function'
      ) {
        throw new TypeError('Expected `client` to be a CloudWatchLogsClient');
      }
      this.client = client;
      this.ownsClient = false;
    } else {
      // Retrying happens in one place, here; the SDK's own retries would multiply ours.
      this.client = new CloudWatchLogsClient({ ...clientConfig, maxAttempts: 1 });
      this.ownsClient = true;
    }
    this.highWaterEvents = Math.ceil(this.options.maxBufferedEvents * this.options.highWaterMark);
    this.highWaterBytes = Math.ceil(this.options.maxBufferedBytes * this.options.highWaterMark);
    this.maxMessageBytes = this.options.maxEventBytes - EVENT_OVERHEAD_BYTES;
    this.markerEvents = this.options.dropMarkers ? new WeakSet() : undefined;
    this.exitHooks = {
      pending: () => this.buffered + this.inFlight,
      logged: () => this.logged,
      flush: (wait) => this.flush(wait),
      close: (wait) => this.close(wait),
      exitTimeoutMs: this.options.exitTimeoutMs,
    };
    this.sender = new Sender(this.client, this.options, {
      sent: (destination, events, bytes, attempts, durationMs) => {
        const weight = weightOf(events);
        if (this.markerEvents !== undefined && weight < events.length) {
          for (const event of events) if (event.count === 0 && this.markerEvents.has(event)) this.markers++;
        }
        this.inFlight -= weight;
        this.sent += weight;
        this.batches++;
        this.bytesSent += bytes;
        if (this.listenerCount('batch') > 0) {
          this.notify('batch', {
            logGroupName: destination.logGroupName,
            logStreamName: destination.logStreamName,
            events: events.length,
            bytes,
            attempts,
            durationMs,
          });
        }
      },
      dropped: (destination, events, reason) => {
        const weight = weightOf(events);
        this.inFlight -= weight;
        this.countDrop(reason, weight, destination);
      },
      failed: (destination, reason, error, events) => {
        // Counted as the program logged them: drop markers and the pieces of a split message
        // after the first weigh 0. A batch of markers alone is not reported (the failure of the
        // events it speaks for was); one of later pieces alone reports the pieces.
        let count = weightOf(events);
        if (count === 0) for (const event of events) if (!this.markerEvents?.has(event)) count++;
        if (count > 0) this.reportError(destination, reason, error, count);
      },
      retried: () => {
        this.retries++;
      },
      concurrencyChanged: () => this.schedulePump(),
    });
    this.sender.queue.on('next', () => this.pump());
    this.defaultDestination = this.addDestination(this.options.destination);
    this.timer = setInterval(() => this.tick(), this.options.flushIntervalMs);
    this.timer.unref();
    if (this.options.flushOnExit) registerForExit(this.exitHooks);
  }

  /**
   * Buffers one event; O(1), never throws, never waits. `input` is a message (string, Error, or
   * any value, serialized as JSON) or `{ message, timestamp }`; without a timestamp, the event is
   * stamped now. Returns `false` when the buffer is past its high-water mark, so that stream-like
   * callers can pause; `'drain'` follows once it is below the mark again.
   */
  log(input: unknown, destination?: Partial<Destination>): boolean {
    this.logged++;
    try {
      this.accept(input, destination);
    } catch {
      // Every step above guards its own input; this is the last line of defense for the host.
      this.countDrop('empty', 1);
    }
    if (this.belowHighWater()) return true;
    this.wantsDrain = true;
    return false;
  }

  /** Buffers many events, as `log()` does for each. */
  logMany(inputs: Iterable<unknown>, destination?: Partial<Destination>): boolean {
    let ok = true;
    try {
      for (const input of inputs) ok = this.log(input, destination);
    } catch {
      // A throwing iterator ends the call, never the host program.
    }
    return ok;
  }

  /**
   * Sends everything logged before the call. Resolves when all of it is sent or dropped with a
   * reason, or when `timeoutMs` passes or `signal` aborts; what is left then stays buffered.
   */
  async flush(options: FlushOptions = {}): Promise<FlushResult> {
    const targets: [DestinationState, number][] = [];
    for (const destination of this.destinations) {
      if (destination.enqueued > destination.drainTarget) destination.drainTarget = destination.enqueued;
      targets.push([destination, destination.enqueued]);
    }
    this.pump();
    const drained = () => targets.every(([d, target]) => d.taken >= target && d.carry.length === 0);
    const deadline = deadlineOf(options);
    const wait = this.until(drained);
    this.holdProcess(1);
    try {
      let complete = await race(wait.promise, deadline.promise);
      if (complete) complete = await race(Promise.all([...this.tasks]).then(yes), deadline.promise);
      this.reportDrops();
      return { complete, remaining: complete ? 0 : this.buffered + this.inFlight };
    } finally {
      wait.cancel();
      deadline.clear();
      this.holdProcess(-1);
    }
  }

  /**
   * Flushes, stops the timer and refuses further events (they are counted as dropped, `closed`).
   * With `timeoutMs` or `signal`, what is still unsent when the wait ends is dropped as `closed`.
   * Calling it again returns the same promise; a `timeoutMs` or `signal` given then bounds the
   * close under way as well (whichever bound ends first ends the wait).
   */
  close(options: FlushOptions = {}): Promise<CloseResult> {
    let deadline: ReturnType<typeof deadlineOf>;
    try {
      deadline = deadlineOf(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.closing) {
      this.closed = true;
      clearInterval(this.timer);
      this.closeBound = new AbortController();
      // Still registered while it closes: a signal meanwhile bounds the close by exitTimeoutMs.
      this.closing = this.shutDown(this.closeBound.signal).finally(() => unregisterForExit(this.exitHooks));
    }
    if (deadline.promise !== undefined) {
      const bound = this.closeBound as AbortController;
      void deadline.promise.then(() => bound.abort());
      void this.closing.then(deadline.clear, deadline.clear);
    }
    return this.closing;
  }

  /** A snapshot of the counters. */
  stats(): ShipperStats {
    return {
      logged: this.logged,
      sent: this.sent,
      batches: this.batches,
      bytesSent: this.bytesSent,
      retries: this.retries,
      buffered: this.buffered,
      inFlight: this.inFlight,
      dropped: { ...this.dropped },
      truncated: this.truncated,
      split: this.splitCount,
      markers: this.markers,
      concurrency: this.sender.queue.concurrency,
    };
  }

  // ---- Taking events in ----------------------------------------------------------------------

  private accept(input: unknown, where: Partial<Destination> | undefined): void {
    const destination = where === undefined ? this.defaultDestination : this.resolveDestination(where);
    if (destination === undefined) {
      this.countDrop('invalidDestination', 1);
      return;
    }
    if (this.closed) {
      this.countDrop('closed', 1);
      return;
    }
    let message: unknown = input;
    let time: unknown;
    if (typeof input === 'object' && input !== null) {
      const explicit = asLogInput(input);
      if (explicit) {
        message = explicit.message;
        time = explicit.timestamp;
      }
    }
    const text = typeof message === 'string' ? (message === '' ? undefined : message) : toMessage(message);
    if (text === undefined) {
      this.countDrop('empty', 1);
      return;
    }
    const timestamp = time === undefined ? this.options.now() : safeTimestamp(time, this.options.now);
    if (Number.isNaN(timestamp)) {
      this.countDrop('invalidTimestamp', 1);
      return;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= this.maxMessageBytes) {
      // The common case: room is made (or the event dropped) before the event object exists, so a
      // buffer that is full costs no allocation per dropped event.
      if (!this.fits(1, bytes) && !this.makeRoom(1, bytes)) {
        this.countDrop('overflow', 1, destination);
        return;
      }
      this.hold(destination, { timestamp, message: text, bytes, count: 1 });
      if (destination.hasFullBatch(this.options.maxBatchEvents, this.options.maxBatchBytes))
        this.schedulePump();
      return;
    }
    const made = createEvent(
      text,
      timestamp,
      this.options.maxEventBytes,
      this.options.oversizedEvents,
      bytes,
    );
    if (made === undefined) {
      this.countDrop('oversized', 1, destination);
    } else if (Array.isArray(made)) {
      if (this.enqueue(destination, made)) this.splitCount++;
    } else if (this.enqueue(destination, [made])) {
      this.truncated++;
    }
  }

  /** Adds events to a buffer, all or none, making room by the overflow policy; false if dropped. */
  private enqueue(destination: DestinationState, pieces: LogEvent[]): boolean {
    let bytes = 0;
    for (const piece of pieces) bytes += piece.bytes;
    if (!this.fits(pieces.length, bytes) && !this.makeRoom(pieces.length, bytes)) {
      this.countDrop('overflow', 1, destination);
      return false;
    }
    for (const piece of pieces) this.hold(destination, piece);
    this.schedulePump();
    return true;
  }

  private hold(destination: DestinationState, event: LogEvent): void {
    destination.push(event);
    this.heldEvents++;
    this.heldBytes += event.bytes;
    this.buffered += event.count;
  }

  /**
   * Memory the buffers would hold with `events` more events of `bytes` message bytes: each event
   * counts its message plus {@link EVENT_MEMORY_OVERHEAD_BYTES}, so that `maxBufferedBytes` bounds
   * memory rather than message text alone.
   */
  private belowHighWater(): boolean {
    return this.heldEvents < this.highWaterEvents && this.heldMemory(0, 0) < this.highWaterBytes;
  }

  /** `'drain'`, on a later tick, once the buffer is below its high-water mark after a `false`. */
  private checkDrain(): void {
    if (!this.wantsDrain || this.closed || !this.belowHighWater()) return;
    this.wantsDrain = false;
    process.nextTick(() => {
      if (this.listenerCount('drain') > 0) this.notify('drain');
    });
  }

  private heldMemory(events: number, bytes: number): number {
    return this.heldBytes + bytes + (this.heldEvents + events) * EVENT_MEMORY_OVERHEAD_BYTES;
  }

  private fits(events: number, bytes: number): boolean {
    return (
      this.heldEvents + events <= this.options.maxBufferedEvents &&
      this.heldMemory(events, bytes) <= this.options.maxBufferedBytes
    );
  }

  /** Drops the oldest buffered events until `events` and `bytes` more fit; false if they cannot. */
  private makeRoom(events: number, bytes: number): boolean {
    if (this.options.onBufferFull === 'dropNewest') return false;
    const { maxBufferedEvents, maxBufferedBytes } = this.options;
    if (events > maxBufferedEvents || bytes + events * EVENT_MEMORY_OVERHEAD_BYTES > maxBufferedBytes)
      return false;
    while (!this.fits(events, bytes)) {
      const victim = this.oldestDestination();
      const pieces = victim?.shiftMessage() ?? [];
      if (pieces.length === 0) return false;
      const weight = weightOf(pieces);
      for (const event of pieces) {
        this.heldEvents--;
        this.heldBytes -= event.bytes;
      }
      this.buffered -= weight;
      this.countDrop('overflow', weight, victim);
    }
    return true;
  }

  /** The destination whose first buffered event is the oldest. */
  private oldestDestination(): DestinationState | undefined {
    if (this.destinations.length === 1) return this.destinations[0];
    let oldest: DestinationState | undefined;
    let time = Number.POSITIVE_INFINITY;
    for (const destination of this.destinations) {
      const t = destination.oldestTimestamp;
      if (t < time) {
        time = t;
        oldest = destination;
      }
    }
    return oldest;
  }

  private resolveDestination(where: Partial<Destination>): DestinationState | undefined {
    let group: unknown;
    let stream: unknown;
    try {
      group = where.logGroupName ?? this.options.destination.logGroupName;
      stream = where.logStreamName ?? this.options.destination.logStreamName;
    } catch {
      return undefined;
    }
    if (typeof group !== 'string' || typeof stream !== 'string') {
      this.reportInvalidDestination(group, stream);
      return undefined;
    }
    let streams = this.byName.get(group);
    const known = streams?.get(stream);
    if (known !== undefined) return known ?? undefined;
    if (!isLogGroupName(group) || !isLogStreamName(stream)) {
      this.reportInvalidDestination(group, stream);
      return undefined;
    }
    if (!streams) {
      streams = new Map();
      this.byName.set(group, streams);
    }
    const destination = new DestinationState({ logGroupName: group, logStreamName: stream });
    streams.set(stream, destination);
    this.destinations.push(destination);
    return destination;
  }

  private addDestination(destination: Destination): DestinationState {
    const state = new DestinationState(destination);
    this.byName.set(destination.logGroupName, new Map([[destination.logStreamName, state]]));
    this.destinations.push(state);
    return state;
  }

  private reportInvalidDestination(group: unknown, stream: unknown): void {
    const key = `${typeof group === 'string' ? group.slice(0, 600) : typeof group}\u0000${
      typeof stream === 'string' ? stream.slice(0, 600) : typeof stream
    }`;
    // Reported once per name; the set is capped so a flood of bad names cannot grow it forever.
    if (this.invalidDestinations.has(key) || this.invalidDestinations.size >= 1000) return;
    this.invalidDestinations.add(key);
    process.emitWarning(
      'cloudwatch-shipper: events for an invalid log group or stream name are dropped (reason invalidDestination)',
      { code: 'CWS_INVALID_DESTINATION' },
    );
  }

  // ---- Sending -------------------------------------------------------------------------------

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => this.pump());
  }

  /** Starts as many requests as the concurrency limits allow, round-robin over destinations. */
  private pump(): void {
    this.pumpScheduled = false;
    while (this.sender.hasCapacity) {
      const destination = this.nextReady();
      if (!destination) break;
      const batch = this.takeBatch(destination);
      if (!batch) continue;
      const task = this.sender.schedule(destination, batch);
      this.tasks.add(task);
      task.then(() => {
        this.tasks.delete(task);
        // The stream has a free slot again (and p-queue's own 'next' may have come first).
        this.pump();
      });
    }
    this.checkDrain();
    this.checkWaiters();
  }

  private nextReady(): DestinationState | undefined {
    const { perStreamConcurrency, maxBatchEvents, maxBatchBytes } = this.options;
    const count = this.destinations.length;
    for (let i = 0; i < count; i++) {
      const destination = this.destinations[(this.cursor + i) % count] as DestinationState;
      if (destination.active >= perStreamConcurrency) continue;
      // A batch that goes on with a split message waits for the requests before it, so that a
      // retry of an earlier piece cannot land after a later one: the pieces share a timestamp,
      // and only arrival order keeps them in order.
      const carried = destination.carry[0];
      if (carried !== undefined && destination.active > 0 && carried.events[0]?.count === 0) continue;
      if (
        destination.carry.length > 0 ||
        (destination.heldEvents > 0 &&
          (destination.taken < destination.drainTarget ||
            destination.hasFullBatch(maxBatchEvents, maxBatchBytes)))
      ) {
        this.cursor = (this.cursor + i + 1) % count;
        return destination;
      }
    }
    return undefined;
  }

  /** The next request for a destination: a carried batch, or one made from the buffer's front. */
  private takeBatch(destination: DestinationState): Batch | undefined {
    const carried = destination.carry.shift();
    if (carried) return carried;
    const prefix = destination.takePrefix(this.options.maxBatchEvents, this.options.maxBatchBytes);
    let bytes = 0;
    let weight = 0;
    for (const event of prefix) {
      bytes += event.bytes;
      weight += event.count;
    }
    this.heldEvents -= prefix.length;
    this.heldBytes -= bytes;
    this.buffered -= weight;
    this.inFlight += weight;
    const { batches, dropped } = createBatches(prefix, {
      now: this.options.now(),
      retentionInDays: this.options.retentionInDays,
      maxEventBytes: this.options.maxEventBytes,
      maxBatchBytes: this.options.maxBatchBytes,
      maxBatchEvents: this.options.maxBatchEvents,
    });
    for (const { event, reason } of dropped) {
      this.inFlight -= event.count;
      this.countDrop(reason, event.count, destination);
    }
    const first = batches.shift();
    destination.carry.push(...batches);
    return first && this.withMarker(destination, first);
  }

  /**
   * Adds a drop marker to a request for a stream that lost events since its last marker: in the
   * request itself when it has room, else as a request of its own right after. A marker weighs 0,
   * is never buffered (so it cannot overflow anything) and its own loss is not counted, so it
   * cannot lead to another marker.
   */
  private withMarker(destination: DestinationState, batch: Batch): Batch {
    if (this.markerEvents === undefined || destination.markerTotal === 0) return batch;
    const now = this.options.now();
    if (now - destination.lastMarkerAt < this.options.flushIntervalMs) return batch;
    const parts = Object.entries(destination.markerCounts)
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ');
    const message =
      `cloudwatch-shipper: dropped ${destination.markerTotal} events since ` +
      `${new Date(destination.markerSince).toISOString()} (${parts})`;
    const marker: LogEvent = { timestamp: now, message, bytes: Buffer.byteLength(message, 'utf8'), count: 0 };
    this.markerEvents.add(marker);
    destination.markerCounts = {};
    destination.markerTotal = 0;
    destination.lastMarkerAt = now;
    const size = marker.bytes + EVENT_OVERHEAD_BYTES;
    const first = batch.events[0] as LogEvent;
    const last = batch.events[batch.events.length - 1] as LogEvent;
    if (
      batch.events.length < this.options.maxBatchEvents &&
      batch.bytes + size <= this.options.maxBatchBytes &&
      now >= last.timestamp &&
      now - first.timestamp < MAX_BATCH_SPAN_MS
    ) {
      return { events: [...batch.events, marker], bytes: batch.bytes + size };
    }
    destination.carry.unshift({ events: [marker], bytes: size });
    return batch;
  }

  private tick(): void {
    for (const destination of this.destinations) destination.drainTarget = destination.enqueued;
    this.pump();
    this.reportDrops();
    if (this.errorReports.size > 0) this.reportHeldErrors(false);
  }

  // ---- Waiting -------------------------------------------------------------------------------

  /** Resolves when `done()` holds, checked whenever a batch is taken or settles. */
  private until(done: () => boolean): { promise: Promise<boolean>; cancel: () => void } {
    if (done()) return { promise: Promise.resolve(true), cancel: noop };
    let waiter: Waiter | undefined;
    const promise = new Promise<boolean>((resolve) => {
      waiter = { done, resolve: () => resolve(true) };
      this.waiters.push(waiter);
    });
    return {
      promise,
      cancel: () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
      },
    };
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.done()) waiter.resolve();
      else waiting.push(waiter);
    }
    this.waiters = waiting;
  }

  /**
   * While someone awaits a flush or close, a referenced timer keeps the process alive: otherwise
   * a retry's backoff (whose timers are unreferenced) could let it exit with events unsent.
   */
  private holdProcess(delta: number): void {
    this.keepAliveUsers += delta;
    if (this.keepAliveUsers > 0 && !this.keepAlive) {
      this.keepAlive = setInterval(noop, 60_000);
    } else if (this.keepAliveUsers === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }

  private async shutDown(bound: AbortSignal): Promise<CloseResult> {
    const before = this.dropped.closed;
    this.holdProcess(1);
    try {
      const { complete } = await this.flush({ signal: bound });
      if (!complete) {
        for (const destination of this.destinations) {
          for (const batch of destination.carry.splice(0)) {
            const weight = weightOf(batch.events);
            this.inFlight -= weight;
            this.countDrop('closed', weight);
          }
          const left = destination.takeAll();
          let bytes = 0;
          const weight = weightOf(left);
          for (const event of left) bytes += event.bytes;
          this.heldEvents -= left.length;
          this.heldBytes -= bytes;
          this.buffered -= weight;
          this.countDrop('closed', weight);
        }
        this.sender.abort();
        await Promise.all([...this.tasks]);
      }
      if (this.ownsClient) this.client.destroy();
      this.reportDrops();
      this.reportHeldErrors(true);
      return { complete, dropped: this.dropped.closed - before };
    } finally {
      this.holdProcess(-1);
    }
  }

  // ---- Reporting -----------------------------------------------------------------------------

  private countDrop(reason: DropReason, weight: number, destination?: DestinationState): void {
    this.dropped[reason] += weight;
    this.pendingDrops[reason] = (this.pendingDrops[reason] ?? 0) + weight;
    if (destination !== undefined && weight > 0 && this.markerEvents !== undefined && MARKED[reason]) {
      if (destination.markerTotal === 0) destination.markerSince = this.options.now();
      destination.markerTotal += weight;
      destination.markerCounts[reason] = (destination.markerCounts[reason] ?? 0) + weight;
    }
  }

  private reportDrops(): void {
    const counts = this.pendingDrops;
    const total = totalDropped(counts);
    if (total === 0) return;
    this.pendingDrops = {};
    if (this.listenerCount('drop') > 0) this.notify('drop', { counts, total });
  }

  private reportError(
    destination: DestinationState,
    reason: 'rejected' | 'failed',
    error: unknown,
    events: number,
  ) {
    const awsErrorName = errorName(error);
    const key = `${reason}\u0000${awsErrorName}\u0000${destination.logGroupName}\u0000${destination.logStreamName}`;
    const now = this.options.now();
    const previous = this.errorReports.get(key);
    if (previous && now - previous.at < ERROR_REPORT_INTERVAL_MS) {
      previous.repeated++;
      previous.events += events;
      previous.last = { destination, reason, awsErrorName, error };
      return;
    }
    this.errorReports.set(key, { at: now, repeated: 0, events: 0 });
    this.emitError({
      awsErrorName,
      destination,
      reason,
      events: events + (previous?.events ?? 0),
      repeated: previous?.repeated ?? 0,
      error,
    });
  }

  /**
   * Reports the failures held back since their last report once the interval is over (or, on
   * close, at once), so that no failure goes unreported because no other came after it. Forgets
   * the kinds of failure that have been quiet for an interval.
   */
  private reportHeldErrors(all: boolean): void {
    const now = this.options.now();
    for (const [key, report] of this.errorReports) {
      if (!all && now - report.at < ERROR_REPORT_INTERVAL_MS) continue;
      const { last } = report;
      if (report.repeated === 0 || last === undefined) {
        this.errorReports.delete(key);
        continue;
      }
      // The last failure held back is the one reported; the others count as `repeated`.
      this.errorReports.set(key, { at: now, repeated: 0, events: 0 });
      this.emitError({ ...last, events: report.events, repeated: report.repeated - 1 });
    }
  }

  private emitError(init: {
    awsErrorName: string;
    destination: Destination;
    reason: 'rejected' | 'failed';
    events: number;
    repeated: number;
    error: unknown;
  }): void {
    const { error, ...rest } = init;
    const deliveryError = new DeliveryError({
      ...rest,
      detail: errorDetail(error),
      cause: sanitizedCause(error),
    });
    if (this.listenerCount('error') > 0) this.notify('error', deliveryError);
    else process.emitWarning(deliveryError.message, { code: deliveryError.code });
  }

  /**
   * Emits to the program's listeners. One that throws must not reach the shipper's internals,
   * where its error would count a delivered batch as failed, or escape a timer and end the
   * process: it becomes a process warning instead.
   */
  private notify<K extends keyof LogShipperEvents>(event: K, ...args: LogShipperEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: LogShipperEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
      process.emitWarning(`A '${event}' listener of LogShipper threw (${what})`, {
        code: 'CWS_LISTENER_THREW',
      });
    }
  }
}

function weightOf(events: readonly LogEvent[]): number {
  let weight = 0;
  for (const event of events) weight += event.count;
  return weight;
}

/** `{ message, timestamp }` and nothing else; any other object is a message of its own. */
function asLogInput(value: object): LogInput | undefined {
  try {
    if (value instanceof Error || Array.isArray(value) || !('message' in value)) return undefined;
    for (const key in value) if (key !== 'message' && key !== 'timestamp') return undefined;
    return value as LogInput;
  } catch {
    return undefined;
  }
}

function safeTimestamp(value: unknown, now: () => number): number {
  try {
    return toTimestamp(value, now());
  } catch {
    return Number.NaN;
  }
}

/**
 * A copy of the SDK's error with what identifies it (name, message, code, HTTP status, request
 * id) and nothing else. The original carries the raw HTTP exchange (`$response`), whose request
 * headers hold the session token and the signature: it must not travel with our errors.
 */
function sanitizedCause(error: unknown): Error {
  const copy = new Error(errorDetail(error));
  copy.name = errorName(error);
  copy.stack = `${copy.name}: ${copy.message}`;
  const source = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    $fault?: unknown;
    $metadata?: { httpStatusCode?: unknown; requestId?: unknown; attempts?: unknown };
  };
  const extra: Record<string, unknown> = {};
  if (typeof source.code === 'string') extra.code = source.code;
  if (typeof source.$fault === 'string') extra.$fault = source.$fault;
  const metadata = source.$metadata;
  if (metadata && typeof metadata === 'object') {
    extra.$metadata = {
      httpStatusCode: typeof metadata.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined,
      requestId: typeof metadata.requestId === 'string' ? metadata.requestId : undefined,
      attempts: typeof metadata.attempts === 'number' ? metadata.attempts : undefined,
    };
  }
  return Object.assign(copy, extra);
}

/** The AWS error's own message, shortened; it names what went wrong and never holds our data. */
function errorDetail(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return '';
  return message.length > MAX_DETAIL_LENGTH ? `${message.slice(0, MAX_DETAIL_LENGTH)}…` : message;
}

function noop(): void {}

function yes(): true {
  return true;
}

function deadlineOf(options: FlushOptions): { promise: Promise<false> | undefined; clear: () => void } {
  const { signal, timeoutMs } = options;
  if (signal === undefined && timeoutMs === undefined) return { promise: undefined, clear: noop };
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    throw new TypeError(`Expected \`timeoutMs\` to be a number >= 0, got \`${String(timeoutMs)}\``);
  }
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<false>((resolve) => {
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    }
    if (signal) {
      if (signal.aborted) resolve(false);
      onAbort = () => resolve(false);
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  return {
    promise,
    clear: () => {
      if (timer) clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    },
  };
}

async function race(work: Promise<boolean>, deadline: Promise<false> | undefined): Promise<boolean> {
  return deadline ? Promise.race([work, deadline]) : work;
}
