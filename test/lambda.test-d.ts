// Type tests for cloudwatch-shipper/lambda with @types/aws-lambda. Checked by `tsc` (npm run
// typecheck), not run: a mistake here fails the type check.
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyHandler,
  APIGatewayProxyResult,
  Context,
  Handler,
  SQSEvent,
  SQSHandler,
} from 'aws-lambda';
import { expectTypeOf } from 'vitest';
import { withShipper } from '../src/lambda.js';
import type { LogShipper } from '../src/shipper.js';

declare const shipper: LogShipper;

// Typed by the annotation on the export, as Lambda code usually is: event and context inferred.
export const sqs: SQSHandler = withShipper(async (event, context) => {
  expectTypeOf(event).toEqualTypeOf<SQSEvent>();
  expectTypeOf(context).toEqualTypeOf<Context>();
}, shipper);

// A handler already typed with @types/aws-lambda, wrapped as it is.
const api: APIGatewayProxyHandler = async (event) => ({ statusCode: 200, body: event.path });
export const wrappedApi: APIGatewayProxyHandler = withShipper(api, shipper, { marginMs: 250 });
expectTypeOf(withShipper(api, shipper)).parameters.toEqualTypeOf<[APIGatewayProxyEvent, Context]>();
expectTypeOf(withShipper(api, shipper)).returns.resolves.toEqualTypeOf<APIGatewayProxyResult>();

// The generic Handler type.
export const generic: Handler<{ id: string }, number> = withShipper(
  async (event) => event.id.length,
  shipper,
);

// Parameter types written out, no annotation: the result type is kept.
const explicit = withShipper(async (event: { id: string }, _context: Context) => event.id.length, shipper);
expectTypeOf(explicit).returns.resolves.toEqualTypeOf<number>();
expectTypeOf(explicit).parameter(1).toEqualTypeOf<Context>();

// Without @types/aws-lambda: any object with the clock is a context.
const plain = withShipper(async (event: string) => event.toUpperCase(), shipper);
void plain('x', { getRemainingTimeInMillis: () => 1000 });
// @ts-expect-error a context needs getRemainingTimeInMillis
void plain('x', {});
// @ts-expect-error the wrapped handler keeps its event type
void plain(1, { getRemainingTimeInMillis: () => 1000 });
// @ts-expect-error the shipper must be able to flush
withShipper(async () => 1, {});
// @ts-expect-error the margin is a number of milliseconds
withShipper(async () => 1, shipper, { marginMs: '500' });
