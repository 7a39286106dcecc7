// One cold start, as a Lambda sandbox's first invocation sees it: import the package, make a shipper,
// log 100 events and flush. Prints what each step took and the RSS after, as JSON.
const [endpoint, mode] = process.argv.slice(2);
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const { LogShipper } = await import('../../dist/index.js');
const t1 = performance.now();
const shipper = new LogShipper({
  logGroupName: '/coldstart',
  logStreamName: mode,
  thread: mode,
  clientConfig: {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  },
});
for (let i = 0; i < 100; i++) shipper.log(`cold start line ${i}`);
const t2 = performance.now();
const flushed = await shipper.flush();
const t3 = performance.now();
const rss = process.memoryUsage().rss;
await shipper.close();
console.log(
  JSON.stringify({
    importMs: t1 - t0,
    logMs: t2 - t1,
    flushMs: t3 - t2,
    rssMiB: (rss - rssBefore) / 2 ** 20,
    complete: flushed.complete,
    sent: shipper.stats().sent,
  }),
);
