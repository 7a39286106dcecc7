import type { Input } from './input.js';
import type { MutableStats } from './stats.js';
import type { LogStore } from './store.js';
import type { KmsKeyState } from './types.js';

/** What an operation needs besides its input. */
export interface OperationContext {
  readonly store: LogStore;
  readonly stats: MutableStats;
  readonly now: () => number;
  readonly maxEventBytes: number;
  /** The KMS keys that exist, by ARN; `undefined` when every well-formed key ARN is taken to exist. */
  readonly kmsKeys: ReadonlyMap<string, KmsKeyState> | undefined;
}

export type Operation = (input: Input, context: OperationContext) => object;
