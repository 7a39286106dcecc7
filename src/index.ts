export { CloudWatchShipperError, ConfigError } from './errors.js';
export * from './limits.js';
