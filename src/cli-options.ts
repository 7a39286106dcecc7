import { BlockList, isIP } from 'node:net';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { describeValue, UsageError } from './errors.js';
import { RETENTION_DAYS } from './limits.js';
import type { LogShipperOptions } from './options.js';

/** What the command line asks for. @internal */
export interface CliOptions {
  readonly shipper: LogShipperOptions;
  /** Take each JSON line's time from its `time` or `timestamp` field. */
  readonly json: boolean;
  /** On SIGINT or SIGTERM, how long to keep sending before exiting (the shipper's `exitTimeoutMs`). */
  readonly closeTimeoutMs: number;
}

export const USAGE = `Usage: cloudwatch-shipper --log-group-name <name> --log-stream-name <name> [options]
       cloudwatch-shipper local [--port <n>] [options]   (see cloudwatch-shipper local --help)
       cloudwatch-shipper --version

Reads lines from standard input and sends each one as an event to CloudWatch Logs.
Credentials and, without --region, the region come from the AWS SDK's usual sources
(environment variables, shared config files, instance or container roles).

Options:
  --log-group-name <name>    Log group to send to (required)
  --log-stream-name <name>   Log stream to send to, created if missing (required)
  --region <region>          AWS region
  --endpoint <url>           CloudWatch Logs endpoint, such as a local one for tests
  --create-log-group         Create the log group if it is missing (the default)
  --no-create-log-group      Do not create it: a missing group is an error
  --retention-in-days <n>    Retention of a log group it creates; older events are not sent
  --json                     Take the time of JSON lines from their "time" or "timestamp" field
  --close-timeout-ms <n>     On SIGINT or SIGTERM, keep sending this long before exiting
                             (default 5000, at most 3600000)
  --version                  Print the version and exit
  -h, --help                 Print this help and exit

Exit status: 0 when every line was sent, 1 when some could not be, 2 on a bad command line.
On SIGINT or SIGTERM it stops reading, sends what it read (for at most --close-timeout-ms),
then ends by that signal (a shell reports 130 or 143); a second signal ends it at once.
`;

const DEFAULT_CLOSE_TIMEOUT_MS = 5000;
/** The shipper's bound on `exitTimeoutMs`. */
const MAX_CLOSE_TIMEOUT_MS = 3_600_000;

/**
 * Parses the arguments of the shipping command (without `node` and the script); `'help'` or
 * `'version'` when that was asked for.
 */
export function parseCliArgs(args: readonly string[]): CliOptions | 'help' | 'version' {
  const { values, tokens } = parse(args);
  if (values.help) return 'help';
  if (values.version) return 'version';
  const logGroupName = required(values['log-group-name'], '--log-group-name');
  const logStreamName = required(values['log-stream-name'], '--log-stream-name');

  const clientConfig: { region?: string; endpoint?: string } = {};
  if (values.region !== undefined) clientConfig.region = nonEmpty(values.region, '--region');
  if (values.endpoint !== undefined) {
    const endpoint = values.endpoint;
    if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
      throw new UsageError(`--endpoint must be an http or https URL, got ${describeValue(endpoint)}`);
    }
    clientConfig.endpoint = endpoint;
  }

  let retentionInDays: number | undefined;
  if (values['retention-in-days'] !== undefined) {
    retentionInDays = integer(values['retention-in-days'], '--retention-in-days');
    if (!(RETENTION_DAYS as readonly number[]).includes(retentionInDays)) {
      throw new UsageError(`--retention-in-days must be one of ${RETENTION_DAYS.join(', ')}`);
    }
  }
  const closeTimeoutMs =
    values['close-timeout-ms'] === undefined
      ? DEFAULT_CLOSE_TIMEOUT_MS
      : integer(values['close-timeout-ms'], '--close-timeout-ms');
  if (closeTimeoutMs > MAX_CLOSE_TIMEOUT_MS) {
    throw new UsageError(`--close-timeout-ms must be at most ${MAX_CLOSE_TIMEOUT_MS}`);
  }

  return {
    shipper: {
      logGroupName,
      logStreamName,
      clientConfig,
      // Given explicitly, so that the command's default does not follow the library's.
      createLogGroup: lastSwitch(tokens, 'create-log-group', 'no-create-log-group') ?? true,
      // A command owns its process: SIGINT and SIGTERM send what was read, then end it.
      flushOnExit: true,
      exitTimeoutMs: closeTimeoutMs,
      ...(retentionInDays === undefined ? {} : { retentionInDays }),
    },
    json: values.json ?? false,
    closeTimeoutMs,
  };
}

function parse(args: readonly string[]) {
  return parseStrict(args, {
    'log-group-name': { type: 'string' },
    'log-stream-name': { type: 'string' },
    region: { type: 'string' },
    endpoint: { type: 'string' },
    // Two flags rather than parseArgs's `allowNegative`, which Node 20 has only from 20.16.
    'create-log-group': { type: 'boolean' },
    'no-create-log-group': { type: 'boolean' },
    'retention-in-days': { type: 'string' },
    json: { type: 'boolean' },
    'close-timeout-ms': { type: 'string' },
    version: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
}

function parseStrict<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: false, tokens: true, options });
  } catch (error) {
    // parseArgs's own messages name the flag (`Unknown option '--x'`, `Option '--json' does not take an argument`).
    throw new UsageError((error as Error).message);
  }
}

/** `true` or `false` by whichever of the two flags came last; `undefined` when neither did. */
function lastSwitch(
  tokens: readonly { kind: string; name?: string }[],
  on: string,
  off: string,
): boolean | undefined {
  let value: boolean | undefined;
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (token.name === on) value = true;
    else if (token.name === off) value = false;
  }
  return value;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return nonEmpty(value, flag);
}

function nonEmpty(value: string, flag: string): string {
  if (value === '') throw new UsageError(`${flag} must not be empty`);
  return value;
}

function integer(value: string, flag: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new UsageError(`${flag} must be a whole number, got ${describeValue(value)}`);
  }
  return Number(value);
}

/** What `cloudwatch-shipper local` asks for. @internal */
export interface LocalCliOptions {
  readonly port: number;
  readonly host: string;
  readonly seed?: number;
  /**
   * `--fault name=value` settings, as given: the endpoint's own validation checks the names and the
   * values, so a fault it gains needs no change here. A value that reads as a number is a number.
   */
  readonly faults: Readonly<Record<string, number | string>>;
}

export const DEFAULT_LOCAL_PORT = 4566;
const DEFAULT_LOCAL_HOST = '127.0.0.1';

export const LOCAL_USAGE = `Usage: cloudwatch-shipper local [--port <n>] [--host <address>] [--seed <n>] [--fault <name>=<value> ...]

Runs the bundled local CloudWatch Logs endpoint (the one cloudwatch-shipper/testing starts) as a
server, for test suites in any language: point the AWS CLI (--endpoint-url), boto3 (endpoint_url)
or an SDK at the URL it prints on standard output. It keeps everything in memory, listens on
loopback only and has no authentication: any credentials and region are accepted.

Options:
  --port <n>                 TCP port to listen on; 0 picks a free one (default ${DEFAULT_LOCAL_PORT})
  --host <address>           Loopback address to listen on: 127.0.0.1 (the default), another
                             127.x.x.x, or ::1; any other address is refused
  --seed <n>                 Seed of the pseudo-random source that picks faulty requests (default 1)
  --fault <name>=<value>     A fault to inject, as in startLocalCloudWatchLogs({ faults }); repeatable.
                             For example throttleRate=0.2, unavailableRate=0.05, resetRate=0.01,
                             resetAfterStoreRatio=0.5, latencyMs=100, downForMs=5000, tpsLimit=5
  -h, --help                 Print this help and exit

It ends on SIGINT or SIGTERM (a shell reports 130 or 143). Exit status 2 on a bad command line,
1 when it cannot listen (such as a port in use).
`;

/** The addresses `--host` may name: the endpoint has no authentication. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Parses the arguments after `local`; `'help'` when help was asked for. */
export function parseLocalArgs(args: readonly string[]): LocalCliOptions | 'help' {
  const { values } = parseStrict(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    fault: { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';

  let port = DEFAULT_LOCAL_PORT;
  if (values.port !== undefined) {
    port = integer(values.port, '--port');
    if (port > 65_535)
      throw new UsageError(`--port must be at most 65535, got ${describeValue(values.port)}`);
  }

  const host = values.host ?? DEFAULT_LOCAL_HOST;
  const family = isIP(host);
  if (family === 0 || !LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')) {
    throw new UsageError(
      `--host must be a loopback address (127.0.0.1, another 127.x.x.x, or ::1), got ${describeValue(host)}: ` +
        'the endpoint has no authentication',
    );
  }

  let seed: number | undefined;
  if (values.seed !== undefined) {
    if (!/^-?\d{1,15}$/.test(values.seed)) {
      throw new UsageError(`--seed must be an integer, got ${describeValue(values.seed)}`);
    }
    seed = Number(values.seed);
  }

  const faults: Record<string, number | string> = {};
  for (const setting of values.fault ?? []) {
    const at = setting.indexOf('=');
    const name = at === -1 ? '' : setting.slice(0, at);
    if (name === '') {
      throw new UsageError(
        `--fault must be <name>=<value>, such as throttleRate=0.2, got ${describeValue(setting)}`,
      );
    }
    // Names an object already answers to (`toString`, `__proto__`) are no fault's.
    if (name in Object.prototype) {
      throw new UsageError(`--fault ${describeValue(name)} is not a fault the endpoint knows`);
    }
    const text = setting.slice(at + 1);
    const number = text.trim() === '' ? Number.NaN : Number(text);
    faults[name] = Number.isNaN(number) ? text : number;
  }

  return { port, host, faults, ...(seed === undefined ? {} : { seed }) };
}
