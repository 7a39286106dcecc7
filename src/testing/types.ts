/**
 * Faults the local endpoint injects. Every field is optional; `setFaults` merges what it is given
 * into the current settings, and a field given as `undefined` goes back to its default.
 */
export interface Faults {
  /**
   * Fraction (0 to 1) of PutLogEvents requests answered 400 `ThrottlingException` ("Rate exceeded").
   * @default 0
   */
  readonly throttleRate?: number;
  /**
   * Fraction (0 to 1) of PutLogEvents requests answered 503 `ServiceUnavailableException`.
   * @default 0
   */
  readonly unavailableRate?: number;
  /**
   * Fraction (0 to 1) of PutLogEvents requests whose connection is destroyed without a response.
   * @default 0
   */
  readonly resetRate?: number;
  /**
   * Of the resets, the fraction (0 to 1) that happens after the events were stored: the client sees a
   * failure, resends, and the stream gets duplicates, as with a real ambiguous network failure.
   * @default 0.5
   */
  readonly resetAfterStoreRatio?: number;
  /**
   * Delay, in milliseconds, before every response (of every operation, errors and resets included).
   * Requests are processed first, so a client that times out may still have had its events stored.
   * @default 0
   */
  readonly latencyMs?: number;
  /**
   * For this many milliseconds from the moment it is set, every connection and request is destroyed at
   * once, as by a dead endpoint. Setting it again restarts the outage; `0` ends it.
   * @default 0
   */
  readonly downForMs?: number;
  /**
   * Most PutLogEvents requests accepted in any rolling second; the excess is answered
   * `ThrottlingException`. `Infinity` means no limit.
   * @default Infinity
   */
  readonly tpsLimit?: number;
  /**
   * Most CreateLogStream requests accepted in any rolling second (the service's quota is about 50 per
   * account and region); the excess is answered `ThrottlingException`. `Infinity` means no limit.
   * @default Infinity
   */
  readonly createLogStreamTpsLimit?: number;
  /**
   * Milliseconds the endpoint's clock runs ahead of the real one (behind, when negative), as a host
   * whose clock is off sees AWS. Every request signed (`X-Amz-Date`) more than 5 minutes from the
   * endpoint's clock is answered 400 `InvalidSignatureException` ("Signature expired: ..." or
   * "Signature not yet current: ..."), and every response carries the endpoint's time in its `Date`
   * header, from which the SDK corrects its clock offset (and marks the error
   * `$metadata.clockSkewCorrected`), as it does with AWS. The check applies at `0` too: a client
   * whose own clock is more than 5 minutes off is refused just the same.
   * @default 0
   */
  readonly clockSkewMs?: number;
}

/** The state of a KMS key the endpoint knows; see {@link LocalCloudWatchLogsOptions.kmsKeys}. */
export type KmsKeyState = 'Enabled' | 'Disabled';

/** Options of {@link startLocalCloudWatchLogs}. */
export interface LocalCloudWatchLogsOptions {
  /**
   * TCP port to listen on; `0` picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Address to listen on. Keep it on loopback: the endpoint has no authentication.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /** Faults injected from the start; see {@link Faults}. */
  readonly faults?: Faults;
  /**
   * Seed of the pseudo-random source that decides which requests get a fault, so that a run can be
   * replayed. A fixed seed is used when none is given.
   * @default 1
   */
  readonly seed?: number;
  /**
   * Largest event accepted, message UTF-8 bytes plus the 26-byte overhead. Set it to
   * `LEGACY_MAX_EVENT_BYTES` (262,144) to behave like endpoints that still apply the old limit: a
   * request with a larger event is refused whole with `InvalidParameterException` "Log event too
   * large: N bytes exceeds limit of 262144", in the service's words.
   * @default MAX_EVENT_BYTES (1,048,576)
   */
  readonly maxEventBytes?: number;
  /**
   * Clock, in epoch milliseconds, for the 14-day, 2-hour and retention checks of PutLogEvents and for
   * the creation and ingestion times the endpoint reports. Fault timing (`downForMs`, `tpsLimit`,
   * `latencyMs`) always uses the real clock.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * The KMS keys that exist, by key ARN, and whether each is enabled. CreateLogGroup with a
   * `kmsKeyId` that is not a key ARN is answered `InvalidParameterException`; with a key ARN not
   * listed here, or listed `'Disabled'`, `AccessDeniedException` ("The specified KMS key does not
   * exist or is not allowed to be used with Arn ..."), as the service answers. Without this option
   * every well-formed key ARN is taken to exist and be enabled.
   * @default undefined
   */
  readonly kmsKeys?: Readonly<Record<string, KmsKeyState>>;
}

/** The entity of a PutLogEvents request the endpoint accepted. */
export interface StoredEntity {
  /** The entity's `keyAttributes`, as sent. */
  readonly keyAttributes: Readonly<Record<string, string>>;
  /** The entity's `attributes`, as sent (`{}` when none). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** An event the endpoint accepted and stored. */
export interface StoredEvent {
  /** Event time, epoch milliseconds, as sent by the client. */
  readonly timestamp: number;
  /** The message, as sent by the client. */
  readonly message: string;
  /** When the endpoint stored it, epoch milliseconds from the `now` option. */
  readonly ingestionTime: number;
}

/** A snapshot of what the endpoint has seen since it started or was last `reset()`. */
export interface LocalStats {
  /**
   * Requests received, by operation name (`PutLogEvents`, `CreateLogStream`, an unknown name as sent…).
   * Requests dropped by `downForMs` are not counted here but in `faults.down`, nor those refused for
   * their signing time (`faults.signatureExpired`).
   */
  readonly requests: Readonly<Record<string, number>>;
  /** Events stored by PutLogEvents. */
  readonly eventsAccepted: number;
  /** UTF-8 bytes of the messages stored by PutLogEvents (without the 26-byte overhead). */
  readonly bytesAccepted: number;
  /** PutLogEvents requests refused with `InvalidParameterException`, by broken rule: one per request. */
  readonly violations: {
    /** `logGroupName`, `logStreamName` or `logEvents` missing (or not of the right type). */
    readonly missingParameter: number;
    /** `logEvents` is empty. */
    readonly emptyBatch: number;
    /** More than 10,000 events. */
    readonly tooManyEvents: number;
    /** Message UTF-8 bytes plus 26 per event sum to more than 1,048,576. */
    readonly batchTooLarge: number;
    /** An event whose message is empty (or not a string). */
    readonly emptyMessage: number;
    /** An event whose message UTF-8 bytes plus 26 exceed `maxEventBytes`. */
    readonly eventTooLarge: number;
    /** A timestamp that is not a non-negative integer. */
    readonly invalidTimestamp: number;
    /** Events not in chronological order. */
    readonly outOfOrder: number;
    /** The events not rejected for their age span more than 24 hours. */
    readonly spanTooLong: number;
    /** Sum of every kind above. */
    readonly total: number;
  };
  /** Events not stored but reported in `rejectedLogEventsInfo` (not errors). */
  readonly rejected: {
    /** Older than 14 days. */
    readonly tooOld: number;
    /** More than 2 hours in the future. */
    readonly tooNew: number;
    /** Older than the group's retention (when shorter than 14 days) but not too old. */
    readonly expired: number;
  };
  /** Faults injected. */
  readonly faults: {
    /** PutLogEvents answered `ThrottlingException` by `throttleRate`. */
    readonly throttled: number;
    /** PutLogEvents answered `ServiceUnavailableException` by `unavailableRate`. */
    readonly unavailable: number;
    /** PutLogEvents whose connection was destroyed by `resetRate`, before or after storing. */
    readonly reset: number;
    /** Of `reset`, those that happened after the events were stored. */
    readonly resetAfterStore: number;
    /** Events stored by requests that were then reset: the duplicates a resending client will cause. */
    readonly eventsStoredBeforeReset: number;
    /** Connections and requests destroyed while down (`downForMs`). */
    readonly down: number;
    /** PutLogEvents answered `ThrottlingException` by `tpsLimit`. */
    readonly tpsThrottled: number;
    /** CreateLogStream answered `ThrottlingException` by `createLogStreamTpsLimit`. */
    readonly createLogStreamThrottled: number;
    /** Requests of any operation answered `InvalidSignatureException`: signed over 5 minutes off. */
    readonly signatureExpired: number;
  };
  /** Entities sent with PutLogEvents. */
  readonly entities: {
    /** Entities accepted (and kept: see {@link LocalCloudWatchLogs.entity}). */
    readonly accepted: number;
    /** Entities answered with `rejectedEntityInfo`, by `errorType`. Their events were stored. */
    readonly rejected: Readonly<Record<string, number>>;
  };
  /** PutLogEvents requests that carried a `sequenceToken` (accepted and ignored, as the API now does). */
  readonly sequenceTokensReceived: number;
}

/** A running local CloudWatch Logs endpoint; see {@link startLocalCloudWatchLogs}. */
export interface LocalCloudWatchLogs {
  /** Base URL of the endpoint, such as `http://127.0.0.1:54321`. */
  readonly endpoint: string;
  /** Configuration to spread into `new CloudWatchLogsClient(...)`: endpoint, region and dummy credentials. */
  clientConfig(): {
    /** {@link LocalCloudWatchLogs.endpoint}. */
    endpoint: string;
    /** Always `us-east-1`. */
    region: string;
    /** Dummy credentials: the endpoint ignores signatures. */
    credentials: {
      /** Always `local`. */
      accessKeyId: string;
      /** Always `local`. */
      secretAccessKey: string;
    };
  };
  /**
   * A copy of the events stored in a stream, in the order GetLogEvents returns them: by timestamp,
   * events of equal timestamps in the order they arrived. `[]` if there are none.
   */
  events(logGroupName: string, logStreamName: string): StoredEvent[];
  /** The entity of the last PutLogEvents to the stream whose entity was accepted, if any. */
  entity(logGroupName: string, logStreamName: string): StoredEntity | undefined;
  /** A snapshot of the counters; later requests do not change it. */
  stats(): LocalStats;
  /** Merges `faults` into the current fault settings. Throws `ConfigError` on a bad value. */
  setFaults(faults: Faults): void;
  /** Forgets every group, stream, event and counter. Fault settings are kept. */
  reset(): void;
  /** Stops the server and destroys every open connection, keep-alive ones included. Idempotent. */
  close(): Promise<void>;
}
