export type { Batch, BatchOptions, BatchResult, DroppedEvent } from './batcher.js';
export { createBatches } from './batcher.js';
export { CloudWatchShipperError, ConfigError } from './errors.js';
export type { DropReason, LogEvent, LogInput, OversizedEventPolicy } from './event.js';
export { createEvent, toMessage, toTimestamp } from './event.js';
export * from './limits.js';
export type { Destination, LogShipperOptions, RetryOptions } from './options.js';
export type {
  BatchReport,
  CloseResult,
  DropReport,
  FlushOptions,
  FlushResult,
  LogShipperEvents,
} from './shipper.js';
export { DeliveryError, LogShipper } from './shipper.js';
export type { DropCounts, ShipperStats } from './stats.js';

// ---- Destinations as operators configure them (issue 14): entity, created log groups, EMF ----

export type { EmfEvent, EmfInput, EmfMetric, EmfUnit, MetricsLogger } from './emf.js';
export { createEmfEvent, EMF_UNITS, logMetrics, toEmf } from './emf.js';
export type { EntityKeyAttributeName, EntityOption } from './entity.js';
export { ENTITY_KEY_ATTRIBUTE_NAMES } from './entity.js';
export { EmfError } from './errors.js';
export type { LogGroupClass, LogGroupOptions } from './group.js';
export { LOG_GROUP_CLASSES } from './group.js';
