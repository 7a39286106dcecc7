// The local endpoint in a process of its own, for sections that measure the CPU of the process
// that ships (see e2e.mjs): forked, it sends `{ endpoint }`, then answers each `{ id, op }` message
// (`reset`, `stats`, `close`) with `{ id, result }`.
import { startLocalCloudWatchLogs } from '../../dist/testing.js';

const cwl = await startLocalCloudWatchLogs();
process.on('message', async ({ id, op }) => {
  let result;
  if (op === 'reset') cwl.reset();
  else if (op === 'stats') result = cwl.stats();
  else if (op === 'close') await cwl.close();
  process.send({ id, result });
});
// The parent gone (a run that threw, say), nothing would ever close the server: end with it.
process.once('disconnect', () => process.exit(0));
process.send({ endpoint: cwl.endpoint });
