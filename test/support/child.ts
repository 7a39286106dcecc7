import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { LocalCloudWatchLogs } from '../../src/testing/index.js';

/** The repository root: child processes run there so that `cloudwatch-shipper/*` resolves to dist/. */
export const root = resolve(import.meta.dirname, '../..');

/** Environment for a child that talks to the local endpoint: dummy credentials, its URL. */
export function endpointEnv(cwl: LocalCloudWatchLogs): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CWL_ENDPOINT: cwl.endpoint,
  };
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Written to standard input, which is then closed. */
  readonly input?: string | Buffer;
  /** Killed (and the test fails on its result) after this long. */
  readonly timeoutMs?: number;
  readonly command?: string;
  /** Called once the child is running, e.g. to signal it. */
  readonly started?: (child: ChildProcess) => void;
}

/** Runs a child process to its end and collects its output; kills it if it outlives `timeoutMs`. */
export function run(options: RunOptions): Promise<ChildResult> {
  const child = spawn(options.command ?? process.execPath, [...options.args], {
    cwd: options.cwd ?? root,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // A child that exits before reading all of its input closes the pipe: not the test's concern.
  child.stdin.on('error', () => {});
  if (options.input !== undefined) child.stdin.end(options.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  options.started?.(child);
  return new Promise((resolvePromise, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Runs an ES module given as source text with `node --input-type=module`, after the modules in
 * `imports` (`--import`: hooks, say).
 */
export function runModule(
  source: string,
  options: Omit<RunOptions, 'args'> & { readonly imports?: readonly string[] } = {},
): Promise<ChildResult> {
  const { imports = [], ...rest } = options;
  return run({
    ...rest,
    args: [...imports.flatMap((m) => ['--import', m]), '--input-type=module', '-e', source],
  });
}
