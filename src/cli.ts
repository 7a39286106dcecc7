#!/usr/bin/env node
// Read at build time: the bundler inlines it, so the version is right wherever this file runs
// (dist/cli.js in an installed package, or a bundle far from any package.json).
import packageJson from '../package.json' with { type: 'json' };
import { recordTime } from './adapter.js';
import { LineSplitter } from './cli-lines.js';
import { runLocal } from './cli-local.js';
import { type CliOptions, parseCliArgs, USAGE } from './cli-options.js';
import { ConfigError, UsageError } from './errors.js';
import { type ExitParticipant, registerForExit, unregisterForExit } from './exit.js';
import { LogShipper } from './shipper.js';
import type { ShipperStats } from './stats.js';
import { KeepAlive, noop } from './timing.js';

/*
 * `app | cloudwatch-shipper --log-group-name G --log-stream-name S`: one event per line of
 * standard input. Reading pauses while the shipper's buffer is past its high-water mark, so a
 * fast producer is slowed down (the pipe fills) instead of having lines dropped.
 */

const EXIT_NOT_ALL_SENT = 1;
const EXIT_USAGE = 2;
/**
 * A line keeps at most this many UTF-16 units; the rest of it is skipped as it is read. An event's
 * message holds at most 1,048,550 UTF-8 bytes, so fewer units than this: the shipper truncates a
 * line that long anyway, and the bound only keeps an endless line from filling memory.
 */
const MAX_LINE_LENGTH = 4 * 1024 * 1024;

function fail(message: string, code: number): never {
  process.stderr.write(`cloudwatch-shipper: ${message}\n`);
  process.exit(code);
}

function start(args: readonly string[]): { options: CliOptions; shipper: LogShipper } {
  let options: CliOptions | 'help' | 'version';
  try {
    options = parseCliArgs(args);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n\n${USAGE}`, EXIT_USAGE);
    throw error;
  }
  if (options === 'help' || options === 'version') {
    process.stdout.write(options === 'help' ? USAGE : `${packageJson.version}\n`);
    process.exit(0);
  }
  try {
    return { options, shipper: new LogShipper(options.shipper) };
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.message}\n\n${USAGE}`, EXIT_USAGE);
    throw error;
  }
}

function notSent(stats: ShipperStats): string | undefined {
  const missing = stats.logged - stats.sent;
  if (missing <= 0) return undefined;
  const reasons = Object.entries(stats.dropped)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason}: ${count}`);
  if (stats.buffered + stats.inFlight > 0) reasons.push(`unsent: ${stats.buffered + stats.inFlight}`);
  return `${missing} of ${stats.logged} lines were not sent (${reasons.join(', ')})`;
}

async function main(args: readonly string[]): Promise<void> {
  // A closed standard error (a pipe whose reader went away) must not end the command with an
  // uncaught EPIPE: its reports are lost, the lines still go out, and a signal still ends it.
  process.stderr.on('error', noop);
  if (args[0] === 'local') {
    await runLocal(args.slice(1), fail);
    return;
  }
  const { options, shipper } = start(args);
  shipper.on('error', (error) => process.stderr.write(`cloudwatch-shipper: ${error.message}\n`));

  // parseCliArgs turns on `flushOnExit`: on SIGINT or SIGTERM the shipper is closed within
  // --close-timeout-ms, then the signal is raised again and ends the process; a second signal ends
  // it at once. The command takes part in that shutdown too: it stops reading and says what was
  // not sent, before the signal is raised again.
  let stopping = false;
  let wake: (() => void) | undefined;
  const command: ExitParticipant = {
    pending: () => 0,
    logged: () => 0,
    flush: () => Promise.resolve(),
    close: async ({ timeoutMs }) => {
      stopping = true;
      wake?.();
      process.stdin.pause();
      // Bounds a close the end of input began without one, too.
      await shipper.close({ timeoutMs });
      report();
    },
    exitTimeoutMs: options.closeTimeoutMs,
  };
  registerForExit(command);
  let reported = false;
  const report = (): boolean => {
    if (reported) return false;
    reported = true;
    const text = notSent(shipper.stats());
    if (text) process.stderr.write(`cloudwatch-shipper: ${text}\n`);
    return text !== undefined;
  };

  // Past the high-water mark, reading waits for the shipper's 'drain' (or a signal). Nothing else
  // may hold the event loop open meanwhile (the shipper's timers never do), so this wait does:
  // otherwise an endpoint that is down would let the program end, as if the input were done.
  const keepAlive = new KeepAlive();
  const drained = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const release = keepAlive.hold();
      const done = (): void => {
        release();
        shipper.off('drain', done);
        resolve();
      };
      wake = done;
      shipper.once('drain', done);
    });

  const ship = (line: string): boolean => {
    if (!options.json || line[0] !== '{') return shipper.log(line);
    let timestamp: number | undefined;
    try {
      const record = JSON.parse(line) as { time?: unknown; timestamp?: unknown } | null;
      timestamp = recordTime(record?.time ?? record?.timestamp);
    } catch {
      // Not JSON after all: sent as it is, stamped now.
    }
    return shipper.log({ message: line, timestamp });
  };

  // Decoded as UTF-8 by a StringDecoder, which never splits a character across chunks. Each line
  // is one event, counted once in the report however long it is.
  process.stdin.setEncoding('utf8');
  const splitter = new LineSplitter(MAX_LINE_LENGTH);
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    if (stopping) break;
    // Past the high-water mark, reading waits, line by line: a chunk of many short lines cannot
    // overflow the buffer.
    for (const line of splitter.push(chunk)) {
      if (stopping) break;
      if (!ship(line)) await drained();
    }
  }
  if (stopping) return;
  const last = splitter.end();
  if (last !== undefined) ship(last);

  // A signal during this close bounds it by --close-timeout-ms (the command's own close does).
  await shipper.close();
  if (stopping) return;
  unregisterForExit(command);
  if (report()) process.exitCode = EXIT_NOT_ALL_SENT;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error), EXIT_NOT_ALL_SENT);
});
