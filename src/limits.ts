/**
 * The numbers of the PutLogEvents API, named once.
 * Source for each: the PutLogEvents API reference (Amazon CloudWatch Logs API Reference,
 * "PutLogEvents", section "Request Syntax" and its list of batch constraints).
 */

/** Largest request: the sum of every message's UTF-8 bytes plus {@link EVENT_OVERHEAD_BYTES} per event. */
export const MAX_BATCH_BYTES = 1_048_576;

/** Bytes the API adds to each event's message size when it counts a batch. */
export const EVENT_OVERHEAD_BYTES = 26;

/** Most events in one PutLogEvents request. */
export const MAX_BATCH_EVENTS = 10_000;

/** A batch may not span 24 hours or more between its first and last event. */
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;

/** Events older than 14 days (or the group's retention, if shorter) are rejected. */
export const MAX_EVENT_AGE_MS = 14 * 24 * 60 * 60 * 1000;

/** Events more than 2 hours in the future are rejected. */
export const MAX_EVENT_FUTURE_MS = 2 * 60 * 60 * 1000;

/**
 * Largest single event, message UTF-8 bytes plus the 26-byte overhead. The current reference
 * gives 1 MB (the batch limit); older ones said 256 KB, which {@link LEGACY_MAX_EVENT_BYTES} keeps.
 */
export const MAX_EVENT_BYTES = 1_048_576;

/** The event size limit older references (and some compatible endpoints) still apply. */
export const LEGACY_MAX_EVENT_BYTES = 262_144;

/** Log group names: 1 to 512 characters of `[A-Za-z0-9_\-/.#]` (CreateLogGroup reference). */
export const LOG_GROUP_NAME_PATTERN = /^[A-Za-z0-9_\-/.#]{1,512}$/;

/** Log stream names: 1 to 512 characters, none of them `:` or `*` (CreateLogStream reference). */
export const LOG_STREAM_NAME_PATTERN = /^[^:*]{1,512}$/;

/** Retention periods PutRetentionPolicy accepts, in days. */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export const DAY_MS = 24 * 60 * 60 * 1000;
