/**
 * Creation of missing log streams (and, when allowed, groups): once per stream however many requests
 * find it missing at the same time, with the group's retention set when the shipper created it. The
 * state of a creation under way is the stream's `creation` part, written here only.
 */
import {
  type CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Stream } from './destination.js';
import { errorName } from './retry.js';
import { requestWithin } from './timing.js';

const RESOURCE_NOT_FOUND = 'ResourceNotFoundException';
const ALREADY_EXISTS = 'ResourceAlreadyExistsException';

export interface CreationOptions {
  readonly createLogGroup: boolean;
  readonly createLogStream: boolean;
  readonly retentionInDays: number | undefined;
  readonly requestTimeoutMs: number;
}

export class Creation {
  readonly #client: CloudWatchLogsClient;
  readonly #options: CreationOptions;

  constructor(client: CloudWatchLogsClient, options: CreationOptions) {
    this.#client = client;
    this.#options = options;
  }

  /**
   * Runs `put`; when it finds the stream (or its group) missing and creation is allowed, creates what
   * is missing and runs `put` once more. A request that failed before a creation that has since
   * finished just resends.
   */
  async withStream<T>(stream: Stream, put: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const generation = stream.creation.generation;
    try {
      return await put();
    } catch (error) {
      if (errorName(error) !== RESOURCE_NOT_FOUND || !this.#options.createLogStream) throw error;
      await this.#ensure(stream, generation, signal);
      return await put();
    }
  }

  async #ensure(stream: Stream, seenGeneration: number, signal: AbortSignal): Promise<void> {
    const state = stream.creation;
    if (state.generation !== seenGeneration) return;
    state.creating ??= this.#create(stream, signal).then(
      () => {
        state.generation++;
        state.creating = undefined;
      },
      (error: unknown) => {
        state.creating = undefined;
        throw error;
      },
    );
    await state.creating;
  }

  async #create(stream: Stream, signal: AbortSignal): Promise<void> {
    const { logGroupName, logStreamName } = stream;
    const createStream = () =>
      ignoreAlreadyExists(this.#send(new CreateLogStreamCommand({ logGroupName, logStreamName }), signal));
    try {
      await createStream();
    } catch (error) {
      if (errorName(error) !== RESOURCE_NOT_FOUND || !this.#options.createLogGroup) throw error;
      const created = await ignoreAlreadyExists(
        this.#send(new CreateLogGroupCommand({ logGroupName }), signal),
      );
      const { retentionInDays } = this.#options;
      if (created && retentionInDays !== undefined) {
        await this.#send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays }), signal);
      }
      await createStream();
    }
  }

  #send(
    command: CreateLogStreamCommand | CreateLogGroupCommand | PutRetentionPolicyCommand,
    signal: AbortSignal,
  ): Promise<unknown> {
    return requestWithin(
      (abortSignal) => this.#client.send(command as CreateLogStreamCommand, { abortSignal }),
      signal,
      this.#options.requestTimeoutMs,
    );
  }
}

/** Resolves `true` if the resource was created, `false` if it already existed. */
async function ignoreAlreadyExists(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (errorName(error) === ALREADY_EXISTS) return false;
    throw error;
  }
}
