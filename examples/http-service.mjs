// A plain Node.js HTTP service that sends one log event per request to CloudWatch Logs and, on
// SIGTERM or SIGINT, sends what is left before it exits.
//
//   node examples/http-service.mjs
//
// Credentials and region come from the AWS SDK's usual sources; CWL_ENDPOINT, if set, points the
// client at another endpoint (the tests use a local one). As a demonstration it sends itself a few
// requests and then stops; delete the last block to keep it serving.
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { LogShipper } from 'cloudwatch-shipper';

const shipper = new LogShipper({
  logGroupName: '/examples/http-service',
  logStreamName: hostname(),
  createLogGroup: true,
  clientConfig: process.env.CWL_ENDPOINT ? { endpoint: process.env.CWL_ENDPOINT } : {},
});
shipper.on('error', (error) => console.error(error.message));

const server = createServer((request, response) => {
  const started = performance.now();
  response.on('finish', () => {
    // An object is sent as one JSON line.
    shipper.log({
      method: request.method,
      url: request.url,
      status: response.statusCode,
      durationMs: Math.round(performance.now() - started),
    });
  });
  response.writeHead(request.url === '/missing' ? 404 : 200).end('hello\n');
});

async function shutDown() {
  server.close();
  const { complete, dropped } = await shipper.close({ timeoutMs: 5000 });
  if (!complete) console.error(`${dropped} log events could not be sent in time`);
}
process.once('SIGTERM', shutDown);
process.once('SIGINT', shutDown);

server.listen(Number(process.env.PORT ?? 0), async () => {
  const url = `http://localhost:${server.address().port}`;
  console.log(`listening on ${url}`);

  // The demonstration: three requests, then the same shutdown as on SIGTERM.
  for (const path of ['/', '/orders/42', '/missing']) await (await fetch(url + path)).text();
  await shutDown();
});
