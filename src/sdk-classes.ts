/**
 * The SDK's classes the pipeline uses, loaded only through `sdk.ts`'s dynamic import of this module.
 * Importing this module of ours, not the SDK itself, keeps the SDK a static import of a module that
 * is loaded late: a program bundled into CommonJS with the SDK left external then loads it with
 * `require` (which finds it where the runtime keeps it, as Lambda's NODE_PATH), not with `import()`.
 */
export {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
