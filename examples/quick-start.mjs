import { LogShipper } from 'cloudwatch-shipper';

const shipper = new LogShipper({
  logGroupName: '/my-app/web', // created if it does not exist (createLogGroup defaults to true)
  logStreamName: 'web-1',
  clientConfig: { region: 'eu-west-1' }, // credentials from the SDK's default chain
});
shipper.on('error', (error) => console.error(error.message)); // a batch could not be delivered

shipper.log('server started');
shipper.log({ message: 'order placed', timestamp: Date.now() });
shipper.log({ orderId: 42, total: 9.5 }); // sent as JSON
shipper.log(new Error('payment declined')); // sent as its stack
shipper.log('audit entry', { logStreamName: 'audit' }); // another stream of the same group

// log() only buffers: before the program ends, send what is left.
await shipper.close();
