// An AWS Lambda handler in strict TypeScript whose log lines are in CloudWatch Logs before each
// invocation returns, even when invocations overlap. Bundle it as Lambda tools do (see
// "Bundling" in README). Types: @types/node (process.env, and the Node types this package's
// declarations use) and, for `Context`, @types/aws-lambda.
import type { Context } from 'aws-lambda';
import { LogShipper } from 'cloudwatch-shipper';
import { withShipper } from 'cloudwatch-shipper/lambda';

// One shipper per sandbox, made outside the handler and shared by its invocations.
const shipper = new LogShipper({
  logGroupName: '/my-app/orders',
  // Lambda sets it, but process.env's values are `string | undefined`: strict TypeScript wants a
  // fallback (also what a run outside Lambda uses).
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
  // On the function's own thread: a worker thread would add its start to every cold start, and
  // withShipper flushes before each invocation returns anyway (see "Threads" in README).
  thread: 'main',
});

interface OrderEvent {
  orderId: number;
}

export const handler = withShipper(async (event: OrderEvent, context: Context) => {
  shipper.log({ requestId: context.awsRequestId, msg: 'order received', orderId: event.orderId });
  return { statusCode: 200, body: JSON.stringify({ accepted: event.orderId }) };
}, shipper);
