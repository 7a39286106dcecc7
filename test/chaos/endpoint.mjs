// The local endpoint in a process of its own, for the soak: ten minutes of stored events would
// otherwise sit in the very heap whose growth the soak measures. soak.mjs forks it and drives it
// over IPC (advanced serialization, so that `tpsLimit: Infinity` survives the trip).
import { startLocalCloudWatchLogs } from '../../dist/testing.js';
import { summarizeStored } from './scenarios.mjs';

const cwl = await startLocalCloudWatchLogs(JSON.parse(process.argv[2] ?? '{}'));

const methods = {
  setFaults: (faults) => cwl.setFaults(faults),
  stats: () => cwl.stats(),
  summarize: (logGroupName, logStreamNames, logged) =>
    summarizeStored(
      logStreamNames.map((logStreamName) => cwl.events(logGroupName, logStreamName)),
      logged,
    ),
  memory: () => process.memoryUsage(),
  close: () => cwl.close(),
};

process.on('message', async ({ id, method, args }) => {
  try {
    process.send({ id, result: await methods[method](...args) });
  } catch (error) {
    process.send({ id, error: error instanceof Error ? error.message : String(error) });
  }
  if (method === 'close') process.disconnect();
});
// The soak ended, or died: nothing is left to serve.
process.on('disconnect', () => process.exit(0));
process.send({ ready: cwl.clientConfig() });
