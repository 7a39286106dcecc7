// The public API of `cloudwatch-shipper`, named one by one: anything not here is internal.
export type { Batch, BatchOptions, BatchResult, DroppedEvent } from './batcher.js';
export { createBatches } from './batcher.js';
export type { Destination } from './destination.js';
export {
  CloudWatchShipperError,
  ConfigError,
  DeliveryError,
  type FailureReason,
  RequestTimeoutError,
} from './errors.js';
export type { DropReason, EventKind, LogEvent, LogInput, OversizedEventPolicy } from './event.js';
export { createEvent, DROP_REASONS, toMessage, toTimestamp } from './event.js';
export type { BatchReport, DropReport, LogShipperEvents } from './events.js';
export {
  EVENT_OVERHEAD_BYTES,
  LEGACY_MAX_EVENT_BYTES,
  LOG_GROUP_NAME_PATTERN,
  LOG_STREAM_NAME_PATTERN,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_BATCH_SPAN_MS,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_BYTES,
  MAX_EVENT_FUTURE_MS,
  RETENTION_DAYS,
} from './limits.js';
export type { LogShipperOptions, RetryOptions } from './options.js';
export type { CloseResult, FlushOptions, FlushResult } from './shipper.js';
export { LogShipper } from './shipper.js';
export type { DropCounts, ShipperStats } from './stats.js';

// ---- Destinations as operators configure them (issue 14): entity, created log groups, EMF ----

export type { EmfEvent, EmfInput, EmfMetric, EmfUnit, MetricsLogger } from './emf.js';
export { createEmfEvent, EMF_UNITS, logMetrics, toEmf } from './emf.js';
export type { EntityKeyAttributeName, EntityOption } from './entity.js';
export { ENTITY_KEY_ATTRIBUTE_NAMES } from './entity.js';
export { EmfError } from './errors.js';
export type { LogGroupClass, LogGroupOptions } from './group.js';
export { LOG_GROUP_CLASSES } from './group.js';
