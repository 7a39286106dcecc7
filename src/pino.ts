import type { Transform } from 'node:stream';
import { isMainThread } from 'node:worker_threads';
import build from 'pino-abstract-transport';
import {
  type AdapterOptions,
  exitFlushTimeout,
  flushBeforeExit,
  recordTime,
  type ShipperSource,
  takeShipper,
} from './adapter.js';
import { ConfigError } from './errors.js';
import { type ExitParticipant, registerForExit, unregisterForExit } from './exit.js';
import type { LogShipper } from './shipper.js';
import { noop } from './timing.js';

/**
 * The options of the shipper to make (`logGroupName`, `logStreamName`, `clientConfig`, …), or an
 * existing `shipper` (main thread only: a worker receives options as structured clones, so no
 * functions, clients or shippers), plus {@link AdapterOptions}.
 */
export type PinoTransportOptions = AdapterOptions & ShipperSource;

/** The stream pino writes to: pino-abstract-transport's, with a `flush` that pino's `logger.flush(cb)` calls. */
export type CloudWatchPinoStream = Transform & {
  /**
   * Sends every line written so far, then calls `callback` and resolves. Never rejects.
   */
  flush(callback?: (error?: Error | null) => void): Promise<void>;
};

/** The line a record was parsed from, kept on the record so that the line itself is sent. */
const LINE = Symbol('cloudwatch-shipper.line');

interface ParsedRecord {
  [LINE]: string;
  time?: unknown;
}

/**
 * A pino transport: each line pino writes is sent as it was written, timestamped with its `time`
 * (epoch milliseconds, ISO string or, for pino's `unixTime`, seconds). A line that is not JSON is
 * sent as it is, timestamped now.
 *
 * In a worker, as `pino.transport({ target: 'cloudwatch-shipper/pino', options })`: when the
 * program ends, normally or by `process.exit()`, pino ends the transport and waits for it, and its
 * close sends what is left. A signal kills the process before that: see {@link flushOnSignals}.
 * `logger.flush(cb)` calls back once everything logged before it is sent.
 *
 * In the main thread, as `pino(cloudWatchTransport(options))`: the same stream; what is buffered
 * is sent on `stream.end()`, and, through the shipper's `flushOnExit` (on unless `flushOnExit:
 * false` or `exitFlushTimeoutMs: 0`), on SIGTERM, SIGINT and when the program ends by itself.
 */
export function cloudWatchTransport(options: PinoTransportOptions): CloudWatchPinoStream {
  const {
    exitFlushTimeoutMs,
    // pino adds these to a target's options (`levels` with custom levels, `dedupe` for a single
    // target); thread-stream adds `$context` in a worker. None of them is the shipper's.
    pinoWillSendConfig: _pinoWillSendConfig,
    $context: _context,
    levels: _levels,
    dedupe: _dedupe,
    ...source
  } = (options ?? {}) as PinoTransportOptions & {
    pinoWillSendConfig?: unknown;
    $context?: unknown;
    levels?: unknown;
    dedupe?: unknown;
    shipper?: LogShipper;
    flushOnExit?: unknown;
    exitTimeoutMs?: unknown;
  };
  const timeoutMs = exitFlushTimeout(exitFlushTimeoutMs);
  // In the main thread, a shipper the transport makes has `flushOnExit` on (SIGTERM and SIGINT
  // then send what is left before the process ends), bounded by `exitFlushTimeoutMs`. A worker
  // gets no signals, and pino ends it itself when the program ends.
  const exitByShipper =
    isMainThread && source.shipper === undefined && timeoutMs > 0 && source.flushOnExit !== false;
  const { shipper, owned } = takeShipper(
    exitByShipper
      ? { ...source, flushOnExit: true, exitTimeoutMs: source.exitTimeoutMs ?? timeoutMs }
      : source,
  );
  const stopExitFlush = exitByShipper ? noop : flushBeforeExit(shipper, timeoutMs);

  // Lines parsed versus lines handed to the shipper: a flush first waits for the two to meet.
  let parsed = 0;
  let logged = 0;
  let waiters: (() => void)[] = [];
  const settleWaiters = (): void => {
    if (logged < parsed || waiters.length === 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };

  const stream = build(
    async (source) => {
      source.on('unknown', (line: string) => {
        // Not JSON (pino never writes such a line, but another writer to the stream may).
        if (line.trim() !== '') shipper.log(line);
      });
      for await (const record of source as AsyncIterable<ParsedRecord>) {
        shipper.log({ message: record[LINE], timestamp: recordTime(record.time) });
        logged++;
        settleWaiters();
      }
    },
    {
      parseLine: (line: string): ParsedRecord => {
        const value: unknown = JSON.parse(line);
        parsed++;
        if (typeof value === 'object' && value !== null) {
          (value as ParsedRecord)[LINE] = line;
          return value as ParsedRecord;
        }
        return { [LINE]: line };
      },
      close: async () => {
        stopExitFlush();
        if (owned) await shipper.close();
        else await shipper.flush();
      },
    },
  ) as CloudWatchPinoStream;

  /** Resolves once every line written before the call has been handed to the shipper. */
  const linesLogged = (): Promise<void> =>
    new Promise((resolve) => {
      const wait = (): void => {
        waiters.push(resolve);
        settleWaiters();
      };
      if (stream.writableEnded || stream.destroyed) wait();
      // An empty write is a barrier: its callback runs once every earlier chunk was split into lines.
      else stream.write('', wait);
    });

  stream.flush = async (callback) => {
    try {
      await linesLogged();
      await shipper.flush();
    } catch {
      // Neither rejects; a borrowed shipper is someone else's code.
    }
    callback?.(null);
  };
  return stream;
}

/** What {@link flushOnSignals} needs of a pino logger. */
export interface FlushableLogger {
  flush(callback?: (error?: Error | null) => void): void;
}

/**
 * For `pino.transport` (a worker thread), called in the main thread: on SIGTERM or SIGINT, flush
 * `logger` (pino passes the flush on to the transport, which sends what it holds) for at most
 * `timeoutMs`, then let the signal end the process as it would have. pino ends its transports
 * when the program exits, but a signal nobody listens to kills the process before that, and a
 * worker cannot listen to signals. A second signal ends the process at once. Returns the
 * function that removes the listeners. In the main-thread mode, `cloudWatchTransport` does this
 * by itself (its shipper's `flushOnExit`).
 */
export function flushOnSignals(logger: FlushableLogger, options: { timeoutMs?: number } = {}): () => void {
  if (typeof logger?.flush !== 'function') throw new ConfigError('logger', logger, 'a pino logger');
  const exitTimeoutMs = exitFlushTimeout(options?.timeoutMs, 'timeoutMs');
  const flush = ({ timeoutMs }: { timeoutMs: number }): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      try {
        logger.flush(done);
      } catch {
        // A logger whose transport is already gone: nothing left to wait for.
        done();
      }
    });
  const participant: ExitParticipant = {
    // Only signals: pino's own exit hook covers the program's normal end.
    pending: () => 0,
    logged: () => 0,
    flush,
    close: flush,
    exitTimeoutMs,
  };
  registerForExit(participant);
  return () => unregisterForExit(participant);
}

export default cloudWatchTransport;
export type { AdapterOptions } from './adapter.js';
