/**
 * The PutLogEvents request body, written with the platform's `JSON.stringify` instead of the SDK's
 * schema-walking serializer.
 *
 * The SDK (3.1169, schema-based serde) spends about 14 ms of CPU turning a full 1 MB batch into its
 * body: it walks the model for every member of every event, then stringifies. The same body from
 * `JSON.stringify` of the members the model has takes about 4 ms, and as a `Buffer` it is encoded to
 * UTF-8 once (the signer hashes it, the HTTP handler writes it, neither encodes it again). The
 * request is otherwise the SDK's own: endpoint, headers, signing, the deserializer, errors.
 *
 * Middlewares on the command (never on the client, which may be the program's): one right before the
 * serializer writes the body and hands the serializer the input without its events, one puts the body
 * in place once the serializer has made the request, and one keeps the SDK's logger middleware from
 * walking every event. The test `test/wire.test.ts` holds the body to what the SDK's serializer writes.
 */
import type { Entity, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { SdkModule } from './sdk.js';

/** What a PutLogEvents request carries; `logEvents` may be events with more fields than these. */
export interface PutInput {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly logEvents: readonly { readonly timestamp: number; readonly message: string }[];
  readonly entity?: Entity;
}

/** The body of a PutLogEvents request: the model's members only, in UTF-8. */
export function putLogEventsBody(input: PutInput): Buffer {
  const events = input.logEvents;
  const logEvents = new Array<{ timestamp: number; message: string }>(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as PutInput['logEvents'][number];
    logEvents[i] = { timestamp: event.timestamp, message: event.message };
  }
  return Buffer.from(
    JSON.stringify({
      logGroupName: input.logGroupName,
      logStreamName: input.logStreamName,
      logEvents,
      // An entity as its two members in the model, whatever object holds them.
      ...(input.entity === undefined
        ? {}
        : { entity: { keyAttributes: input.entity.keyAttributes, attributes: input.entity.attributes } }),
    }),
  );
}

interface HttpRequestLike {
  body?: unknown;
  headers: Record<string, string>;
}

function isHttpRequest(request: unknown): request is HttpRequestLike {
  return (
    typeof request === 'object' &&
    request !== null &&
    typeof (request as { headers?: unknown }).headers === 'object'
  );
}

/** What the SDK's logger middleware is told of a PutLogEvents request: no event, only how many. */
function summary(input: unknown): unknown {
  const { logGroupName, logStreamName, logEvents } = input as Partial<PutInput>;
  return { logGroupName, logStreamName, logEvents: `[${logEvents?.length ?? 0} events]` };
}

/**
 * A `PutLogEventsCommand` (of `sdk`) for `input` whose body is written by `putLogEventsBody`. `command.input`
 * is `input` itself, events and all (a mocked client sees what was sent).
 */
export function putLogEventsCommand(
  sdk: Pick<SdkModule, 'PutLogEventsCommand'>,
  input: PutInput,
): PutLogEventsCommand {
  const command = new sdk.PutLogEventsCommand(
    input as ConstructorParameters<SdkModule['PutLogEventsCommand']>[0],
  );
  let body: Buffer | undefined;
  // The SDK's logger middleware (initialize step) runs the request's input through the model's
  // sensitive-data filter after every request, even when nothing is logged: about 3 ms of CPU per full
  // batch walking every event. Told of the request's destination and its number of events instead, a
  // configured logger is never handed a message body either.
  command.middlewareStack.add(
    (next, context) => {
      context.inputFilterSensitiveLog = summary;
      return next;
    },
    { step: 'initialize', priority: 'high', name: 'cwsPutLogEventsLogSummary' },
  );
  // Right before the SDK's serializer, after every middleware of a client the program passed (one
  // may rewrite the events: a redaction, say): the body is written from the input as it is now, and
  // the serializer is handed the input without its events, which costs it nothing.
  type Args = { input: PutInput };
  const writeBody = (next: (args: Args) => Promise<unknown>) => (args: Args) => {
    body = putLogEventsBody(args.input);
    return next({ ...args, input: { ...args.input, logEvents: [] } });
  };
  command.middlewareStack.addRelativeTo(
    // A serialize-step middleware: addRelativeTo takes the union of every step's.
    writeBody as unknown as Parameters<PutLogEventsCommand['middlewareStack']['addRelativeTo']>[0],
    { relation: 'before', toMiddleware: 'serializerMiddleware', name: 'cwsPutLogEventsBody' },
  );
  // Build step, before everything else there (the content length is set there from the body).
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request;
      if (body !== undefined) {
        // The serializer was given no events: a request not in the expected shape must not go out
        // empty (it would be acknowledged, and its events counted as sent).
        if (!isHttpRequest(request)) throw new TypeError('the PutLogEvents request has no HTTP shape');
        request.body = body;
        for (const name of Object.keys(request.headers)) {
          if (name.toLowerCase() === 'content-length') delete request.headers[name];
        }
        request.headers['content-length'] = String(body.byteLength);
      }
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'cwsPutLogEventsBodyInPlace' },
  );
  return command;
}
