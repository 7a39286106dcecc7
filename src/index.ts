export type { Batch, BatchOptions, BatchResult, DroppedEvent } from './batcher.js';
export { createBatches } from './batcher.js';
export { CloudWatchShipperError, ConfigError } from './errors.js';
export type { DropReason, LogEvent, LogInput, OversizedEventPolicy } from './event.js';
export { createEvent, toMessage, toTimestamp } from './event.js';
export * from './limits.js';
