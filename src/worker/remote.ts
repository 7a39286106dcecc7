/**
 * Worker mode, the program's side: `log()` reads the input, routes it, cuts it to the event limit, and
 * writes it into the transport ring; a worker thread of the shipper's own (`thread.ts`) does the rest.
 * `stats()` reads the counters the worker publishes in shared memory; the worker's reports are emitted
 * here, to the program's listeners. At the process's `'exit'`, the program's thread waits (bounded)
 * while the worker sends what is buffered.
 */
import type { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { couldEverHold, STREAM_IDLE_MS } from '../buffers.js';
import type { Destination } from '../destination.js';
import type { CloseResult, Engine, FlushOptions, FlushResult } from '../engine-api.js';
import { DeliveryError } from '../errors.js';
import { createEvent, DROP_REASONS, type DropReason, type LogEvent } from '../event.js';
import type { BatchReport, LogShipperEvents } from '../events.js';
import { type IdleEntry, IdleQueue } from '../idle.js';
import { Intake } from '../intake.js';
import { Ledger } from '../ledger.js';
import type { ResolvedOptions } from '../options.js';
import { Reporter } from '../reporter.js';
import { Router, type StreamRegistry } from '../router.js';
import { isLogGroupName, isLogStreamName, maxMessageBytes } from '../rules.js';
import type { DropCounts, ShipperStats } from '../stats.js';
import { beforeDeadline, deadline, exitWaitMs, KeepAlive } from '../timing.js';
import { withoutThread } from './crossing.js';
import {
  ASCII_FLAG,
  belowHighWater,
  CounterReader,
  Ctl,
  type FromWorker,
  LISTENED,
  Rec,
  Shape,
  STAT_FIELDS,
  STATS_BYTES,
  type ToWorker,
} from './protocol.js';
import { workerStart } from './source.js';
import {
  createTransport,
  TransportWriter,
  transportBytes,
  workerBufferedBytes,
  writeText,
} from './transport.js';

/** A destination as the program's thread knows it: its names, and the id the worker knows it by. */
export class Linked implements Destination, IdleEntry {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly braces: boolean;
  readonly id: number;
  /** Whether its names went into the ring. */
  defined = false;
  /** Drops on the program's thread not yet told to the worker (for its drop markers), by reason. */
  owed: Map<DropReason, number> | undefined;
  /** The router's default destination: never let go. */
  pinned = false;
  usedInPeriod = -1;
  queuedForSweep = false;

  constructor(logGroupName: string, logStreamName: string, id: number) {
    this.logGroupName = logGroupName;
    this.logStreamName = logStreamName;
    this.braces = /[{}]/.test(logStreamName);
    this.id = id;
  }
}

/**
 * The destinations the program's thread has written to, by name, each with the id its records carry.
 * One unused for {@link STREAM_IDLE_MS} is let go, as the worker's buffers let go of its stream, and
 * its id is given to the next new destination: its define record, after every record of the one
 * before in the ring, is what tells the worker the id's new names. So the ids, and the worker's table
 * of names by id, stay as many as the destinations in use, however many come and go. @internal
 */
export class Registry implements StreamRegistry<Linked> {
  readonly #byName = new Map<string, Map<string, Linked>>();
  readonly #refused: (group: unknown, stream: unknown) => void;
  readonly #idle: IdleQueue<Linked>;
  /** Ids of destinations let go, for new ones. */
  readonly #free: number[] = [];
  #next = 0;
  #size = 0;

  constructor(refused: (group: unknown, stream: unknown) => void, idleMs: number, sweepIntervalMs: number) {
    this.#refused = refused;
    this.#idle = new IdleQueue(idleMs, sweepIntervalMs);
  }

  /** How many destinations it holds. */
  get size(): number {
    return this.#size;
  }

  lookup(logGroupName: string, logStreamName: string): Linked | undefined {
    return this.#byName.get(logGroupName)?.get(logStreamName);
  }

  stream(logGroupName: string, logStreamName: string): Linked | undefined {
    const known = this.lookup(logGroupName, logStreamName);
    if (known !== undefined) return known;
    if (!isLogGroupName(logGroupName) || !isLogStreamName(logStreamName)) {
      this.#refused(logGroupName, logStreamName);
      return undefined;
    }
    let streams = this.#byName.get(logGroupName);
    if (streams === undefined) {
      streams = new Map();
      this.#byName.set(logGroupName, streams);
    }
    const linked = new Linked(logGroupName, logStreamName, this.#free.pop() ?? this.#next++);
    streams.set(logStreamName, linked);
    this.#size++;
    return linked;
  }

  pin(linked: Linked): void {
    linked.pinned = true;
  }

  /** `linked` was written to (or meant to be) in this sweep period. */
  used(linked: Linked): void {
    if (!linked.pinned) this.#idle.used(linked);
  }

  /** Periodic upkeep: lets go of destinations unused for the idle time and owed nothing. */
  sweep(): void {
    this.#idle.sweep((linked) => {
      if (linked.owed !== undefined) return false;
      const streams = this.#byName.get(linked.logGroupName);
      if (streams?.get(linked.logStreamName) === linked) {
        streams.delete(linked.logStreamName);
        if (streams.size === 0) this.#byName.delete(linked.logGroupName);
        this.#size--;
        this.#free.push(linked.id);
      }
      return true;
    });
  }
}

/**
 * The worker's young generation, in MiB (V8's default lets its new space grow to about 32 under
 * load). Capped, it spares the process 10–25 MiB of RSS while the worker is busy (`npm run bench
 * memory`). Not lower: at 8 MiB the batches' strings, alive while their request is out, were promoted
 * and collected by full garbage collections, whose concurrent marking on V8's helper threads (at the
 * program's priority) took about 100 ms more CPU per 10 s of logging 20,000 events/s. The program's
 * own heap is not touched.
 */
const WORKER_YOUNG_GENERATION_MB = 16;

/**
 * Writes the header of the record reserved at `at`: its type, destination id, message bytes,
 * timestamp, the pieces of its message and its shape (the layout `thread.ts` reads). The one place
 * the program's side writes it.
 */
function writeHeader(
  writer: TransportWriter,
  at: number,
  type: number,
  id: number,
  bytes: number,
  timestamp: number,
  pieces: number,
  shape: number,
): void {
  const i = at >> 2;
  const i32 = writer.i32;
  i32[i + 1] = type;
  i32[i + 2] = id;
  i32[i + 3] = bytes;
  writer.f64[(at + 16) >> 3] = timestamp;
  i32[i + 6] = pieces;
  i32[i + 7] = shape;
}

/** A whole event's shape: as many UTF-8 bytes as UTF-16 units means every character is ASCII. */
function wholeShape(message: string, bytes: number): number {
  return bytes === message.length ? Shape.none | ASCII_FLAG : Shape.none;
}

/** One `'exit'` listener for every worker-mode shipper. */
const exiting = new Set<RemoteEngine>();
function onExit(): void {
  const engines = [...exiting];
  const started = Date.now();
  const waiting = engines.filter((engine) => engine.askToDeliver());
  for (const engine of waiting) engine.awaitDelivery(started);
}

export class RemoteEngine implements Engine {
  readonly #options: ResolvedOptions;
  readonly #emitter: EventEmitter<LogShipperEvents>;
  readonly #ledger: Ledger<Linked>;
  readonly #intake: Intake;
  readonly #now: () => number;
  readonly #router: Router<Linked>;
  readonly #reporter: Reporter;
  readonly #writer: TransportWriter;
  readonly #ctl: Int32Array;
  readonly #counters: CounterReader;
  readonly #worker: Worker;
  readonly #keepAlive = new KeepAlive();
  readonly #timer: NodeJS.Timeout;
  /** Replies awaited, by request id. */
  readonly #replies = new Map<
    number,
    (result: { complete: boolean; remaining?: number; dropped?: number }) => void
  >();
  #nextId = 0;
  /** Drops on this side owed to their streams' markers (the worker writes the markers). */
  readonly #owed = new Set<Linked>();
  /** Drops the worker reported and this side has not yet: one `'drop'` report covers both. */
  #workerDrops: Partial<DropCounts> = {};
  #limit: number;
  #maxMessageBytes: number;
  readonly #highWaterEvents: number;
  /** Messages written into the ring, modulo 2^32. */
  #messages = 0;
  #closed = false;
  #closing: Promise<CloseResult> | undefined;
  /** `log()` answered `false`: a `'drain'` is owed. */
  #wantsDrain = false;
  /** Releases the hold on the process while a `'drain'` is awaited. */
  #releaseDrain: (() => void) | undefined;
  /** Set when the worker ended before it answered `close()`: what it held is counted as `internal`. */
  #lost = 0;
  /** The id of the close request, and whether the worker answered it (its end is then the terminate that follows). */
  #closeId = -1;
  #closeAnswered = false;
  #ended = false;
  /** The options' destination when its names are constant: the one {@link #quick} writes to. */
  readonly #plain: Linked | undefined;
  readonly #registry: Registry;

  constructor(options: object, resolved: ResolvedOptions, emitter: EventEmitter<LogShipperEvents>) {
    this.#options = resolved;
    this.#emitter = emitter;
    this.#reporter = new Reporter(emitter, resolved.now);
    this.#ledger = new Ledger<Linked>(
      resolved.dropMarkers
        ? (reason, weight, _stage, linked) => linked && this.#owe(linked, reason, weight)
        : undefined,
    );
    this.#intake = new Intake(resolved.now);
    this.#now = resolved.now;
    const refused = (group: unknown, stream: unknown): void =>
      this.#reporter.invalidDestination(group, stream);
    const registry = new Registry(refused, STREAM_IDLE_MS, resolved.flushIntervalMs);
    this.#registry = registry;
    this.#router = new Router(registry, resolved, refused);
    const { groupTemplate, streamTemplate } = resolved;
    if (groupTemplate.constant !== undefined && streamTemplate.constant !== undefined)
      this.#plain = registry.lookup(groupTemplate.constant, streamTemplate.constant);
    const ringBytes = transportBytes(resolved.maxBufferedBytes);
    const transport = createTransport(ringBytes);
    const stats = new SharedArrayBuffer(STATS_BYTES);
    // The count of messages goes out with the records that hold them.
    this.#writer = new TransportWriter(transport, () => {
      this.#ctl[Ctl.sentIn] = this.#messages;
    });
    this.#ctl = this.#writer.ctl;
    this.#counters = new CounterReader(this.#ctl, stats);
    this.#highWaterEvents = Math.ceil(resolved.maxBufferedEvents * resolved.highWaterMark);
    this.#limit = resolved.maxEventBytes;
    this.#maxMessageBytes = maxMessageBytes(this.#limit);
    Atomics.store(this.#ctl, Ctl.maxEventBytes, this.#limit);
    Atomics.store(this.#ctl, Ctl.accepting, 1);
    this.#listenFor(emitter);
    const start = workerStart();
    this.#worker = new Worker(start.script, {
      eval: true,
      workerData: {
        source: start.source,
        options: withoutThread(options),
        transport,
        stats,
        workerNice: resolved.workerNice,
        bufferedBytes: workerBufferedBytes(resolved.maxBufferedBytes, ringBytes),
      },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      // The worker's own output is the program's; its warnings come here as messages.
      stdout: false,
      stderr: false,
    });
    this.#worker.on('message', (message: FromWorker) => this.#received(message));
    this.#worker.on('error', (error) => this.#workerFailed(error));
    this.#worker.on('exit', () => this.#workerEnded());
    // After the listeners: adding a `'message'` listener refs the worker's port again.
    this.#worker.unref();
    this.#timer = setInterval(() => this.#tick(), resolved.flushIntervalMs);
    this.#timer.unref();
    if (resolved.deliverOnExit) {
      if (exiting.size === 0) process.on('exit', onExit);
      exiting.add(this);
    }
  }

  /** How many destinations this side holds (read by `LogShipper` for a test). @internal */
  get linkedDestinations(): number {
    return this.#registry.size;
  }

  /** The ring's bytes written and not yet read by the worker, and the worker itself (for tests). @internal */
  get workerView(): { unreadBytes: number; resourceLimits: object | undefined; worker: Worker } {
    this.#writer.refresh();
    return {
      unreadBytes: this.#writer.used,
      resourceLimits: this.#worker.resourceLimits,
      worker: this.#worker,
    };
  }

  log(input: unknown, where: Partial<Destination> | undefined): boolean {
    const ledger = this.#ledger;
    ledger.logged();
    const placed = ledger.placed;
    try {
      if (typeof input === 'string' && where === undefined && this.#quick(input)) ledger.buffered(1);
      else this.#accept(input, where);
      // Closing, or the worker gone, no 'drain' follows (the event was dropped in any case).
      return this.#closed || this.#ended || this.#accepting();
    } catch (error) {
      if (ledger.placed === placed) ledger.droppedAtDoor('internal');
      this.#reporter.internalError(error);
      // Not false: that would have the program wait for a 'drain' nothing may send.
      return true;
    }
  }

  /**
   * The common case, written straight to the ring: a string for the options' destination (constant
   * names, already told to the worker), short enough to be within the event limit whatever it holds,
   * with room for it. False, with nothing done, for anything else: {@link #accept} then takes it, and
   * does the same for it as this would have.
   */
  #quick(message: string): boolean {
    const linked = this.#plain;
    const length = message.length;
    if (linked === undefined || !linked.defined || length === 0 || this.#closed || this.#ended) return false;
    const most = length * 3;
    if (most > this.#maxMessageBytes || this.#ctl[Ctl.maxEventBytes] !== this.#limit) return false;
    return this.#writeShort(linked, this.#now(), message, most);
  }

  #accept(input: unknown, where: Partial<Destination> | undefined): void {
    const ledger = this.#ledger;
    if (this.#closed || this.#ended) {
      ledger.droppedAtDoor(this.#closed ? 'closed' : 'internal');
      return;
    }
    const intake = this.#intake;
    const refused = intake.read(input);
    if (refused !== undefined) {
      ledger.droppedAtDoor(refused);
      return;
    }
    const { message, timestamp } = intake;
    const linked = this.#router.route(where, timestamp);
    if (linked === undefined) {
      ledger.droppedAtDoor('invalidDestination');
      return;
    }
    this.#registry.used(linked);
    // Read plainly: a limit the worker lowered a moment ago is seen from the next event on.
    const limit = this.#ctl[Ctl.maxEventBytes] as number;
    if (limit !== this.#limit) {
      this.#limit = limit;
      this.#maxMessageBytes = maxMessageBytes(limit);
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes: a message that short is within the limit whatever it
    // holds, and is copied and measured in one pass (the common case; measuring first costs as much
    // as the copy).
    const most = message.length * 3;
    if (
      most <= this.#maxMessageBytes &&
      linked.defined &&
      this.#writeShort(linked, timestamp, message, most)
    ) {
      ledger.buffered(1);
      return;
    }
    const bytes = Buffer.byteLength(message, 'utf8');
    if (bytes <= this.#maxMessageBytes) {
      if (this.#writeOne(linked, timestamp, message, bytes)) ledger.buffered(1);
      else ledger.droppedAtDoor('overflow', linked);
      return;
    }
    const { oversizedEvents } = this.#options;
    // Decided before splitting: a message that could never fit the buffers is not copied into pieces.
    if (
      oversizedEvents === 'split' &&
      !couldEverHold(this.#options, Math.ceil(bytes / this.#maxMessageBytes), bytes)
    ) {
      ledger.droppedAtDoor('overflow', linked);
      return;
    }
    const made = createEvent(message, timestamp, limit, oversizedEvents, bytes);
    if (made === undefined) {
      ledger.droppedAtDoor('oversized', linked);
      return;
    }
    const events = Array.isArray(made) ? made : [made];
    if (this.#writeMessage(linked, events, Array.isArray(made) ? Shape.split : Shape.truncated))
      ledger.buffered(1);
    else ledger.droppedAtDoor('overflow', linked);
  }

  /**
   * Writes one event of at most `most` bytes to a destination the worker knows, measured as it is
   * copied; false, with nothing written, when a record of `most` bytes has no room as it is (the
   * caller then measures the message and writes it as {@link #writeOne} does, or counts the drop).
   */
  #writeShort(linked: Linked, timestamp: number, message: string, most: number): boolean {
    const writer = this.#writer;
    const at = writer.reserveUpTo(most);
    if (at < 0) return false;
    const bytes = writer.bytes.utf8Write(message, at + 32, most);
    writeHeader(writer, at, Rec.event, linked.id, bytes, timestamp, 1, wholeShape(message, bytes));
    writer.settle(at, bytes);
    this.#messageWritten();
    writer.commit();
    return true;
  }

  /** Writes one event (after its destination's names, the first time); false if the ring is full. */
  #writeOne(linked: Linked, timestamp: number, message: string, bytes: number): boolean {
    const writer = this.#writer;
    if (!linked.defined && !this.#define(linked)) return false;
    const at = writer.reserve(bytes);
    if (at < 0) {
      writer.rollback();
      return false;
    }
    writeHeader(writer, at, Rec.event, linked.id, bytes, timestamp, 1, wholeShape(message, bytes));
    writeText(writer.bytes, message, at + 32, bytes);
    this.#messageWritten();
    writer.commit();
    linked.defined = true;
    return true;
  }

  /** Writes every piece of one message, or nothing. */
  #writeMessage(linked: Linked, events: readonly LogEvent[], shape: number): boolean {
    const writer = this.#writer;
    let total = 0;
    let largest = 0;
    for (const event of events) {
      total += event.bytes + 32 + 8;
      largest = Math.max(largest, event.bytes + 32 + 8);
    }
    if (!writer.fits(total, largest) || (!linked.defined && !this.#define(linked))) return false;
    for (let n = 0; n < events.length; n++) {
      const event = events[n] as LogEvent;
      const at = writer.reserve(event.bytes);
      if (at < 0) {
        writer.rollback();
        return false;
      }
      const type = n === 0 ? Rec.event : Rec.piece;
      writeHeader(writer, at, type, linked.id, event.bytes, event.timestamp, events.length, shape);
      writeText(writer.bytes, event.message, at + 32, event.bytes);
    }
    this.#messageWritten();
    writer.commit();
    linked.defined = true;
    return true;
  }

  /** Counts a message into the ring, before the commit that shows it to the worker. */
  #messageWritten(): void {
    // Published with the records (see the writer's beforePublish).
    this.#messages = (this.#messages + 1) | 0;
  }

  /** Reserves a record of the destination's names; committed with the event that follows. */
  #define(linked: Linked): boolean {
    const writer = this.#writer;
    const groupBytes = Buffer.byteLength(linked.logGroupName, 'utf8');
    const streamBytes = Buffer.byteLength(linked.logStreamName, 'utf8');
    const at = writer.reserve(groupBytes + streamBytes);
    if (at < 0) return false;
    const i = at >> 2;
    writer.i32[i + 1] = Rec.define;
    writer.i32[i + 2] = linked.id;
    writer.i32[i + 3] = groupBytes;
    writer.i32[i + 4] = streamBytes;
    writer.bytes.write(linked.logGroupName, at + 32, groupBytes, 'utf8');
    writer.bytes.write(linked.logStreamName, at + 32 + groupBytes, streamBytes, 'utf8');
    return true;
  }

  #owe(linked: Linked, reason: DropReason, weight: number): void {
    let counts = linked.owed;
    if (counts === undefined) {
      counts = new Map();
      linked.owed = counts;
      this.#owed.add(linked);
    }
    counts.set(reason, (counts.get(reason) ?? 0) + weight);
  }

  /** Writes the drops owed to markers, as far as the ring has room. */
  #writeOwed(): void {
    if (this.#owed.size === 0 || this.#ended) return;
    const writer = this.#writer;
    for (const linked of this.#owed) {
      const counts = linked.owed as Map<DropReason, number>;
      for (const [reason, weight] of counts) {
        if (!linked.defined && !this.#define(linked)) {
          writer.commit();
          return;
        }
        const at = writer.reserve(0);
        if (at < 0) {
          writer.commit();
          return;
        }
        const i = at >> 2;
        writer.i32[i + 1] = Rec.drop;
        writer.i32[i + 2] = linked.id;
        writer.i32[i + 3] = DROP_REASONS.indexOf(reason);
        writer.f64[(at + 16) >> 3] = weight;
        linked.defined = true;
        counts.delete(reason);
      }
      linked.owed = undefined;
      this.#owed.delete(linked);
    }
    writer.commit();
  }

  #belowHighWater(): boolean {
    const writer = this.#writer;
    const messages = this.#messages;
    if (belowHighWater(this.#ctl, this.#highWaterEvents, writer.used, writer.capacity, messages)) return true;
    // The ring's use is as of the reader's position last looked at: look again before answering no.
    writer.refresh();
    return belowHighWater(this.#ctl, this.#highWaterEvents, writer.used, writer.capacity, messages);
  }

  #accepting(): boolean {
    if (this.#belowHighWater()) return true;
    if (!this.#wantsDrain) {
      this.#wantsDrain = true;
      Atomics.store(this.#ctl, Ctl.wantsDrain, 1);
      this.#holdForDrain();
    }
    return false;
  }

  #checkDrain(): void {
    if (!this.#wantsDrain || this.#closed) return;
    if (!this.#belowHighWater()) {
      Atomics.store(this.#ctl, Ctl.wantsDrain, 1);
      return;
    }
    this.#wantsDrain = false;
    this.#holdForDrain();
    if (this.#emitter.listenerCount('drain') > 0) this.#reporter.notify('drain');
  }

  async ready(): Promise<boolean> {
    if (this.#closed || this.#ended) return false;
    // The worker answers once its own pipeline is ready; a worker that ends answers no.
    const release = this.#keepAlive.hold();
    try {
      const { complete } = await this.#request({ type: 'ready', id: this.#nextId + 1 });
      return complete && !this.#closed && !this.#ended;
    } finally {
      release();
    }
  }

  async flush(options: FlushOptions = {}): Promise<FlushResult> {
    const bound = deadline(options);
    const release = this.#keepAlive.hold();
    try {
      this.#writeOwed();
      let complete = this.#ended;
      if (!this.#ended) {
        const reply = this.#request({ type: 'flush', id: this.#nextId + 1, ...timeout(options) });
        complete = await beforeDeadline(reply, bound);
        if (complete) complete = (await reply).complete;
      }
      this.#reportDrops();
      const remaining = complete ? 0 : this.pending();
      return { complete: complete || remaining === 0, remaining };
    } finally {
      bound.clear();
      release();
    }
  }

  close(options: FlushOptions = {}): Promise<CloseResult> {
    let bound: ReturnType<typeof deadline>;
    try {
      bound = deadline(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closing === undefined) {
      this.#closed = true;
      clearInterval(this.#timer);
      this.#holdForDrain();
      this.#closing = this.#shutDown();
    }
    if (bound.ended !== undefined) {
      void bound.ended.then(() => this.#post({ type: 'abortClose' }));
      void this.#closing.then(bound.clear, bound.clear);
    }
    return this.#closing;
  }

  async #shutDown(): Promise<CloseResult> {
    const release = this.#keepAlive.hold();
    try {
      this.#writeOwed();
      let result = { complete: this.pending() === 0, dropped: 0 };
      if (!this.#ended) {
        this.#closeId = this.#nextId + 1;
        const reply = await this.#request({ type: 'close', id: this.#closeId });
        result = { complete: reply.complete, dropped: reply.dropped ?? 0 };
      }
      this.#reportDrops();
      this.#reporter.reportHeldErrors(true);
      exiting.delete(this);
      if (exiting.size === 0) process.off('exit', onExit);
      await this.#worker.terminate();
      return result;
    } finally {
      release();
    }
  }

  stats(): ShipperStats {
    const own = this.#ledger.snapshot(0, 0);
    const worker = this.#counters.read();
    const dropped = own.dropped;
    for (let r = 0; r < DROP_REASONS.length; r++) {
      const reason = DROP_REASONS[r] as DropReason;
      dropped[reason] += worker[STAT_FIELDS.length + r] as number;
    }
    const field = (name: (typeof STAT_FIELDS)[number]): number => worker[STAT_FIELDS.indexOf(name)] as number;
    // Written into the ring and not yet read by the worker.
    const inTransit = own.buffered - field('logged');
    let buffered = field('buffered') + inTransit;
    let inFlight = field('inFlight');
    if (this.#lost > 0) {
      dropped.internal += buffered + inFlight;
      buffered = 0;
      inFlight = 0;
    }
    return {
      logged: own.logged,
      sent: field('sent'),
      batches: field('batches'),
      bytesSent: field('bytesSent'),
      retries: field('retries'),
      buffered,
      inFlight,
      dropped,
      truncated: field('truncated'),
      split: field('split'),
      markers: field('markers'),
      concurrency: field('concurrency') || this.#options.concurrency,
      destinations: field('destinations'),
    };
  }

  pending(): number {
    const stats = this.stats();
    return stats.buffered + stats.inFlight;
  }

  logged(): number {
    return this.#ledger.loggedCount;
  }

  /** `'exit'`: asks the worker to send what is buffered; false when there is nothing to wait for. */
  askToDeliver(): boolean {
    if (this.#ended || (this.#closing !== undefined && this.pending() === 0)) return false;
    this.#writeOwed();
    if (this.pending() === 0) return false;
    Atomics.store(this.#ctl, Ctl.exitDone, 0);
    // A worker that has ended by itself, though its 'exit' event has not reached this thread, sends
    // nothing more: what it held is lost, as that event would have counted it. Looked at after the
    // store: a worker ending from here on sets `exitDone` after it, which ends the wait.
    if (Atomics.load(this.#ctl, Ctl.gone) === 1) {
      this.#workerEnded();
      return false;
    }
    this.#post({ type: 'exit', timeoutMs: this.#options.exitTimeoutMs });
    return true;
  }

  /** `'exit'`: waits, blocking this thread, until the worker is done or `exitTimeoutMs` since `started`. */
  awaitDelivery(started: number): void {
    // The process still has to end after the wait (the worker stopped, the handles closed): that is
    // kept out of the bound (`exitWaitMs`), so that the process ends within exitTimeoutMs.
    const left = started + exitWaitMs(this.#options.exitTimeoutMs) - Date.now();
    if (left > 0) Atomics.wait(this.#ctl, Ctl.exitDone, 0, left);
  }

  #request(
    message: ToWorker & { id: number },
  ): Promise<{ complete: boolean; remaining?: number; dropped?: number }> {
    this.#nextId = message.id;
    return new Promise((resolve) => {
      this.#replies.set(message.id, resolve);
      this.#post(message);
    });
  }

  /** Every request to the worker is about the records written before it: they are published first. */
  #post(message: ToWorker): void {
    if (this.#ended) return;
    this.#writer.publish();
    this.#worker.postMessage(message);
  }

  #received(message: FromWorker): void {
    switch (message.type) {
      case 'reply': {
        if (message.id === this.#closeId) this.#closeAnswered = true;
        const resolve = this.#replies.get(message.id);
        this.#replies.delete(message.id);
        resolve?.(message.result);
        break;
      }
      case 'batch':
        if (this.#emitter.listenerCount('batch') > 0)
          this.#reporter.notify('batch', message.report as BatchReport);
        break;
      case 'error': {
        const error = reviveError(message.error);
        if (this.#emitter.listenerCount('error') > 0) this.#reporter.notify('error', error);
        else process.emitWarning(error.message, { code: error.code });
        break;
      }
      case 'drop':
        for (const [reason, count] of Object.entries(message.counts)) {
          const key = reason as DropReason;
          this.#workerDrops[key] = (this.#workerDrops[key] ?? 0) + count;
        }
        break;
      case 'drain':
        this.#checkDrain();
        break;
      case 'warning':
        process.emitWarning(message.message, {
          ...(message.code === undefined ? {} : { code: message.code }),
          ...(message.name === undefined ? {} : { type: message.name }),
        });
        break;
    }
  }

  /** One `'drop'` report for both threads' drops since the last. */
  #reportDrops(): void {
    const own = this.#ledger.takeDropsSinceReport();
    const counts: Partial<DropCounts> = { ...own?.counts };
    let total = own?.total ?? 0;
    for (const [reason, count] of Object.entries(this.#workerDrops)) {
      const key = reason as DropReason;
      counts[key] = (counts[key] ?? 0) + (count as number);
      total += count as number;
    }
    this.#workerDrops = {};
    if (total > 0 && this.#emitter.listenerCount('drop') > 0)
      this.#reporter.notify('drop', { counts, total });
  }

  #tick(): void {
    try {
      this.#writeOwed();
      this.#registry.sweep();
      this.#reportDrops();
      this.#checkDrain();
      this.#reporter.reportHeldErrors(false);
    } catch (error) {
      this.#reporter.internalError(error, 'the flush interval');
    }
  }

  /** Keeps the worker told which events the program listens to. */
  #listenFor(emitter: EventEmitter<LogShipperEvents>): void {
    const update = (): void => {
      let bits = 0;
      for (let b = 0; b < LISTENED.length; b++)
        if (emitter.listenerCount(LISTENED[b] as keyof LogShipperEvents) > 0) bits |= 1 << b;
      Atomics.store(this.#ctl, Ctl.listening, bits);
      this.#holdForDrain();
    };
    // `newListener` comes before the listener is added: counted on the next microtask.
    emitter.on('newListener' as keyof LogShipperEvents, () => queueMicrotask(update));
    emitter.on('removeListener' as keyof LogShipperEvents, update);
  }

  /**
   * While a `'drain'` is owed and the program listens for it, the process stays alive, as it would
   * for a stream's pending write: nothing else on this thread may (the worker's messages do not).
   */
  #holdForDrain(): void {
    const owed =
      this.#wantsDrain && !this.#closed && !this.#ended && this.#emitter.listenerCount('drain') > 0;
    if (owed && this.#releaseDrain === undefined) this.#releaseDrain = this.#keepAlive.hold();
    else if (!owed && this.#releaseDrain !== undefined) {
      this.#releaseDrain();
      this.#releaseDrain = undefined;
    }
  }

  #workerFailed(error: unknown): void {
    this.#reporter.internalError(error, 'the worker thread');
  }

  #workerEnded(): void {
    this.#ended = true;
    clearInterval(this.#timer);
    this.#holdForDrain();
    exiting.delete(this);
    if (exiting.size === 0) process.off('exit', onExit);
    // Ended before it answered a close (before any close, or during one): what it held is lost.
    const held = this.pending();
    if (!this.#closeAnswered) this.#lost = 1;
    for (const resolve of this.#replies.values())
      resolve({ complete: false, remaining: this.pending(), dropped: this.#lost > 0 ? held : 0 });
    this.#replies.clear();
  }
}

function timeout(options: FlushOptions): { timeoutMs?: number } {
  return options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
}

/** A `DeliveryError` made again from the fields it crossed with. */
function reviveError(fields: Record<string, unknown>): DeliveryError {
  const error = Object.create(DeliveryError.prototype) as DeliveryError;
  for (const [key, value] of Object.entries(fields)) {
    Object.defineProperty(error, key, {
      value,
      writable: true,
      configurable: true,
      enumerable: key !== 'stack' && key !== 'message',
    });
  }
  return error;
}
