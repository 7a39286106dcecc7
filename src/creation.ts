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
import { type CreationOperation, markOperation } from './failure.js';
import { createLogGroupInput, explainCreateLogGroupError, type ResolvedLogGroupOptions } from './group.js';
import { errorName } from './retry.js';
import { requestWithin } from './timing.js';

const RESOURCE_NOT_FOUND = 'ResourceNotFoundException';
const ALREADY_EXISTS = 'ResourceAlreadyExistsException';

export interface CreationOptions {
  readonly createLogGroup: boolean;
  /** What a created group gets in its one CreateLogGroup call. */
  readonly group: ResolvedLogGroupOptions;
  readonly createLogStream: boolean;
  readonly retentionInDays: number | undefined;
  readonly requestTimeoutMs: number;
}

/** Says a warning once per key. */
export type Warn = (key: string, code: string, message: string) => void;

export class Creation {
  readonly #client: CloudWatchLogsClient;
  readonly #options: CreationOptions;
  readonly #warn: Warn;

  constructor(client: CloudWatchLogsClient, options: CreationOptions, warn: Warn) {
    this.#client = client;
    this.#options = options;
    this.#warn = warn;
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
      const created = await this.#createGroup(logGroupName, signal);
      const { retentionInDays } = this.#options;
      if (created && retentionInDays !== undefined) {
        await this.#send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays }), signal);
      }
      await createStream();
    }
  }

  /**
   * One CreateLogGroup with every setting of the group. A refusal of a setting is reported once with
   * what to fix; where the group can be made without it, and the setting added later (tags,
   * deletion protection), it is made without, so that the events are not lost for want of a group.
   * Resolves `true` if this call created the group.
   */
  async #createGroup(logGroupName: string, signal: AbortSignal): Promise<boolean> {
    const input = createLogGroupInput(logGroupName, this.#options.group);
    try {
      await this.#send(new CreateLogGroupCommand(input), signal);
      return true;
    } catch (error) {
      const refusal = explainCreateLogGroupError(error, input);
      if (refusal !== undefined) {
        this.#warn(
          `group\u0000${logGroupName}\u0000${refusal.hint}`,
          'CWS_LOG_GROUP_SETTINGS',
          `cloudwatch-shipper: creating log group ${JSON.stringify(logGroupName)}: ${refusal.hint}` +
            (refusal.retryInput === undefined ? '' : '; the group is created without them'),
        );
      }
      if (errorName(error) === ALREADY_EXISTS) return false;
      if (refusal?.retryInput === undefined) throw error;
      return ignoreAlreadyExists(this.#send(new CreateLogGroupCommand(refusal.retryInput), signal));
    }
  }

  /** One creation request; what it throws names the operation, for the report. */
  #send(
    command: CreateLogStreamCommand | CreateLogGroupCommand | PutRetentionPolicyCommand,
    signal: AbortSignal,
  ): Promise<unknown> {
    const operation: CreationOperation =
      command instanceof CreateLogStreamCommand
        ? 'CreateLogStream'
        : command instanceof CreateLogGroupCommand
          ? 'CreateLogGroup'
          : 'PutRetentionPolicy';
    return requestWithin(
      (abortSignal) => this.#client.send(command as CreateLogStreamCommand, { abortSignal }),
      signal,
      this.#options.requestTimeoutMs,
    ).catch((error: unknown) => {
      throw markOperation(error, operation);
    });
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
