// An AWS Lambda handler (an ES module) whose logs are in CloudWatch Logs before each invocation
// returns, even when invocations overlap.
//
//   node examples/lambda.mjs    (invokes the handler once, with a simulated context)
//
// Credentials and region come from the AWS SDK's usual sources (in Lambda: the function's role);
// CWL_ENDPOINT, if set, points the client at another endpoint (the tests use a local one).
import { pathToFileURL } from 'node:url';
import { LogShipper } from 'cloudwatch-shipper';
import { withShipper } from 'cloudwatch-shipper/lambda';

// One shipper per sandbox, made outside the handler and shared by its invocations.
const shipper = new LogShipper({
  logGroupName: '/examples/lambda',
  logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
  createLogGroup: true,
  clientConfig: process.env.CWL_ENDPOINT ? { endpoint: process.env.CWL_ENDPOINT } : {},
});

export const handler = withShipper(
  async (event, context) => {
    shipper.log({ requestId: context.awsRequestId, msg: 'order received', orderId: event.orderId });
    if (typeof event.orderId !== 'number') throw new Error('orderId must be a number');
    return { statusCode: 200, body: JSON.stringify({ accepted: event.orderId }) };
  },
  shipper,
  // Stop waiting for the flush 500 ms before Lambda's deadline (the default, written out).
  { marginMs: 500 },
);

// Run directly, it plays the Lambda runtime once.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const deadline = Date.now() + 3000;
  const context = { awsRequestId: 'local-1', getRemainingTimeInMillis: () => deadline - Date.now() };
  console.log(await handler({ orderId: 42 }, context));
  await shipper.close();
}
