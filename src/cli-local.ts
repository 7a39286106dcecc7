import { LOCAL_USAGE, type LocalCliOptions, parseLocalArgs } from './cli-options.js';
import { ConfigError, UsageError } from './errors.js';
import { startLocalCloudWatchLogs } from './testing/server.js';
import type { Faults } from './testing/types.js';
import { noop } from './timing.js';

/*
 * `cloudwatch-shipper local`: the endpoint of cloudwatch-shipper/testing as a server of its own,
 * for test suites written in other languages. Its URL is the one line on standard output, so that
 * a script can read it (`read -r url`); it runs until SIGINT or SIGTERM.
 */

const EXIT_CANNOT_LISTEN = 1;
const EXIT_USAGE = 2;

/** Writes the message on standard error and ends the process with `code`. @internal */
export type Fail = (message: string, code: number) => never;

/** Runs `cloudwatch-shipper local` with the arguments after `local`. @internal */
export async function runLocal(args: readonly string[], fail: Fail): Promise<void> {
  let options: LocalCliOptions | 'help';
  try {
    options = parseLocalArgs(args);
  } catch (error) {
    if (error instanceof UsageError) fail(`${error.message}\n\n${LOCAL_USAGE}`, EXIT_USAGE);
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(LOCAL_USAGE);
    return;
  }
  // A reader that went away (`| head -1`) must not turn the write of the URL into a crash.
  process.stdout.on('error', noop);

  const { port, host, seed, faults } = options;
  let cwl: Awaited<ReturnType<typeof startLocalCloudWatchLogs>>;
  try {
    cwl = await startLocalCloudWatchLogs({
      port,
      host,
      ...(seed === undefined ? {} : { seed }),
      // Checked by the endpoint itself (names and values), so a fault it gains works here as it is.
      faults: faults as Faults,
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(`${faultMessage(error)}\n\n${LOCAL_USAGE}`, EXIT_USAGE);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      fail(
        `cannot listen on ${host} port ${port}: it is in use (choose another with --port, or --port 0 for a free one)`,
        EXIT_CANNOT_LISTEN,
      );
    }
    fail(`cannot listen on ${host} port ${port}: ${(error as Error).message}`, EXIT_CANNOT_LISTEN);
  }

  // The first signal closes the server, then is raised again for its default action, so that the
  // process ends by it as a shell expects (130, 143); a second one, with no listener left, ends
  // it at once.
  const stop = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    void cwl.close().then(() => process.kill(process.pid, signal));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  process.stdout.write(`${cwl.endpoint}\n`);
  process.stderr.write(
    `cloudwatch-shipper local: CloudWatch Logs endpoint on ${cwl.endpoint}, loopback only, ` +
      'without authentication (any credentials work); SIGINT or SIGTERM stops it\n',
  );
}

/** The endpoint names a fault option `faults.<name>`; on this command line it is `--fault <name>`. */
function faultMessage(error: ConfigError): string {
  if (!error.option.startsWith('faults.')) return error.message;
  return `--fault ${error.option.slice('faults.'.length)}: ${error.message}`;
}
