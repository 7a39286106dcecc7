import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConfigError } from '../errors.js';
import { EVENT_OVERHEAD_BYTES, MAX_EVENT_BYTES } from '../limits.js';
import { FaultInjector } from './faults.js';
import { type Input, type OperationContext, operations } from './operations.js';
import { ApiError, CONTENT_TYPE, errorBody, TARGET_PREFIX } from './protocol.js';
import { parseAmzDate, signingTimeError } from './signature.js';
import { createStats, type MutableStats, snapshotStats } from './stats.js';
import { LogStore } from './store.js';
import type {
  Faults,
  KmsKeyState,
  LocalCloudWatchLogs,
  LocalCloudWatchLogsOptions,
  LocalStats,
  StoredEntity,
  StoredEvent,
} from './types.js';

const DEFAULT_SEED = 1;

/**
 * Starts a local endpoint that speaks the CloudWatch Logs API (AWS JSON 1.1) on loopback, with the
 * PutLogEvents rules checked as strictly as the API reference states them and seeded fault injection.
 * Meant for tests and benchmarks: it keeps everything in memory and ignores request signatures.
 *
 * @example
 * const cwl = await startLocalCloudWatchLogs();
 * const client = new CloudWatchLogsClient({ ...cwl.clientConfig(), maxAttempts: 1 });
 * // ... ship logs ...
 * cwl.events('/app', 'web-1');
 * await cwl.close();
 */
export async function startLocalCloudWatchLogs(
  options: LocalCloudWatchLogsOptions = {},
): Promise<LocalCloudWatchLogs> {
  const { port, host, seed, maxEventBytes, now, kmsKeys } = checkOptions(options);
  const faults = new FaultInjector(options.faults, seed, () => performance.now());
  const store = new LogStore();
  let stats: MutableStats = createStats();
  const context = (): OperationContext => ({ store, stats, now, maxEventBytes, kmsKeys });
  /** The endpoint's wall clock, as the `Date` header and the signing-time check see it. */
  const clockMs = (): number => Date.now() + faults.clockSkewMs;
  /** Latency timers not yet fired, cleared on close so that none outlives the server. */
  const pending = new Set<NodeJS.Timeout>();
  let requestCount = 0;

  const respondLater = (action: () => void): void => {
    const delayMs = faults.latencyMs;
    if (delayMs === 0) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      action();
    }, delayMs);
    timer.unref();
    pending.add(timer);
  };

  const handle = (request: IncomingMessage, response: ServerResponse, body: Buffer): void => {
    const requestId = `local-${++requestCount}`;
    const send = (status: number, payload: string, errorType?: string): void => {
      respondLater(() => {
        const headers: Record<string, string | number> = {
          'content-type': CONTENT_TYPE,
          'content-length': Buffer.byteLength(payload),
          'x-amzn-requestid': requestId,
        };
        if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
        // Node sets `Date` from the real clock; a pretended skew must show in it, as AWS's own time.
        if (faults.clockSkewMs !== 0) headers.date = new Date(clockMs()).toUTCString();
        response.writeHead(status, headers).end(payload);
      });
    };
    const sendError = (error: ApiError): void => send(error.status, errorBody(error), error.type);
    const dropConnection = (): void => respondLater(() => request.socket.destroy());

    // Signatures are not checked, but their time is, as AWS checks it before anything else: this is
    // what lets the SDK correct a skewed clock. Requests without `X-Amz-Date` (curl) pass.
    const amzDate = request.headers['x-amz-date'];
    const signedMs = typeof amzDate === 'string' ? parseAmzDate(amzDate) : undefined;
    const skewError = signedMs === undefined ? undefined : signingTimeError(signedMs, clockMs());
    if (skewError !== undefined) {
      stats.faults.signatureExpired++;
      sendError(skewError);
      return;
    }

    const target = request.headers['x-amz-target'];
    if (typeof target !== 'string') {
      sendError(new ApiError('UnknownOperationException', 'Missing x-amz-target header.'));
      return;
    }
    const known = target.startsWith(TARGET_PREFIX);
    // Counted as named, so that a client calling an operation the endpoint lacks shows up in the stats.
    const name = known ? target.slice(TARGET_PREFIX.length) : target;
    stats.requests[name] = (stats.requests[name] ?? 0) + 1;
    const operation = known && request.method === 'POST' ? operations.get(name) : undefined;
    if (operation === undefined) {
      sendError(new ApiError('UnknownOperationException', `Unknown operation: ${name}`));
      return;
    }

    let storedBeforeReset = false;
    if (name === 'PutLogEvents') {
      const fault = faults.decidePutLogEvents();
      if (fault === 'tpsThrottled' || fault === 'throttled') {
        stats.faults[fault]++;
        sendError(new ApiError('ThrottlingException', 'Rate exceeded'));
        return;
      }
      if (fault === 'unavailable') {
        stats.faults.unavailable++;
        sendError(new ApiError('ServiceUnavailableException', 'The service is unavailable.', 503));
        return;
      }
      if (fault === 'reset') {
        stats.faults.reset++;
        dropConnection();
        return;
      }
      storedBeforeReset = fault === 'resetAfterStore';
    }
    if (name === 'CreateLogStream' && !faults.admitCreateLogStream()) {
      stats.faults.createLogStreamThrottled++;
      sendError(new ApiError('ThrottlingException', 'Rate exceeded'));
      return;
    }

    let output: object | undefined;
    let failure: ApiError | undefined;
    const acceptedBefore = stats.eventsAccepted;
    try {
      output = operation(parseBody(body), context());
    } catch (error) {
      failure =
        error instanceof ApiError
          ? error
          : new ApiError(
              'InternalFailure',
              'The request processing has failed because of an unknown error.',
              500,
            );
    }

    if (storedBeforeReset) {
      stats.faults.reset++;
      stats.faults.resetAfterStore++;
      stats.faults.eventsStoredBeforeReset += stats.eventsAccepted - acceptedBefore;
      dropConnection();
    } else if (failure !== undefined) {
      sendError(failure);
    } else {
      send(200, JSON.stringify(output));
    }
  };

  const server = createServer((request, response) => {
    if (faults.isDown()) {
      stats.faults.down++;
      request.socket.destroy();
      return;
    }
    // Collected as Buffers and decoded once: decoding chunk by chunk would cost a string per chunk.
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
    });
    request.on('end', () => {
      handle(request, response, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length));
    });
  });
  server.on('connection', (socket) => {
    if (faults.isDown()) {
      stats.faults.down++;
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;

  let closing: Promise<void> | undefined;
  return {
    endpoint,
    clientConfig: () => ({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    events: (logGroupName: string, logStreamName: string): StoredEvent[] =>
      store.stream(logGroupName, logStreamName)?.read() ?? [],
    entity: (logGroupName: string, logStreamName: string): StoredEntity | undefined => {
      const entity = store.stream(logGroupName, logStreamName)?.entity;
      return entity === undefined
        ? undefined
        : { keyAttributes: { ...entity.keyAttributes }, attributes: { ...entity.attributes } };
    },
    stats: (): LocalStats => snapshotStats(stats),
    setFaults: (next: Faults): void => faults.set(next),
    reset: (): void => {
      store.clear();
      stats = createStats();
    },
    close: (): Promise<void> => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close(() => resolve());
        // Keep-alive connections, idle or waiting on a latency timer, would otherwise hold the process.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function parseBody(body: Buffer): Input {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON.');
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ApiError('SerializationException', 'The request body must be a JSON object.');
  }
  return input as Input;
}

function checkOptions(options: LocalCloudWatchLogsOptions): {
  port: number;
  host: string;
  seed: number;
  maxEventBytes: number;
  now: () => number;
  kmsKeys: ReadonlyMap<string, KmsKeyState> | undefined;
} {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options', options, 'an object');
  const {
    port = 0,
    host = '127.0.0.1',
    seed = DEFAULT_SEED,
    maxEventBytes = MAX_EVENT_BYTES,
    now = Date.now,
  } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError('port', port, 'an integer from 0 to 65535');
  }
  if (typeof host !== 'string' || host === '') throw new ConfigError('host', host, 'a non-empty string');
  if (!Number.isSafeInteger(seed)) throw new ConfigError('seed', seed, 'an integer');
  if (!Number.isSafeInteger(maxEventBytes) || maxEventBytes <= EVENT_OVERHEAD_BYTES) {
    throw new ConfigError('maxEventBytes', maxEventBytes, `an integer > ${EVENT_OVERHEAD_BYTES}`);
  }
  if (typeof now !== 'function') throw new ConfigError('now', now, 'a function');
  return { port, host, seed, maxEventBytes, now, kmsKeys: checkKmsKeys(options.kmsKeys) };
}

function checkKmsKeys(kmsKeys: unknown): ReadonlyMap<string, KmsKeyState> | undefined {
  if (kmsKeys === undefined) return undefined;
  if (typeof kmsKeys !== 'object' || kmsKeys === null || Array.isArray(kmsKeys)) {
    throw new ConfigError('kmsKeys', kmsKeys, "an object of key ARNs to 'Enabled' or 'Disabled'");
  }
  const keys = new Map<string, KmsKeyState>();
  for (const [arn, state] of Object.entries(kmsKeys)) {
    if (state !== 'Enabled' && state !== 'Disabled') {
      throw new ConfigError(`kmsKeys['${arn}']`, state, "'Enabled' or 'Disabled'");
    }
    keys.set(arn, state);
  }
  return keys;
}
