import TransportStream from 'winston-transport';
import {
  type AdapterOptions,
  exitFlushTimeout,
  flushBeforeExit,
  recordTime,
  reportError,
  type ShipperSource,
  takeShipper,
} from './adapter.js';
import type { DeliveryError } from './errors.js';
import type { FlushOptions, FlushResult, LogShipper } from './shipper.js';

/** Where winston keeps the formatted line (triple-beam's `MESSAGE`). */
const MESSAGE = Symbol.for('message');

/** The usual winston transport options. */
export type WinstonTransportOptions = Pick<
  TransportStream.TransportStreamOptions,
  'level' | 'format' | 'silent' | 'handleExceptions' | 'handleRejections'
>;

/**
 * The options of the shipper to make (`logGroupName`, `logStreamName`, `clientConfig`, …), or an
 * existing `shipper`, plus winston's transport options and {@link AdapterOptions}.
 */
export type CloudWatchTransportOptions = WinstonTransportOptions & AdapterOptions & ShipperSource;

/**
 * A winston transport that ships each record's formatted line (`info[Symbol.for('message')]`, so
 * the `format` configured on the logger or the transport applies) with the record's `timestamp`
 * when it has a readable one.
 *
 * `logger.info()` only buffers; sending happens in the background. `transport.close()` (called by
 * `logger.close()` and `logger.remove()`) and `logger.end()` send what is left; `await
 * transport.close()` or `await transport.flush()` to wait for it. Delivery errors are emitted as
 * the transport's `'error'` event (which winston passes on to the logger's), or as a process
 * warning when nothing listens; they never throw.
 */
export class CloudWatchTransport extends TransportStream {
  /** The shipper this transport sends with, for `stats()` and its `drop` and `batch` events. */
  readonly shipper: LogShipper;
  private readonly ownsShipper: boolean;
  private readonly stopExitFlush: () => void;
  private closing: Promise<void> | undefined;
  private emittingError = false;

  constructor(options: CloudWatchTransportOptions) {
    const { level, format, silent, handleExceptions, handleRejections, exitFlushTimeoutMs, ...source } =
      (options ?? {}) as CloudWatchTransportOptions & { shipper?: LogShipper };
    const timeoutMs = exitFlushTimeout(exitFlushTimeoutMs);
    const { shipper, owned } = takeShipper(source);
    super({ level, format, silent, handleExceptions, handleRejections });
    this.shipper = shipper;
    this.ownsShipper = owned;
    this.shipper.on('error', this.onShipperError);
    this.stopExitFlush = flushBeforeExit(shipper, timeoutMs);

    const self = this as unknown as { parent: unknown; levels: unknown };
    // winston-transport takes `parent` and `levels` from the first `pipe` only, and closes the
    // transport on the first `unpipe` from its parent. But emitting `'error'` makes the logger's
    // pipe unpipe the transport, and winston then pipes it again (winstonjs/winston#1364): so keep
    // both in step with every pipe, and do not take the unpipe that an error causes for a close.
    this.removeAllListeners('unpipe');
    this.on('pipe', (logger: { levels?: unknown }) => {
      self.parent = logger;
      self.levels = logger.levels;
    });
    this.on('unpipe', (source: unknown) => {
      if (this.emittingError || source !== self.parent) return;
      self.parent = null;
      void this.close();
    });
  }

  /**
   * Buffers one record; `callback`, when given, is called at once. It is optional, as with
   * winston's own transports: code and test suites call `transport.log(info)` directly.
   */
  override log(info: Record<string | symbol, unknown>, callback?: () => void): void {
    try {
      const formatted = info[MESSAGE];
      this.shipper.log({
        // Without a format that sets MESSAGE (json, simple, printf, logstash…), the record itself.
        message: typeof formatted === 'string' ? formatted : info,
        timestamp: recordTime(info.timestamp),
      });
      // With `handleExceptions`/`handleRejections`, winston logs the crash, then exits the process
      // within 3 s: send it now rather than at the next interval.
      if (info.exception === true || info.rejection === true) void this.flush();
      if (this.listenerCount('logged') > 0) setImmediate(() => this.emit('logged', info));
    } catch {
      // A record with a throwing getter must not stop the logger; the shipper counts what it refuses.
    }
    callback?.();
  }

  /** Sends everything logged so far; see `LogShipper.flush`. Never rejects. */
  flush(options?: FlushOptions): Promise<FlushResult> {
    return this.shipper.flush(options).catch(() => ({ complete: false, remaining: -1 }));
  }

  /**
   * Sends what is left and stops: closes the shipper this transport made, or flushes one it was
   * given. Called by winston on `logger.close()` and `logger.remove()`; calling it again returns
   * the same promise, which never rejects.
   */
  override close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  /** `logger.end()` ends each transport and waits for its `finish`: flush first. */
  override _final(callback: (error?: Error | null) => void): void {
    this.close().then(() => callback(), callback);
  }

  private async shutDown(): Promise<void> {
    this.stopExitFlush();
    try {
      if (this.ownsShipper) await this.shipper.close();
      else await this.shipper.flush();
    } catch {
      // Neither rejects; a borrowed shipper is someone else's code.
    } finally {
      // Errors of the last sends were reported before the wait ended; a borrowed shipper's later
      // ones are its owner's.
      this.shipper.off('error', this.onShipperError);
    }
  }

  private readonly onShipperError = (error: DeliveryError): void => {
    this.emittingError = true;
    try {
      reportError(this, error);
    } finally {
      this.emittingError = false;
    }
  };
}

export type { AdapterOptions } from './adapter.js';
