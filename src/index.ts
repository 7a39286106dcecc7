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
