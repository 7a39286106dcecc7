// winston with a CloudWatch Logs transport beside the console one.
//
//   node examples/winston.mjs
//
// Credentials and region come from the AWS SDK's usual sources; CWL_ENDPOINT, if set, points the
// client at another endpoint (the tests use a local one).
import { once } from 'node:events';
import { hostname } from 'node:os';
import { CloudWatchTransport } from 'cloudwatch-shipper/winston';
import winston from 'winston';

const cloudWatch = new CloudWatchTransport({
  logGroupName: '/examples/winston',
  logStreamName: hostname(),
  createLogGroup: true,
  clientConfig: process.env.CWL_ENDPOINT ? { endpoint: process.env.CWL_ENDPOINT } : {},
  level: 'info',
});
// Delivery errors come here (and to the logger's 'error'), never as a crash.
cloudWatch.on('error', (error) => console.error(`CloudWatch Logs: ${error.message}`));

const logger = winston.createLogger({
  level: 'debug',
  // What the format writes is what is sent; the timestamp becomes the event's time.
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  defaultMeta: { service: 'orders' },
  transports: [new winston.transports.Console(), cloudWatch],
});

logger.info('order placed', { orderId: 42, total: 19.99 });
logger.warn('payment provider slow', { orderId: 42, ms: 2300 });
logger.debug('on the console only: below the transport level');

// logger.end() ends every transport and waits for them: for this one, until CloudWatch Logs has
// every line. (A program that just ends sends them too, on 'beforeExit'.)
logger.end();
await once(logger, 'finish');
