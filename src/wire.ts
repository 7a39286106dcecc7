/**
 * The PutLogEvents request body, written by the shipper instead of the SDK's schema-walking
 * serializer.
 *
 * The SDK (3.1169, schema-based serde) spends about 14 ms of CPU turning a full 1 MB batch into its
 * body: it walks the model for every member of every event, then stringifies. The shipper writes the
 * same bytes as `JSON.stringify` of the members the model has, straight into a buffer (a message
 * with nothing to escape is copied as it is), as a `Buffer` encoded to UTF-8 once: the signer hashes
 * it, the HTTP handler writes it, neither encodes it again. The request is otherwise the SDK's own:
 * endpoint, headers, signing, the deserializer, errors.
 *
 * Middlewares on the command (never on the client, which may be the program's): one right before the
 * serializer writes the body and hands the serializer the input without its events, one puts the body
 * in place once the serializer has made the request, and one keeps the SDK's logger middleware from
 * walking every event. The test `test/wire.test.ts` holds the body to what the SDK's serializer writes,
 * and to `JSON.stringify`'s bytes.
 */
import type { Entity, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type NodeBuffer, nodeBuffer } from './arena.js';
import type { SdkModule } from './sdk.js';

/** What a PutLogEvents request carries; `logEvents` may be events with more fields than these. */
export interface PutInput {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly logEvents: readonly { readonly timestamp: number; readonly message: string }[];
  readonly entity?: Entity;
}

/**
 * A string `JSON.stringify` writes as it is, between quotes: no quote, backslash, control character
 * or surrogate (a surrogate pair is written as it is too, but goes the slow way with lone ones).
 * Anchored and negated, which V8 runs about twice as fast as a search for the first such character.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it looks for.
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
const EVENT_OPEN = ascii('{"timestamp":');
const MESSAGE_OPEN = ascii(',"message":');
/** The longest number `JSON.stringify` writes: 25 characters (`-0.0000012345678901234567`). */
const NUMBER_BYTES = 25;
/** The most bytes an event adds besides its message: the two openings, a number, the quotes, `}` and `,`. */
const EVENT_FRAME_BYTES = EVENT_OPEN.length + MESSAGE_OPEN.length + NUMBER_BYTES + 4;

function ascii(text: string): number[] {
  return Array.from(text, (c) => c.charCodeAt(0));
}

/**
 * Where bodies are written before they are copied out at their size: grown as needed (to three bytes
 * a UTF-16 unit of the largest batch, about 3 MiB for a full one, of which the system gives pages only
 * as far as bodies reach) and kept.
 */
let scratch = nodeBuffer(new ArrayBuffer(64 * 1024));

/**
 * The body of a PutLogEvents request: the model's members only, in UTF-8, byte for byte what
 * `JSON.stringify` of them writes. Written straight into bytes: a message with nothing to escape
 * (the common case) is copied as it is, any other goes through `JSON.stringify`; no object or
 * string is made per event, and the body is one copy of its bytes.
 */
export function putLogEventsBody(input: PutInput): Buffer {
  const events = input.logEvents;
  // What a client's middleware may have left that is not the model's shape: JSON.stringify's way.
  const unlike = (): Buffer => Buffer.from(JSON.stringify(modelMembers(input)));
  if (typeof input.logGroupName !== 'string' || typeof input.logStreamName !== 'string') return unlike();
  // The head: the destination, then the events' opening; an entity goes after the events, the
  // model's order.
  const head = `${JSON.stringify({ logGroupName: input.logGroupName, logStreamName: input.logStreamName }).slice(0, -1)},"logEvents":[`;
  const tail = input.entity === undefined ? ']}' : `],"entity":${JSON.stringify(modelEntity(input.entity))}}`;
  // At most 3 bytes of UTF-8 per UTF-16 unit, unescaped; an escaped message is measured when written.
  let bound = 3 * (head.length + tail.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as PutInput['logEvents'][number];
    if (typeof event.message !== 'string' || typeof event.timestamp !== 'number') return unlike();
    bound += EVENT_FRAME_BYTES + 3 * event.message.length;
  }
  let out = reserve(bound);
  let at = out.utf8Write(head, 0, out.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as PutInput['logEvents'][number];
    if (i > 0) out[at++] = 0x2c; // ,
    at = put(out, at, EVENT_OPEN);
    at = putNumber(out, at, event.timestamp);
    at = put(out, at, MESSAGE_OPEN);
    const message = event.message;
    if (PLAIN.test(message)) {
      out[at++] = 0x22; // "
      at += out.utf8Write(message, at, out.length - at);
      out[at++] = 0x22;
    } else {
      // Quoted and escaped, which may take more than the 3 bytes a unit was given.
      const quoted = JSON.stringify(message);
      const need = Buffer.byteLength(quoted);
      if (need > 3 * message.length + 2) {
        bound += need - (3 * message.length + 2);
        if (out.length < bound) out = grow(out, at, bound);
      }
      at += out.utf8Write(quoted, at, out.length - at);
    }
    out[at++] = 0x7d; // }
  }
  at += out.utf8Write(tail, at, out.length - at);
  return Buffer.from(out.subarray(0, at));
}

/**
 * Each batch's body, by the array of its events, as long as the array lives. A batch is retried with
 * the same array (one that lost events out of the window is a new one): its later attempts send the
 * bytes written for the first instead of writing and copying them again. While the endpoint is down,
 * rewritten bodies were most of the shipper's memory besides the buffers: a full batch's every
 * attempt left a megabyte outside the heap until the next garbage collection.
 */
const bodies = new WeakMap<PutInput['logEvents'], ReusedBody>();

interface ReusedBody {
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly entity: Entity | undefined;
  readonly body: Buffer;
}

/**
 * `putLogEventsBody(input)`, or the body already written for the same events to the same place. A
 * client middleware that rewrites the events makes a new array each time (and so a new body); one
 * that changed them in place, the same way each time, left the bytes the first body has.
 */
export function reusableBody(input: PutInput): Buffer {
  const events = input.logEvents;
  const known = bodies.get(events);
  if (
    known !== undefined &&
    known.logGroupName === input.logGroupName &&
    known.logStreamName === input.logStreamName &&
    known.entity === input.entity
  ) {
    return known.body;
  }
  const body = putLogEventsBody(input);
  if (typeof events === 'object' && events !== null) {
    bodies.set(events, {
      logGroupName: input.logGroupName,
      logStreamName: input.logStreamName,
      entity: input.entity,
      body,
    });
  }
  return body;
}

/** The members of the model, as `JSON.stringify` is to see them (the order is the model's). */
function modelMembers(input: PutInput): object {
  return {
    logGroupName: input.logGroupName,
    logStreamName: input.logStreamName,
    logEvents: input.logEvents.map((event) => ({ timestamp: event.timestamp, message: event.message })),
    ...(input.entity === undefined ? {} : { entity: modelEntity(input.entity) }),
  };
}

/** An entity as its two members in the model, whatever object holds them. */
function modelEntity(entity: Entity): object {
  return { keyAttributes: entity.keyAttributes, attributes: entity.attributes };
}

/** The scratch buffer, at least `bytes` long. */
function reserve(bytes: number): NodeBuffer {
  return grow(scratch, 0, bytes);
}

/** The scratch buffer grown to `bytes`, keeping what is written before `at`. */
function grow(out: NodeBuffer, at: number, bytes: number): NodeBuffer {
  if (out.length >= bytes) return out;
  const bigger = nodeBuffer(new ArrayBuffer(Math.max(bytes, 2 * out.length)));
  out.copy(bigger, 0, 0, at);
  scratch = bigger;
  return bigger;
}

function put(out: Buffer, at: number, bytes: readonly number[]): number {
  for (let i = 0; i < bytes.length; i++) out[at + i] = bytes[i] as number;
  return at + bytes.length;
}

/** The digits of a timestamp's part above its last eight, as ASCII, for the last one written. */
let highPart = -1;
let highDigits: number[] = [];

/**
 * `JSON.stringify(value)` of a number, written as ASCII. A timestamp's part above its last eight
 * digits changes once in 27 hours, so its digits are kept; the eight below are written by hand.
 */
function putNumber(out: NodeBuffer, at: number, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 1e8)) {
    const text = JSON.stringify(value);
    return at + out.latin1Write(text, at, text.length);
  }
  const high = Math.floor(value / 1e8);
  // Below 2^31: integer arithmetic from here on, which V8 makes far cheaper than a double's.
  let low = (value - high * 1e8) | 0;
  if (high !== highPart) {
    highPart = high;
    highDigits = ascii(String(high));
  }
  at = put(out, at, highDigits);
  for (let i = at + 7; i >= at; i--) {
    out[i] = 0x30 + (low % 10);
    low = (low / 10) | 0;
  }
  return at + 8;
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
    body = reusableBody(args.input);
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
