/**
 * Worker mode, the worker's side: the entry of the worker thread. It reads the transport ring into a
 * pipeline of its own (`LocalEngine`: buffers, scheduler, sender), publishes the counters in shared
 * memory for `stats()`, and posts every report to the program's thread. Built into one file with its
 * dependencies and carried as a string (`source.ts`), so that no bundler can lose it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LocalEngine } from '../engine.js';
import type { CloseResult, FlushResult } from '../engine-api.js';
import { DROP_REASONS, type DropReason, type LogEvent } from '../event.js';
import type { LogShipperEvents } from '../events.js';
import { type LogShipperOptions, resolveOptions } from '../options.js';
import type { Emitter } from '../reporter.js';
import {
  ASCII_FLAG,
  belowHighWater,
  Ctl,
  type ErrorFields,
  type FromWorker,
  LISTENED,
  Rec,
  Shape,
  STAT_FIELDS,
  STATS_LENGTH,
  type ToWorker,
  type WorkerData,
  writeCounters,
} from './protocol.js';
import { TransportReader } from './transport.js';

/** While events come, the ring is read this often; once it is found empty, the worker sleeps until written to. */
const POLL_MS = 4;

const port = parentPort;
if (port === null) throw new Error('cloudwatch-shipper: the worker entry runs only in a worker thread');
const data = workerData as WorkerData;
const post = (message: FromWorker): void => port.postMessage(message);

// Warnings (the shipper's and the SDK's) are the program's: they go to its process.
process.emitWarning = ((warning: string | Error, options?: { code?: string; type?: string } | string) => {
  const message = typeof warning === 'string' ? warning : warning.message;
  const named = typeof options === 'object' && options !== null;
  const code = named ? options.code : undefined;
  const type = named ? options.type : typeof options === 'string' ? options : undefined;
  post({
    type: 'warning',
    message,
    code,
    name: type ?? (typeof warning === 'string' ? undefined : warning.name),
  });
}) as typeof process.emitWarning;

/**
 * Why the worker's priority could not be lowered (an error code): handed to this code by the wrapper
 * that lowered it before compiling it (`source.ts`); not defined when the code runs unwrapped.
 */
declare const cwsPriorityFailure: string | undefined;
const priorityFailure = typeof cwsPriorityFailure === 'string' ? cwsPriorityFailure : undefined;

if (priorityFailure !== undefined) {
  process.emitWarning(
    `cloudwatch-shipper: the worker thread's priority could not be lowered (${priorityFailure}); it runs at the program's`,
    { code: 'CWS_WORKER_NICE' },
  );
}

const reader = new TransportReader(data.transport);
const ctl = reader.ctl;

// Ending by itself (an uncaught error, say, from here on, start-up included), the worker says so, and
// ends any wait of the program's `'exit'`: Node tells the program's thread only through its event
// loop, which may never turn again. An isolate out of memory ends without `'exit'`, as a
// `terminate()` does: the program's thread then hears of it through that event alone.
process.on('exit', () => {
  Atomics.store(ctl, Ctl.gone, 1);
  Atomics.store(ctl, Ctl.exitDone, 1);
  Atomics.notify(ctl, Ctl.exitDone);
});
const counters = new Int32Array(data.stats);
const values = new Float64Array(STATS_LENGTH);

const emitter: Emitter = {
  emit<K extends keyof LogShipperEvents>(event: K, ...args: LogShipperEvents[K]): boolean {
    publish();
    if (event === 'batch') post({ type: 'batch', report: args[0] });
    else if (event === 'error') post({ type: 'error', error: errorFields(args[0]) });
    else if (event === 'drop')
      post({ type: 'drop', counts: (args[0] as { counts: Record<string, number> }).counts });
    else if (event === 'drain') post({ type: 'drain' });
    return true;
  },
  listenerCount(event: keyof LogShipperEvents): number {
    const bit = LISTENED.indexOf(event);
    // Drops and drains are always told: the program's thread merges and decides.
    if (event === 'drop' || event === 'drain') return 1;
    return bit >= 0 && (Atomics.load(ctl, Ctl.listening) & (1 << bit)) !== 0 ? 1 : 0;
  },
};

// The ring holds events too: the worker's buffers get the bound less the ring (see `workerBufferedBytes`).
const resolved = {
  ...resolveOptions(data.options as unknown as LogShipperOptions),
  maxBufferedBytes: data.bufferedBytes,
};
const engine = new LocalEngine(resolved, emitter);
const highWaterEvents = Math.ceil(resolved.maxBufferedEvents * resolved.highWaterMark);

/** Counters to publish: coalesced, one publication per turn of the loop at most. */
let publishing = false;
function publishSoon(): void {
  if (publishing) return;
  publishing = true;
  queueMicrotask(publish);
}
engine.onChange(publishSoon);

function publish(): void {
  publishing = false;
  const snapshot = engine.stats();
  for (let f = 0; f < STAT_FIELDS.length; f++)
    values[f] = snapshot[STAT_FIELDS[f] as (typeof STAT_FIELDS)[number]];
  for (let r = 0; r < DROP_REASONS.length; r++)
    values[STAT_FIELDS.length + r] = snapshot.dropped[DROP_REASONS[r] as DropReason];
  writeCounters(ctl, counters, values);
  Atomics.store(ctl, Ctl.received, snapshot.logged | 0);
  Atomics.store(ctl, Ctl.held, snapshot.buffered);
  Atomics.store(ctl, Ctl.accepting, engine.accepting() ? 1 : 0);
  Atomics.store(ctl, Ctl.maxEventBytes, engine.maxEventBytes);
  if (
    Atomics.load(ctl, Ctl.wantsDrain) === 1 &&
    belowHighWater(ctl, highWaterEvents, reader.used, reader.capacity, Atomics.load(ctl, Ctl.sentIn))
  ) {
    Atomics.store(ctl, Ctl.wantsDrain, 0);
    post({ type: 'drain' });
  }
}

// ---- reading the ring

const names: [string, string][] = [];
/** The split message being read: its pieces so far. */
let message: { id: number; events: LogEvent[]; left: number; shape: number } | undefined;
const bytes = reader.bytes;
const i32 = reader.i32;
const f64 = reader.f64;

function handle(type: number, at: number): void {
  const i = at >> 2;
  const id = i32[i + 2] as number;
  if (type === Rec.define) {
    const group = i32[i + 3] as number;
    const stream = i32[i + 4] as number;
    names[id] = [
      bytes.toString('utf8', at + 32, at + 32 + group),
      bytes.toString('utf8', at + 32 + group, at + 32 + group + stream),
    ];
    return;
  }
  const where = names[id] as [string, string];
  if (type === Rec.drop) {
    engine.noteDrop(
      where[0],
      where[1],
      DROP_REASONS[i32[i + 3] as number] as DropReason,
      f64[(at + 16) >> 3] as number,
    );
    return;
  }
  const length = i32[i + 3] as number;
  const timestamp = f64[(at + 16) >> 3] as number;
  const flags = i32[i + 7] as number;
  if (type === Rec.event && (i32[i + 6] as number) === 1 && (flags & ~ASCII_FLAG) === Shape.none) {
    // One event, copied from the ring into the buffers as bytes: never made a string here.
    engine.placeBytes(where[0], where[1], timestamp, bytes, at + 32, length, (flags & ASCII_FLAG) !== 0);
    return;
  }
  const text = bytes.toString('utf8', at + 32, at + 32 + length);
  if (type === Rec.event) {
    const pieces = i32[i + 6] as number;
    const shape = flags & ~ASCII_FLAG;
    message = {
      id,
      events: [{ timestamp, message: text, bytes: length, kind: 'event' }],
      left: pieces - 1,
      shape,
    };
  } else if (message !== undefined) {
    message.events.push({ timestamp, message: text, bytes: length, kind: 'piece' });
    message.left--;
  }
  if (message !== undefined && message.left === 0) {
    engine.placeMessage(
      where[0],
      where[1],
      message.events,
      message.shape === Shape.split ? 'split' : 'truncated',
    );
    message = undefined;
  }
}

function drain(): number {
  const read = reader.drain(handle);
  if (read > 0) publishSoon();
  return read;
}

function pump(): void {
  if (drain() > 0) {
    setTimeout(pump, POLL_MS);
    return;
  }
  // Asleep until the program's thread writes: it wakes the worker when it sees this flag.
  Atomics.store(ctl, Ctl.sleeping, 1);
  const written = Atomics.load(ctl, Ctl.written);
  // Written since the drain (or since the look at `written`): read again rather than wait.
  const waited = reader.pending
    ? undefined
    : (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(ctl, Ctl.written, written);
  if (waited?.async) void waited.value.then(wake);
  else {
    Atomics.store(ctl, Ctl.sleeping, 0);
    setImmediate(pump);
  }
}

/** Awake: the flag is cleared here, by the worker alone (see the writer's `publish`). */
function wake(): void {
  Atomics.store(ctl, Ctl.sleeping, 0);
  pump();
}

function noop(): void {}

/** `Atomics.waitAsync` (Node 16+; in TypeScript's lib from ES2024 on). */
interface AtomicsWithWaitAsync {
  waitAsync(
    array: Int32Array,
    index: number,
    value: number,
  ): { async: false } | { async: true; value: Promise<unknown> };
}

// ---- requests

let closeAbort: AbortController | undefined;

port.on('message', (request: ToWorker) => {
  switch (request.type) {
    case 'flush':
      drain();
      void engine.flush(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }).then(
        (result: FlushResult) => reply(request.id, result),
        () => reply(request.id, { complete: false }),
      );
      break;
    case 'close':
      drain();
      closeAbort = new AbortController();
      void engine.close({ signal: closeAbort.signal }).then(
        (result: CloseResult) => reply(request.id, result),
        () => reply(request.id, { complete: false }),
      );
      break;
    case 'abortClose':
      closeAbort?.abort();
      break;
    case 'ready':
      void engine.ready().then(
        (ready) => reply(request.id, { complete: ready }),
        () => reply(request.id, { complete: false }),
      );
      break;
    case 'exit': {
      drain();
      // Whatever the flush comes to, the program's thread is told it is done, and nothing is left
      // to reject unhandled (which would end this thread).
      const done = (): void => {
        try {
          publish();
        } finally {
          Atomics.store(ctl, Ctl.exitDone, 1);
          Atomics.notify(ctl, Ctl.exitDone);
        }
      };
      void engine.flush({ timeoutMs: request.timeoutMs }).then(done, done).catch(noop);
      break;
    }
  }
});

function reply(id: number, result: { complete: boolean; remaining?: number; dropped?: number }): void {
  publish();
  post({ type: 'reply', id, result });
}

/** What crosses of a `DeliveryError`: its own fields, its message and stack, and its cause's name and message. */
function errorFields(error: unknown): ErrorFields {
  const source = error as Error & Record<string, unknown>;
  const fields: Record<string, unknown> = { message: source.message, stack: source.stack, name: source.name };
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (key === 'cause') {
      const cause = value as { name?: unknown; message?: unknown } | undefined;
      fields.cause = cause && { name: cause.name, message: cause.message };
    } else if (typeof value !== 'function' && typeof value !== 'object') fields[key] = value;
    else if (value !== null && typeof value === 'object') fields[key] = structuredSafe(value);
  }
  return fields as ErrorFields;
}

function structuredSafe(value: object): unknown {
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}

publish();
pump();
