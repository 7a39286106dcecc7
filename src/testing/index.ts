export { startLocalCloudWatchLogs } from './server.js';
export type {
  Faults,
  LocalCloudWatchLogs,
  LocalCloudWatchLogsOptions,
  LocalStats,
  StoredEvent,
} from './types.js';
