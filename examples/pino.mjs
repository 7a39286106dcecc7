// pino with CloudWatch Logs as a transport, in pino's worker thread, beside standard output.
//
//   node examples/pino.mjs
//
// Credentials and region come from the AWS SDK's usual sources; CWL_ENDPOINT, if set, points the
// client at another endpoint (the tests use a local one). Options cross to the worker as data:
// no functions or clients.
import { hostname } from 'node:os';
import { flushOnSignals } from 'cloudwatch-shipper/pino';
import pino from 'pino';

const transport = pino.transport({
  targets: [
    {
      target: 'cloudwatch-shipper/pino',
      level: 'info',
      options: {
        logGroupName: '/examples/pino',
        logStreamName: hostname(),
        createLogGroup: true,
        clientConfig: process.env.CWL_ENDPOINT ? { endpoint: process.env.CWL_ENDPOINT } : {},
      },
    },
    { target: 'pino/file', level: 'debug', options: { destination: 1 } },
  ],
});
const logger = pino({ level: 'debug' }, transport);
// A signal would end the process before pino ends the transport (a worker cannot listen to
// signals): on SIGTERM or SIGINT, flush the logger first, then let the signal end the process.
flushOnSignals(logger);

logger.info({ orderId: 42, total: 19.99 }, 'order placed');
logger.child({ orderId: 42 }).warn({ ms: 2300 }, 'payment provider slow');
logger.debug('on standard output only: below the target level');

// Nothing else to do: when the program ends (even by process.exit()), pino ends the transport,
// which sends what is left before the worker stops.
