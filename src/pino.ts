import type { Transform } from 'node:stream';
import build from 'pino-abstract-transport';
import {
  type AdapterOptions,
  exitFlushTimeout,
  flushBeforeExit,
  recordTime,
  type ShipperSource,
  takeShipper,
} from './adapter.js';
import type { LogShipper } from './shipper.js';

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
 * close sends what is left. `logger.flush(cb)` calls back once everything logged before it is sent.
 *
 * In the main thread, as `pino(cloudWatchTransport(options))`: the same stream; what is buffered
 * is sent when the program ends by itself (see `exitFlushTimeoutMs`) or on `stream.end()`.
 */
export function cloudWatchTransport(options: PinoTransportOptions): CloudWatchPinoStream {
  const {
    exitFlushTimeoutMs,
    // pino adds it to every target's options; it is not the shipper's.
    pinoWillSendConfig: _pinoWillSendConfig,
    ...source
  } = (options ?? {}) as PinoTransportOptions & { pinoWillSendConfig?: unknown; shipper?: LogShipper };
  const timeoutMs = exitFlushTimeout(exitFlushTimeoutMs);
  const { shipper, owned } = takeShipper(source);
  const stopExitFlush = flushBeforeExit(shipper, timeoutMs);

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

export default cloudWatchTransport;
export type { AdapterOptions } from './adapter.js';
