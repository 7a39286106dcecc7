// Types of scenarios.mjs, for the TypeScript test that imports it (tsconfig has no allowJs).
import type { CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs';
import type { LogShipperOptions, ShipperStats } from '../../src/index.js';
import type { LogShipper } from '../../src/shipper.js';
import type { Faults, LocalStats, StoredEvent } from '../../src/testing/index.js';

export declare const GROUP: string;
export declare const CALM: Readonly<Faults>;

export interface FaultStep {
  /** From the start of the run (for the soak's schedule: of the whole soak). */
  readonly atMs: number;
  readonly faults: Faults;
  /** The soak's phase this step begins, for its progress lines. */
  readonly phase?: string;
}

export interface ExpectedLoss {
  /** Dropped events by reason; a reason left out is expected to be 0. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Runs `[from, to)` of sequence numbers expected never to reach the endpoint. */
  readonly missing: readonly (readonly [number, number])[];
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Length at scale 1 (the soak's); the producer logs for `lengthMs * scale`. */
  readonly lengthMs: number;
  /** `false`: left out of the soak, which asserts that nothing is dropped. */
  readonly soak?: boolean;
  /** Streams the events are spread over, round robin. @default 4 */
  readonly streams?: number;
  /** Options of its own, over the caller's. */
  readonly shipperOptions?: Partial<LogShipperOptions> & Record<string, unknown>;
  steps(scale: number): readonly FaultStep[];
  /** What the scenario loses on purpose, derived from what was logged and the endpoint's counts. */
  expected?(run: { logged: number; atStop: { local: LocalStats; stats: ShipperStats } }): ExpectedLoss;
  /** The scenario's own checks (its faults did happen, …): what failed. */
  checks(result: ChaosResult): string[];
}

export declare const SCENARIOS: readonly Scenario[];

export declare function soakScenario(durationMs: number): Scenario & { readonly cycleScale: number };

export declare function messageOf(seq: number, name: string): string;

export interface StoredSummary {
  stored: number;
  seqEvents: number;
  distinct: number;
  seqDuplicates: number;
  markers: number;
  markerDropped: number;
  foreign: number;
  outOfRange: number;
  wrongStream: number;
  missing: number;
  missingRanges: [number, number][];
}

export declare function summarizeStored(
  eventsByStream: readonly (readonly Pick<StoredEvent, 'message'>[])[],
  logged: number,
): StoredSummary;

/** What the runner needs of an endpoint: the local one, or a proxy to one in another process. */
export interface ChaosEndpoint {
  clientConfig(): CloudWatchLogsClientConfig | Promise<CloudWatchLogsClientConfig>;
  setFaults(faults: Faults): void | Promise<void>;
  stats(): LocalStats | Promise<LocalStats>;
  events?(logGroupName: string, logStreamName: string): StoredEvent[];
  summarize?(logGroupName: string, logStreamNames: string[], logged: number): Promise<StoredSummary>;
  close(): Promise<void>;
}

export interface ProgressReport {
  elapsedMs: number;
  phase: string | undefined;
  logged: number;
  stats: ShipperStats;
  heapUsed: number;
}

export interface RunOptions<E extends ChaosEndpoint> {
  LogShipper: typeof LogShipper;
  startEndpoint(options: { seed: number }): Promise<E>;
  scenario: Scenario;
  /** @default 1 */
  scale?: number;
  /** @default 5000 */
  eventsPerSecond?: number;
  /** @default 10 */
  tickMs?: number;
  /** Seed of the endpoint's fault choices. @default 1 */
  seed?: number;
  shipperOptions?: Partial<LogShipperOptions> & Record<string, unknown>;
  /** Bound on the final flush and on close. @default 60000 */
  closeTimeoutMs?: number;
  /** @default 100 */
  heapSampleMs?: number;
  /** When `heap.checkpoint` is measured (or at the end, if sooner). @default 60000 */
  memoryCheckpointMs?: number;
  /** Run before each measured heap (baseline, checkpoint, end, progress): `globalThis.gc`. */
  gc?: () => void;
  /** @default 0 (no progress reports) */
  progressEveryMs?: number;
  onProgress?(report: ProgressReport): void;
}

export interface ChaosResult<E extends ChaosEndpoint = ChaosEndpoint> {
  scenario: Scenario;
  scale: number;
  durationMs: number;
  elapsedMs: number;
  eventsPerSecond: number;
  /** Events the producer logged (sequence numbers 0 to logged - 1). */
  logged: number;
  streams: string[];
  /** The shipper's counters after close. */
  stats: ShipperStats;
  /** The endpoint's counters after close. */
  local: LocalStats;
  /** Both sides' counters when the producer stopped, before the faults were ended. */
  atStop: { local: LocalStats; stats: ShipperStats };
  stored: StoredSummary;
  expected: ExpectedLoss;
  flushed: { complete: boolean; remaining: number };
  closed: { complete: boolean; dropped: number };
  slowestBatchMs: number;
  /** Lowest `stats().concurrency` sampled. */
  minConcurrency: number;
  /** heapUsed in bytes: before the run, its peak, at the checkpoint, after the final flush. */
  heap: {
    baseline: number;
    max: number;
    checkpoint: number | undefined;
    checkpointAtMs: number | undefined;
    end: number;
  };
  /** `error` events of the shipper. */
  errors: string[];
  warnings: string[];
  /** Unhandled rejections and uncaught exceptions during the run. */
  processErrors: string[];
  /** What `log()` threw. */
  hostErrors: string[];
  faultErrors: string[];
  /** Closed by then. */
  shipper: LogShipper;
  /** Closed by then. */
  endpoint: E;
}

export declare function runScenario<E extends ChaosEndpoint>(options: RunOptions<E>): Promise<ChaosResult<E>>;

export declare function checkResult(result: ChaosResult, options?: { heapBoundBytes?: number }): string[];
