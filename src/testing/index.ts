export { startLocalCloudWatchLogs } from './server.js';
export type {
  Faults,
  KmsKeyState,
  LocalCloudWatchLogs,
  LocalCloudWatchLogsOptions,
  LocalStats,
  StoredEntity,
  StoredEvent,
} from './types.js';
