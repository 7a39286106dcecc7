import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CredentialsProviderError } from '@smithy/core/config';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classifyError, isNoCredentialsError, markCredentialFailures } from '../src/retry.js';
import { answerJson, startTinyEndpoint, type TinyEndpoint } from './support/tiny-endpoint.js';

// The classification is only worth what the SDK really does: these tests put a real
// CloudWatchLogsClient (maxAttempts 1, as the shipper builds it) in front of tiny endpoints on
// 127.0.0.1 and check the errors it throws.

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const SKEW_MS = 10 * 60_000;
/** AWS refuses a signature dated more than 5 minutes off its clock. */
const AWS_TOLERANCE_MS = 5 * 60_000;

let endpoints: TinyEndpoint[] = [];
let clients: CloudWatchLogsClient[] = [];

afterEach(async () => {
  for (const client of clients) client.destroy();
  clients = [];
  await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  endpoints = [];
  vi.unstubAllEnvs();
});

async function endpoint(answer: Parameters<typeof startTinyEndpoint>[0]): Promise<TinyEndpoint> {
  const started = await startTinyEndpoint(answer);
  endpoints.push(started);
  return started;
}

function client(config: ConstructorParameters<typeof CloudWatchLogsClient>[0]): CloudWatchLogsClient {
  const made = new CloudWatchLogsClient({ region: 'us-east-1', maxAttempts: 1, ...config });
  clients.push(made);
  return made;
}

function put(logStreamName = 's'): PutLogEventsCommand {
  return new PutLogEventsCommand({
    logGroupName: 'g',
    logStreamName,
    logEvents: [{ timestamp: Date.now(), message: 'hello' }],
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the send to fail');
}

/** `20260101T000000Z` → epoch ms. */
function parseAmzDate(value: string | string[] | undefined): number {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(String(value));
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}

/**
 * A server whose clock runs `SKEW_MS` ahead of this host's, which checks X-Amz-Date as AWS does and
 * sends its own Date with every answer. A stream named `denied` is refused as AWS refuses an action
 * the policy does not allow; `bad` as a bad parameter.
 */
async function skewedEndpoint(): Promise<TinyEndpoint> {
  return endpoint((request, response) => {
    const serverNow = Date.now() + SKEW_MS;
    const headers = { date: new Date(serverNow).toUTCString(), 'x-amzn-requestid': 'skew-request-id' };
    const signedAt = parseAmzDate(request.headers['x-amz-date']);
    if (!(Math.abs(signedAt - serverNow) <= AWS_TOLERANCE_MS)) {
      const earliest = new Date(serverNow - AWS_TOLERANCE_MS).toISOString();
      answerJson(
        response,
        400,
        {
          __type: 'InvalidSignatureException',
          message: `Signature expired: ${request.headers['x-amz-date']} is now earlier than ${earliest}`,
        },
        headers,
      );
      return;
    }
    const { logStreamName } = JSON.parse(request.body) as { logStreamName: string };
    if (logStreamName === 'denied') {
      answerJson(response, 400, { __type: 'AccessDeniedException', message: 'not authorized' }, headers);
    } else if (logStreamName === 'bad') {
      answerJson(response, 400, { __type: 'InvalidParameterException', message: 'bad' }, headers);
    } else {
      answerJson(response, 200, {}, headers);
    }
  });
}

describe('clock skew, through the real SDK', () => {
  it('marks the refused signature clockSkewCorrected and corrects the offset, so the next send succeeds', async () => {
    // Prepare
    const server = await skewedEndpoint();
    const cwl = client({ endpoint: server.url, credentials: CREDENTIALS });
    expect(cwl.config.systemClockOffset).toBe(0);
    // Act
    const error = (await failure(cwl.send(put()))) as {
      name: string;
      $metadata: { clockSkewCorrected?: boolean; attempts?: number };
    };
    const offset = cwl.config.systemClockOffset;
    const second = await cwl.send(put());
    // Assess: one attempt each (maxAttempts 1), the first refused and corrected, the second accepted.
    expect(error.name).toBe('InvalidSignatureException');
    expect(error.$metadata.clockSkewCorrected).toBe(true);
    expect(error.$metadata.attempts).toBe(1);
    expect(classifyError(error)).toBe('clockSkew');
    // The Date header has a resolution of one second.
    expect(Math.abs(offset - SKEW_MS)).toBeLessThan(2_000);
    expect(second.$metadata.httpStatusCode).toBe(200);
    expect(server.requests).toHaveLength(2);
    const [first, retried] = server.requests.map((r) => parseAmzDate(r.headers['x-amz-date']));
    expect((retried as number) - (first as number)).toBeGreaterThan(SKEW_MS - 2_000);
  });

  it('marks every later error answer too while the host clock is off, so only a refused signature counts', async () => {
    // Prepare: the offset is corrected by a first refusal.
    const server = await skewedEndpoint();
    const cwl = client({ endpoint: server.url, credentials: CREDENTIALS });
    await failure(cwl.send(put()));
    // Act: answers that have nothing to do with the clock.
    const denied = (await failure(cwl.send(put('denied')))) as {
      $metadata: { clockSkewCorrected?: boolean };
    };
    const bad = (await failure(cwl.send(put('bad')))) as { $metadata: { clockSkewCorrected?: boolean } };
    // Assess: the SDK re-samples the offset on every answer and marks each error answer 4 minutes
    // or more off. AccessDeniedException is on its clock-skew list, so it classifies as clockSkew:
    // the sender must retry clockSkew a bounded number of times (see docs-draft.md).
    expect(denied.$metadata.clockSkewCorrected).toBe(true);
    expect(bad.$metadata.clockSkewCorrected).toBe(true);
    expect(classifyError(denied)).toBe('clockSkew');
    expect(classifyError(bad)).toBe('fatal');
  });
});

describe('credential providers, through the real SDK', () => {
  it('classifies a custom provider that throws a plain Error once as credentials, and the next send succeeds', async () => {
    // Prepare
    const server = await endpoint((_request, response) => answerJson(response, 200, {}));
    let calls = 0;
    const cwl = client({
      endpoint: server.url,
      credentials: async () => {
        calls++;
        if (calls === 1) throw new Error('the vault did not answer');
        return CREDENTIALS;
      },
    });
    markCredentialFailures(cwl);
    markCredentialFailures(cwl); // a second call changes nothing
    // Act
    const error = await failure(cwl.send(put()));
    const requestsAfterFailure = server.requests.length;
    const second = await cwl.send(put());
    // Assess: no request went out for the failed attempt; the retry found credentials.
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('the vault did not answer');
    expect(classifyError(error)).toBe('credentials');
    expect(requestsAfterFailure).toBe(0);
    expect(second.$metadata.httpStatusCode).toBe(200);
    expect(calls).toBe(2);
  });

  it('cannot tell a plain Error from a provider apart without markCredentialFailures', async () => {
    // Prepare
    const server = await endpoint((_request, response) => answerJson(response, 200, {}));
    const cwl = client({
      endpoint: server.url,
      credentials: async () => {
        throw new Error('the vault did not answer');
      },
    });
    // Act
    const error = await failure(cwl.send(put()));
    // Assess: the SDK passes the provider's error through untouched: nothing marks it.
    expect((error as { $metadata?: unknown }).$metadata).toBeUndefined();
    expect(classifyError(error)).toBe('fatal');
  });

  it('classifies a CredentialsProviderError as credentials without marking, and a thrown string when marked', async () => {
    // Prepare
    const server = await endpoint((_request, response) => answerJson(response, 200, {}));
    const providerError = client({
      endpoint: server.url,
      credentials: async () => {
        throw new CredentialsProviderError('the container endpoint timed out', { tryNextLink: false });
      },
    });
    const thrownString = client({
      endpoint: server.url,
      credentials: async () => {
        throw 'a string, not an Error';
      },
    });
    markCredentialFailures(thrownString);
    // Act
    const first = await failure(providerError.send(put()));
    const second = await failure(thrownString.send(put()));
    // Assess
    expect(classifyError(first)).toBe('credentials');
    expect(isNoCredentialsError(first)).toBe(false);
    expect(second).toBeInstanceOf(Error);
    expect((second as Error).cause).toBe('a string, not an Error');
    expect(classifyError(second)).toBe('credentials');
    expect(server.requests).toHaveLength(0);
  });

  describe("the SDK's default chain", () => {
    /** No source of credentials but instance metadata, which the test points at 127.0.0.1. */
    function withoutCredentialSources(): void {
      for (const name of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_PROFILE',
        'AWS_DEFAULT_PROFILE',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_ROLE_ARN',
        'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
        'AWS_EC2_METADATA_DISABLED',
        'AWS_EC2_METADATA_V1_DISABLED',
      ]) {
        vi.stubEnv(name, undefined);
      }
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/cloudwatch-shipper/credentials');
      vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/cloudwatch-shipper/config');
    }

    /** Instance metadata (IMDSv2) that drops the first `failures` connections, then answers. */
    async function metadataEndpoint(failures: number): Promise<TinyEndpoint> {
      let seen = 0;
      return endpoint((request, response) => {
        seen++;
        if (seen <= failures) {
          response.socket?.destroy();
          return;
        }
        if (request.method === 'PUT' && request.url === '/latest/api/token') {
          response.end('a-metadata-token');
        } else if (request.url === '/latest/meta-data/iam/security-credentials/') {
          response.end('the-role');
        } else if (request.url === '/latest/meta-data/iam/security-credentials/the-role') {
          response.setHeader('content-type', 'application/json');
          response.end(
            JSON.stringify({
              Code: 'Success',
              AccessKeyId: 'AKIDFROMIMDS',
              SecretAccessKey: 'secret-from-imds',
              Token: 'token-from-imds',
              Expiration: new Date(Date.now() + 3_600_000).toISOString(),
            }),
          );
        } else {
          response.statusCode = 404;
          response.end();
        }
      });
    }

    it('ends in the same error when metadata fails once as when credentials are missing everywhere', async () => {
      // Prepare
      withoutCredentialSources();
      const logs = await endpoint((_request, response) => answerJson(response, 200, {}));
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
      const nowhere = client({ endpoint: logs.url });
      const missing = (await failure(nowhere.send(put()))) as CredentialsProviderError;
      vi.stubEnv('AWS_EC2_METADATA_DISABLED', undefined);
      // Token request and the v1 fallback's profile request both dropped: metadata "fails once".
      const metadata = await metadataEndpoint(2);
      vi.stubEnv('AWS_EC2_METADATA_SERVICE_ENDPOINT', metadata.url);
      const onEc2 = client({ endpoint: logs.url });
      // Act
      const failedOnce = (await failure(onEc2.send(put()))) as CredentialsProviderError;
      const retried = await onEc2.send(put());
      // Assess: the chain moves past a failed source, so both end in its last word; only a retry
      // tells them apart, which is why the sender retries credentials within a bound.
      for (const error of [missing, failedOnce]) {
        expect(error.name).toBe('CredentialsProviderError');
        expect(error.message).toBe('Could not load credentials from any providers');
        expect(error.tryNextLink).toBe(false);
        expect(classifyError(error)).toBe('credentials');
        expect(isNoCredentialsError(error)).toBe(true);
      }
      expect(metadata.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
        'PUT /latest/api/token', // dropped
        'GET /latest/meta-data/iam/security-credentials/', // dropped (the v1 fallback)
        'PUT /latest/api/token',
        'GET /latest/meta-data/iam/security-credentials/',
        'GET /latest/meta-data/iam/security-credentials/the-role',
      ]);
      expect(retried.$metadata.httpStatusCode).toBe(200);
      expect(logs.requests).toHaveLength(1);
      expect(logs.requests[0]?.headers['x-amz-security-token']).toBe('token-from-imds');
    });
  });
});
