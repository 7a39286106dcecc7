/**
 * The pipeline's CloudWatch Logs client: the program's (the `client` option) or one made from
 * `clientConfig` with the SDK's retries off, made once the SDK is loaded (see `sdk.ts`). Loading
 * starts when the pipeline is made, so that the first request rarely waits for it. Requests are
 * given as functions of the SDK, which build the command from its classes.
 */
import type { CloudWatchLogsClient, CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import { markCredentialFailures } from './retry.js';
import { loadSdk, type SdkModule, sdkIfLoaded } from './sdk.js';
import { requestWithin, untilAborted } from './timing.js';

/** A command for `send`, built from the SDK's classes (any of its commands). */
export type MakeCommand = (sdk: SdkModule) => { readonly input: object; readonly middlewareStack: object };

export class Client {
  readonly #given: CloudWatchLogsClient | undefined;
  readonly #config: CloudWatchLogsClientConfig;
  #client: CloudWatchLogsClient | undefined;
  #destroyed = false;

  constructor(given: CloudWatchLogsClient | undefined, config: CloudWatchLogsClientConfig) {
    this.#given = given;
    this.#config = config;
    // A failure to load surfaces in the first request; the early start only saves it a wait.
    loadSdk().catch(() => {});
  }

  /** Sends the command `make` builds, once the SDK is loaded; rejects as the client's `send` does. */
  send<Output>(make: MakeCommand, options: { abortSignal?: AbortSignal }): Promise<Output> {
    const sdk = sdkIfLoaded();
    if (sdk !== undefined) return this.#sendWith<Output>(sdk, make, options);
    return loadSdk().then((loadedSdk) => {
      // Given up on while the SDK loaded (the request's timeout, a close): it never reaches the client.
      const signal = options.abortSignal;
      if (signal?.aborted) return Promise.reject(signal.reason);
      return this.#sendWith<Output>(loadedSdk, make, options);
    });
  }

  /**
   * Sends as `send` does, bounded by `signal` and by `timeoutMs` (0: unbounded) from the moment the
   * request can go: a first request that waits for the SDK to load does not spend its timeout on it.
   */
  request<Output>(make: MakeCommand, signal: AbortSignal, timeoutMs: number): Promise<Output> {
    const send = (abortSignal: AbortSignal): Promise<Output> => this.send<Output>(make, { abortSignal });
    if (sdkIfLoaded() !== undefined) return requestWithin(send, signal, timeoutMs);
    return untilAborted(loadSdk(), signal).then(() => requestWithin(send, signal, timeoutMs));
  }

  /** The client, made if it was not yet (the SDK loaded first): for `ready()`, and a test that checks the one made. */
  async current(): Promise<CloudWatchLogsClient> {
    return this.#made(await loadSdk());
  }

  /** Destroys the client if the pipeline made it (a passed client is the program's to destroy). */
  destroy(): void {
    this.#destroyed = true;
    if (this.#given === undefined) this.#client?.destroy();
  }

  #sendWith<Output>(
    sdk: SdkModule,
    make: MakeCommand,
    options: { abortSignal?: AbortSignal },
  ): Promise<Output> {
    try {
      // The client's `send` is typed per command class; the caller names the output it expects.
      const command = make(sdk) as Parameters<CloudWatchLogsClient['send']>[0];
      return this.#made(sdk).send(command, options) as Promise<Output>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #made(sdk: SdkModule): CloudWatchLogsClient {
    let client = this.#client;
    if (client === undefined) {
      if (this.#destroyed && this.#given === undefined) {
        throw new Error('cloudwatch-shipper: the client was destroyed when the shipper closed');
      }
      // Retrying happens in one place, the sender; the SDK's own retries would multiply ours.
      client = this.#given ?? new sdk.CloudWatchLogsClient({ ...this.#config, maxAttempts: 1 });
      // What the client's credential providers throw is marked, so that a provider that fails once
      // is retried whatever it threw (see `retry.ts`).
      markCredentialFailures(client);
      this.#client = client;
    }
    return client;
  }
}
