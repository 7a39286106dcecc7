/**
 * The reporter: what the shipper tells the program. Drop reports, delivery errors (identical ones at
 * most once a minute), refused destination names (once per name), and its own faults (once). Every
 * report goes to the program's listeners, or to `process.emitWarning` when none listens; a listener
 * that throws becomes a warning, never an exception in the shipper. Nothing reported carries a
 * message body or a credential: errors are described by their name, status and destination (see
 * `failure.ts`; never the server's message, which may quote the request), and causes are sanitized
 * copies.
 */
import type { Destination } from './destination.js';
import { DeliveryError, type FailureReason } from './errors.js';
import type { DropReport, LogShipperEvents } from './events.js';
import { describeFailure, type FailureDescription, sanitizedCause } from './failure.js';

/** How often identical delivery errors are reported. */
export const ERROR_REPORT_INTERVAL_MS = 60_000;
/** Longest group or stream name quoted in a warning. */
const MAX_NAME_LENGTH = 120;
/** Refused names remembered, so that a flood of bad names cannot grow the set without bound. */
const MAX_INVALID_NAMES = 1000;

/** What the reporter needs of the shipper's emitter. */
export interface Emitter {
  emit<K extends keyof LogShipperEvents>(event: K, ...args: LogShipperEvents[K]): boolean;
  listenerCount(event: keyof LogShipperEvents): number;
}

/** The reports of one kind of failure (reason, AWS error, destination) within the interval. */
interface ErrorReport {
  /** When the last report went out. */
  at: number;
  /** Failures since then that were not reported, the events they dropped, and the last of them. */
  repeated: number;
  events: number;
  last?: { destination: Destination; reason: FailureReason; description: FailureDescription; error: unknown };
}

export class Reporter {
  readonly #emitter: Emitter;
  readonly #now: () => number;
  readonly #errorReports = new Map<string, ErrorReport>();
  readonly #invalidNames = new Set<string>();
  readonly #warned = new Set<string>();
  readonly #internalReported = new Set<string>();

  constructor(emitter: Emitter, now: () => number) {
    this.#emitter = emitter;
    this.#now = now;
  }

  /** Emits what the ledger dropped since the last report, if anything. */
  reportDrops(ledger: { takeDropsSinceReport(): DropReport | undefined }): void {
    const report = ledger.takeDropsSinceReport();
    if (report !== undefined && this.#emitter.listenerCount('drop') > 0) this.notify('drop', report);
  }

  /** A batch of `events` (as the program logged them) was dropped because of `error`. */
  deliveryFailed(destination: Destination, reason: FailureReason, error: unknown, events: number): void {
    const description = describeFailure(error);
    const awsErrorName = reportedName(description);
    const key = `${reason}\u0000${description.kind}\u0000${description.operation ?? ''}\u0000${awsErrorName}\u0000${destination.logGroupName}\u0000${destination.logStreamName}`;
    const now = this.#now();
    const previous = this.#errorReports.get(key);
    if (previous && now - previous.at < ERROR_REPORT_INTERVAL_MS) {
      previous.repeated++;
      previous.events += events;
      previous.last = { destination, reason, description, error };
      return;
    }
    this.#errorReports.set(key, { at: now, repeated: 0, events: 0 });
    this.#emitError({
      description,
      destination,
      reason,
      events: events + (previous?.events ?? 0),
      repeated: previous?.repeated ?? 0,
      error,
    });
  }

  /**
   * Reports the failures held back since their last report once the interval is over (or, with
   * `all`, at once: on close), so that no failure goes unreported because no other came after it.
   * Forgets the kinds of failure that have been quiet for an interval.
   */
  reportHeldErrors(all: boolean): void {
    if (this.#errorReports.size === 0) return;
    const now = this.#now();
    for (const [key, report] of this.#errorReports) {
      if (!all && now - report.at < ERROR_REPORT_INTERVAL_MS) continue;
      const { last } = report;
      if (report.repeated === 0 || last === undefined) {
        this.#errorReports.delete(key);
        continue;
      }
      // The last failure held back is the one reported; the others count as `repeated`.
      this.#errorReports.set(key, { at: now, repeated: 0, events: 0 });
      this.#emitError({ ...last, events: report.events, repeated: report.repeated - 1 });
    }
  }

  /** Events for a refused group or stream name are dropped: said once per name, naming it. */
  invalidDestination(group: unknown, stream: unknown): void {
    const key = `${describeName(group)}\u0000${describeName(stream)}`;
    if (this.#invalidNames.has(key) || this.#invalidNames.size >= MAX_INVALID_NAMES) return;
    this.#invalidNames.add(key);
    process.emitWarning(
      `cloudwatch-shipper: events for log group ${describeName(group)} / stream ${describeName(stream)} ` +
        'are dropped (reason invalidDestination): not a valid name',
      { code: 'CWS_INVALID_DESTINATION' },
    );
  }

  /** A warning said once per `key` for the shipper's life (a refused group setting, a refused entity). */
  warnOnce(key: string, code: string, message: string): void {
    if (this.#warned.has(key) || this.#warned.size >= MAX_INVALID_NAMES) return;
    this.#warned.add(key);
    process.emitWarning(message, { code });
  }

  /** A fault of the shipper's own inside `log()`: counted as `internal` by the caller, said once. */
  internalError(
    error: unknown,
    where: 'log()' | 'sending' | 'the flush interval' | 'the worker thread' = 'log()',
  ): void {
    if (this.#internalReported.has(where)) return;
    this.#internalReported.add(where);
    const what = error instanceof Error ? error.name : typeof error;
    const counted =
      where === 'log()'
        ? "; the event is counted as dropped with reason 'internal'. Later failures like it are counted, not reported."
        : where === 'the worker thread'
          ? "; it ended, and what it held and what is logged from now on are counted as dropped with reason 'internal'."
          : '; it is tried again at the next turn. Later failures like it are not reported.';
    process.emitWarning(`cloudwatch-shipper: ${where} failed inside the shipper (${what})${counted}`, {
      code: 'CWS_INTERNAL_ERROR',
    });
  }

  /**
   * Emits to the program's listeners. One that throws must not reach the shipper's internals, where
   * its error would count a delivered batch as failed, or escape a timer and end the process: it
   * becomes a process warning instead.
   */
  notify<K extends keyof LogShipperEvents>(event: K, ...args: LogShipperEvents[K]): void {
    try {
      this.#emitter.emit(event, ...args);
    } catch (error) {
      const what = error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
      process.emitWarning(`A '${event}' listener of LogShipper threw (${what})`, {
        code: 'CWS_LISTENER_THREW',
      });
    }
  }

  #emitError(init: {
    description: FailureDescription;
    destination: Destination;
    reason: FailureReason;
    events: number;
    repeated: number;
    error: unknown;
  }): void {
    const { error, description, ...rest } = init;
    const deliveryError = new DeliveryError({
      ...rest,
      awsErrorName: reportedName(description),
      kind: description.kind,
      operation: description.operation,
      httpStatusCode: description.httpStatusCode,
      requestId: description.requestId,
      detail: description.detail,
      cause: sanitizedCause(error, description),
    });
    if (this.#emitter.listenerCount('error') > 0) this.notify('error', deliveryError);
    else process.emitWarning(deliveryError.message, { code: deliveryError.code });
  }
}

/** A name as a warning may quote it: cut to a safe length, or its type when it is not a string. */
function describeName(name: unknown): string {
  if (typeof name !== 'string') return `(${name === null ? 'null' : typeof name})`;
  return JSON.stringify(name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name);
}

/**
 * The name a report goes by: the AWS error's, or for a failure without one, what it was (`HTTP 502`,
 * `ECONNREFUSED`, `timeout`, `credentials`, …).
 */
function reportedName(description: FailureDescription): string {
  if (description.awsErrorName !== undefined) return description.awsErrorName;
  if (description.kind === 'http' && description.httpStatusCode !== undefined) {
    return `HTTP ${description.httpStatusCode}`;
  }
  if (description.code !== undefined) return description.code;
  return description.kind;
}
