/**
 * Creation of missing log streams (and, when allowed, groups): once per stream however many requests
 * find it missing at the same time, with the group's retention set when the shipper created it. The
 * state of a creation under way is the stream's `creation` part, written here only.
 *
 * Creations are quota'd per account apart from PutLogEvents (about 50 CreateLogStream and 5
 * CreateLogGroup a second), so they are paced and retried here, on their own: they hold no
 * PutLogEvents request slot, and their throttles never reach the PutLogEvents adaptive limit.
 */
import type { Client, MakeCommand } from './client.js';
import type { Stream } from './destination.js';
import { type CreationOperation, markOperation } from './failure.js';
import { createLogGroupInput, explainCreateLogGroupError, type ResolvedLogGroupOptions } from './group.js';
import { RatePacer } from './pacer.js';
import { backoffDelay, classifyError, errorName } from './retry.js';
import { sleep } from './timing.js';

const RESOURCE_NOT_FOUND = 'ResourceNotFoundException';
const ALREADY_EXISTS = 'ResourceAlreadyExistsException';

export interface CreationOptions {
  readonly createLogGroup: boolean;
  /** What a created group gets in its one CreateLogGroup call. */
  readonly group: ResolvedLogGroupOptions;
  readonly createLogStream: boolean;
  readonly retentionInDays: number | undefined;
  readonly requestTimeoutMs: number;
  /** A throttled creation is retried with this backoff, for at most `maxRetryTimeMs`. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryTimeMs: number;
  readonly now: () => number;
  readonly random: () => number;
}

/**
 * The account's creation quotas (CloudWatch Logs service quotas: CreateLogStream 50 TPS,
 * CreateLogGroup 5 TPS, PutRetentionPolicy 5 TPS per account and region): where a pacer starts, and
 * the most it grows to. A throttle halves it, down to once every 2 s (streams) or 5 s (groups).
 */
export const CREATE_LOG_STREAM_PER_SECOND = 50;
export const CREATE_LOG_GROUP_PER_SECOND = 5;
const MIN_STREAM_CREATIONS_PER_SECOND = 0.5;
const MIN_GROUP_CREATIONS_PER_SECOND = 0.2;

/** Says a warning once per key. */
export type Warn = (key: string, code: string, message: string) => void;

export class Creation {
  readonly #client: Client;
  readonly #options: CreationOptions;
  readonly #warn: Warn;
  readonly #streamPacer = new RatePacer(CREATE_LOG_STREAM_PER_SECOND, MIN_STREAM_CREATIONS_PER_SECOND);
  /** CreateLogGroup and PutRetentionPolicy share a quota figure, and come together. */
  readonly #groupPacer = new RatePacer(CREATE_LOG_GROUP_PER_SECOND, MIN_GROUP_CREATIONS_PER_SECOND);

  constructor(client: Client, options: CreationOptions, warn: Warn) {
    this.#client = client;
    this.#options = options;
    this.#warn = warn;
  }

  /** Whether `error`, from a PutLogEvents, asks for a creation that is allowed. */
  wanted(error: unknown): boolean {
    return this.#options.createLogStream && errorName(error) === RESOURCE_NOT_FOUND;
  }

  /**
   * Creates what is missing for `stream`, once however many requests ask. `seenGeneration` is the
   * stream's `creation.generation` when the request that found it missing started: a request that
   * failed before a creation that has since finished just resends.
   */
  async ensure(stream: Stream, seenGeneration: number, signal: AbortSignal): Promise<void> {
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
      ignoreAlreadyExists(
        this.#send(
          'CreateLogStream',
          (sdk) => new sdk.CreateLogStreamCommand({ logGroupName, logStreamName }),
          signal,
        ),
      );
    try {
      await createStream();
    } catch (error) {
      if (errorName(error) !== RESOURCE_NOT_FOUND || !this.#options.createLogGroup) throw error;
      const created = await this.#createGroup(logGroupName, signal);
      const { retentionInDays } = this.#options;
      if (created && retentionInDays !== undefined) {
        await this.#send(
          'PutRetentionPolicy',
          (sdk) => new sdk.PutRetentionPolicyCommand({ logGroupName, retentionInDays }),
          signal,
        );
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
      await this.#send('CreateLogGroup', (sdk) => new sdk.CreateLogGroupCommand(input), signal);
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
      const { retryInput } = refusal;
      return ignoreAlreadyExists(
        this.#send('CreateLogGroup', (sdk) => new sdk.CreateLogGroupCommand(retryInput), signal),
      );
    }
  }

  /**
   * One creation request, paced, with its throttles retried here (with backoff, for at most
   * `maxRetryTimeMs`); what it throws names the operation, for the report and for the sender, which
   * keeps it away from the PutLogEvents limit.
   */
  async #send(operation: CreationOperation, command: MakeCommand, signal: AbortSignal): Promise<unknown> {
    const pacer = operation === 'CreateLogStream' ? this.#streamPacer : this.#groupPacer;
    const { now, minDelayMs, maxDelayMs, maxRetryTimeMs, random, requestTimeoutMs } = this.#options;
    const startedAt = now();
    for (let attempt = 1; ; attempt++) {
      let attemptStartedAt = now();
      try {
        await sleep(pacer.reserve(attemptStartedAt), signal);
        attemptStartedAt = now();
        const result = await this.#client.request(command, signal, requestTimeoutMs);
        pacer.succeeded();
        return result;
      } catch (error) {
        const elapsed = now() - startedAt;
        if (signal.aborted || classifyError(error) !== 'throttle' || elapsed >= maxRetryTimeMs) {
          throw markOperation(error, operation);
        }
        pacer.throttled(attemptStartedAt, now());
        const delay = backoffDelay(attempt, minDelayMs, maxDelayMs, random);
        try {
          await sleep(Math.min(delay, maxRetryTimeMs - elapsed), signal);
        } catch {
          throw markOperation(error, operation);
        }
      }
    }
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
