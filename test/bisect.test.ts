// Bisection of a refused request and the learned event size limit: the pure parts, then the sender
// driven through LogShipper with a mocked client.
import {
  AccessDeniedException,
  InvalidParameterException,
  PutLogEventsCommand,
  type PutLogEventsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { bisectionBudget, halves, isBisectable, refit, tooLargeLimit } from '../src/bisect.js';
import type { DeliveryError } from '../src/errors.js';
import type { LogEvent } from '../src/event.js';
import { EVENT_LIMIT_WARNING_CODE, EventLimit } from '../src/event-limit.js';
import type { LogShipper } from '../src/shipper.js';
import {
  cwl,
  expectBalanced,
  makeShipper,
  sentMessages,
  shippers,
  T0,
  throttled,
} from './support/shipper.js';
import { captureWarnings } from './support/warnings.js';

const invalid = (message: string) =>
  new InvalidParameterException({ message, $metadata: { httpStatusCode: 400 } });

const event = (message: string, kind: LogEvent['kind'] = 'event'): LogEvent => ({
  timestamp: 1,
  message,
  bytes: Buffer.byteLength(message),
  kind,
});

/** A mocked PutLogEvents that refuses, whole, any request holding a message `refuses` picks. */
function refuseRequestsWith(
  refuses: (message: string) => boolean,
  error: () => Error = () => invalid('Invalid message'),
) {
  cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
    if ((input.logEvents ?? []).some((e) => refuses(e.message as string))) throw error();
    return {};
  });
}

const putCalls = () => cwl.commandCalls(PutLogEventsCommand).length;

describe('bisect — the pure parts', () => {
  it('bisects InvalidParameterException only', () => {
    // Prepare
    const names = ['AccessDeniedException', 'ResourceNotFoundException', 'UnrecognizedClientException'];
    // Act, Assess
    expect(isBisectable(invalid('x'))).toBe(true);
    for (const name of names) expect(isBisectable(Object.assign(new Error('x'), { name }))).toBe(false);
    expect(isBisectable('InvalidParameterException')).toBe(false);
    expect(isBisectable(undefined)).toBe(false);
  });

  it('reads the limit from the service’s own words, and nothing from other messages', () => {
    // Act, Assess
    expect(tooLargeLimit(invalid('Log event too large: 292824 bytes exceeds limit of 262144'))).toBe(262_144);
    expect(tooLargeLimit(invalid('Log event 3 has an empty message.'))).toBeUndefined();
    const denied = Object.assign(new Error('Log event too large: 2 bytes exceeds limit of 1'), {
      name: 'AccessDeniedException',
    });
    expect(tooLargeLimit(denied)).toBeUndefined();
  });

  it('halves in order, the first half the longer, and sorts by size keeping the order', () => {
    // Prepare
    const events = ['a', 'bb', 'c', 'dd', 'e'].map((m) => event(m));
    // Act
    const [first, second] = halves(events) ?? [[], []];
    const { resend, refused } = refit(events, 27) ?? { resend: [], refused: [] };
    // Assess
    expect(first.map((e) => e.message)).toEqual(['a', 'bb', 'c']);
    expect(second.map((e) => e.message)).toEqual(['dd', 'e']);
    expect(resend.map((e) => e.message)).toEqual(['a', 'c', 'e']);
    expect(refused.map((e) => e.message)).toEqual(['bb', 'dd']);
    expect(refit(events, 28)).toBeUndefined();
  });

  it('never cuts between the pieces of a split message, in halves or by size', () => {
    // Prepare: a, then a message of three pieces (m1 m2 m3), then b; a batch that starts with the
    // later pieces of a message carried over from the one before (p2 p3).
    const events = [event('a'), event('m1'), event('m2', 'piece'), event('m3', 'piece'), event('b')];
    const carried = [event('p2', 'piece'), event('p3', 'piece'), event('c'), event('d')];
    const oneMessage = [event('m1'), event('m2', 'piece'), event('m3', 'piece')];
    // Act
    const split = halves(events);
    const carriedSplit = halves(carried);
    // Under a limit too low to cut to (below 1024), a split message over it is refused whole.
    const { resend, refused } = refit([event('a'), event('m1'), event('mm2', 'piece'), event('b')], 27) ?? {
      resend: [],
      refused: [],
    };
    // Assess
    expect(split?.map((half) => half.map((e) => e.message))).toEqual([['a', 'm1', 'm2', 'm3'], ['b']]);
    expect(carriedSplit?.map((half) => half.map((e) => e.message))).toEqual([
      ['p2', 'p3'],
      ['c', 'd'],
    ]);
    expect(halves(oneMessage)).toBeUndefined();
    expect(halves([event('a')])).toBeUndefined();
    expect(resend.map((e) => e.message)).toEqual(['a', 'b']);
    expect(refused.map((e) => e.message)).toEqual(['m1', 'mm2']);
  });

  it('cuts again, in place, the events of a split message over a learned limit, and refuses a message of one event over it', () => {
    // Prepare: a request that begins with a piece of a message stored before it (1,200 bytes), then a
    // message split in two whose first piece is over the limit, then a message of one event over it.
    const carried = event('€'.repeat(400), 'piece');
    const head = event('x'.repeat(1_000));
    const tail = event('y'.repeat(10), 'piece');
    const whole = event('z'.repeat(1_000));
    const [a, b] = [event('a'), event('b')];
    // Act
    const result = refit([carried, a, head, tail, whole, b], 1_024);
    // Assess: each event within 1,024 − 26 bytes, at character boundaries, in order.
    expect(result?.refused).toEqual([whole]);
    const resend = result?.resend ?? [];
    expect(resend.map((e) => [e.kind, e.bytes])).toEqual([
      ['piece', 996],
      ['piece', 204],
      ['event', 1],
      ['event', 998],
      ['piece', 2],
      ['piece', 10],
      ['event', 1],
    ]);
    expect(`${resend[0]?.message}${resend[1]?.message}`).toBe(carried.message);
    expect(`${resend[3]?.message}${resend[4]?.message}`).toBe(head.message);
    expect(resend.map((e) => e.cutFrom)).toEqual([
      carried,
      carried,
      undefined,
      head,
      head,
      undefined,
      undefined,
    ]);
    expect(resend[2]).toBe(a);
    expect(resend[5]).toBe(tail);
    expect(resend[6]).toBe(b);
  });

  it('allows two refused events’ worth of extra requests: 4·⌈log₂ n⌉', () => {
    // Act, Assess
    expect(bisectionBudget(2)).toBe(4);
    expect(bisectionBudget(1000)).toBe(40);
    expect(bisectionBudget(10_000)).toBe(56);
  });

  it('lowers the limit, never raises it, and ignores a limit below 1024', () => {
    // Prepare
    const limit = new EventLimit(1_048_576);
    // Act, Assess
    expect(limit.lower(2_000_000)).toBe(false);
    expect(limit.lower(1000)).toBe(false);
    expect(limit.lower(262_144)).toBe(true);
    expect(limit).toMatchObject({ maxEventBytes: 262_144, maxMessageBytes: 262_118 });
    expect(limit.lower(262_144)).toBe(false);
    expect(limit.lower(300_000)).toBe(false);
    expect(limit.maxEventBytes).toBe(262_144);
  });
});

describe('Sender — bisection of a refused request', () => {
  it('drops only the refused event and sends its neighbours, within 2·⌈log₂ n⌉ extra requests', async () => {
    // Prepare
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    refuseRequestsWith((message) => message === 'e617');
    // Act
    for (let i = 0; i < 1000; i++) shipper.log(`e${i}`);
    await shipper.flush();
    // Assess
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ sent: 999, dropped: expect.objectContaining({ rejected: 1 }) });
    expect(putCalls() - 1).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)));
    const stored = cwl
      .commandCalls(PutLogEventsCommand)
      .filter((call) => !(call.args[0].input.logEvents ?? []).some((e) => e.message === 'e617'))
      .flatMap((call) => (call.args[0].input.logEvents ?? []).map((e) => e.message));
    expect(stored).toEqual(Array.from({ length: 1000 }, (_, i) => `e${i}`).filter((m) => m !== 'e617'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      reason: 'rejected',
      events: 1,
      awsErrorName: 'InvalidParameterException',
    });
  });

  it('finds each of several refused events, in order, and reports them together once', async () => {
    // Prepare
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    refuseRequestsWith((message) => message === 'e3' || message === 'e90');
    // Act
    for (let i = 0; i < 100; i++) shipper.log(`e${i}`);
    await shipper.flush();
    // Assess
    expect(expectBalanced(shipper)).toMatchObject({
      sent: 98,
      dropped: expect.objectContaining({ rejected: 2 }),
    });
    expect(putCalls() - 1).toBeLessThanOrEqual(bisectionBudget(100));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ events: 2 });
  });

  it('drops what is left whole once the budget is spent, when every event is refused', async () => {
    // Prepare
    const shipper = makeShipper();
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    refuseRequestsWith(() => true);
    // Act
    for (let i = 0; i < 1000; i++) shipper.log(`e${i}`);
    await shipper.flush();
    // Assess
    expect(expectBalanced(shipper)).toMatchObject({
      sent: 0,
      dropped: expect.objectContaining({ rejected: 1000 }),
    });
    expect(putCalls()).toBe(1 + bisectionBudget(1000));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ events: 1000 });
  });

  it.each([
    [
      'AccessDeniedException',
      () => new AccessDeniedException({ message: 'denied', $metadata: { httpStatusCode: 400 } }),
    ],
    [
      'ResourceNotFoundException',
      () => new ResourceNotFoundException({ message: 'no group', $metadata: { httpStatusCode: 400 } }),
    ],
    [
      'UnrecognizedClientException',
      () =>
        Object.assign(new Error('bad token'), {
          name: 'UnrecognizedClientException',
          $metadata: { httpStatusCode: 400 },
        }),
    ],
  ])('does not bisect %s, which concerns the whole request', async (_name, error) => {
    // Prepare: no stream creation, so that ResourceNotFoundException ends the batch.
    const shipper = makeShipper({ createLogStream: false });
    shipper.on('error', () => {});
    refuseRequestsWith(() => true, error);
    // Act
    for (let i = 0; i < 100; i++) shipper.log(`e${i}`);
    await shipper.flush();
    // Assess
    expect(putCalls()).toBe(1);
    expect(expectBalanced(shipper).dropped.rejected).toBe(100);
  });

  it('retries a bisected request through throttling, as any other', async () => {
    // Prepare: the first half is throttled once after the refusal.
    const shipper = makeShipper();
    shipper.on('error', () => {});
    let calls = 0;
    cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
      calls++;
      if (calls === 2) throw throttled();
      if ((input.logEvents ?? []).some((e) => e.message === 'e9')) throw invalid('Invalid message');
      return {};
    });
    // Act
    for (let i = 0; i < 10; i++) shipper.log(`e${i}`);
    const flushed = shipper.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    await flushed;
    // Assess
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ sent: 9, retries: 1, dropped: expect.objectContaining({ rejected: 1 }) });
  });
});

describe('Sender — bisection keeps a split message whole', () => {
  it('refuses a split message whole when one of its pieces is refused, and sends the rest', async () => {
    // Prepare: 9 small events, a message split in two pieces across the middle of the batch (the
    // second piece holds what the service refuses), 9 small events.
    const shipper = makeShipper({ maxEventBytes: 2048, oversizedEvents: 'split', dropMarkers: false });
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    refuseRequestsWith((message) => message.includes('REFUSED'));
    // Act
    for (let i = 0; i < 9; i++) shipper.log(`a${i}`);
    shipper.log(`${'s'.repeat(3000)} REFUSED`);
    for (let i = 0; i < 9; i++) shipper.log(`b${i}`);
    await shipper.flush();
    // Assess: neither piece stored; every neighbour stored, in order.
    const stored = cwl
      .commandCalls(PutLogEventsCommand)
      .map((call) => (call.args[0].input.logEvents ?? []).map((e) => e.message as string))
      .filter((messages) => !messages.some((m) => m.includes('REFUSED')))
      .flat();
    expect(stored).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `a${i}`),
      ...Array.from({ length: 9 }, (_, i) => `b${i}`),
    ]);
    expect(expectBalanced(shipper)).toMatchObject({
      sent: 18,
      dropped: expect.objectContaining({ rejected: 1 }),
    });
    expect(errors).toHaveLength(1);
  });
});

describe('Sender — bisection, as a property', () => {
  it('drops every refused event and sends the rest in order, within the budget; one or two cost at most 2·⌈log₂ n⌉ each', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 300 })
          .chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat({ max: n - 1 }), { maxLength: 6 }))),
        async ([n, badIndices]) => {
          // Prepare: a fresh shipper and mock per run.
          cwl.reset();
          const bad = new Set(badIndices.map((i) => `e${i}`));
          refuseRequestsWith((message) => bad.has(message));
          const shipper = makeShipper({ dropMarkers: false });
          shipper.on('error', () => {});
          const logged = Array.from({ length: n }, (_, i) => `e${i}`);
          // Act
          for (const message of logged) shipper.log(message);
          await shipper.flush();
          // Assess
          const stats = expectBalanced(shipper);
          const stored = cwl
            .commandCalls(PutLogEventsCommand)
            .map((call) => (call.args[0].input.logEvents ?? []).map((e) => e.message as string))
            .filter((messages) => !messages.some((m) => bad.has(m)))
            .flat();
          expect(stored.some((m) => bad.has(m))).toBe(false);
          // In order, and nothing twice.
          expect(stored).toEqual(logged.filter((m) => stored.includes(m)));
          expect(stats.sent).toBe(stored.length);
          expect(stats.dropped.rejected).toBe(n - stored.length);
          const extra = putCalls() - 1;
          if (bad.size === 0) expect(extra).toBe(0);
          else expect(extra).toBeLessThanOrEqual(bisectionBudget(n));
          if (bad.size <= 2) {
            expect(stored).toHaveLength(n - bad.size);
            expect(extra).toBeLessThanOrEqual(bad.size * 2 * Math.ceil(Math.log2(Math.max(n, 2))));
          }
          await shipper.close();
          shippers.splice(shippers.indexOf(shipper), 1);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('Sender — the event size limit the service names', () => {
  it('drops the events over it without bisecting, lowers maxEventBytes and warns once', async () => {
    // Prepare
    const shipper = makeShipper();
    shipper.on('error', () => {});
    const captured = captureWarnings();
    cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
      for (const e of input.logEvents ?? []) {
        const size = Buffer.byteLength(e.message as string) + 26;
        if (size > 262_144) throw invalid(`Log event too large: ${size} bytes exceeds limit of 262144`);
      }
      return {};
    });
    const big = 'x'.repeat(300_000);
    try {
      // Act
      shipper.log('before');
      shipper.log(big);
      shipper.log('after');
      await shipper.flush();
      shipper.log(big);
      await shipper.flush();
      // Assess
      expect(putCalls()).toBe(3);
      const stats = expectBalanced(shipper);
      expect(stats).toMatchObject({
        sent: 3,
        truncated: 1,
        dropped: expect.objectContaining({ rejected: 1 }),
      });
      // The last message that is not the drop marker the stream is owed.
      const last = sentMessages()
        .filter((m) => m.startsWith('x'))
        .at(-1) as string;
      expect(Buffer.byteLength(last) + 26).toBeLessThanOrEqual(262_144);
      expect(last).toMatch(/…\[truncated \d+ bytes\]$/);
      const lowered = captured.warnings.filter((w) => w.code === EVENT_LIMIT_WARNING_CODE);
      expect(lowered).toHaveLength(1);
      expect(lowered[0]?.message).toContain('262144');
    } finally {
      captured.restore();
    }
  });

  it('splits later events to fit the learned limit with oversizedEvents: split', async () => {
    // Prepare
    const shipper = makeShipper({ oversizedEvents: 'split' });
    shipper.on('error', () => {});
    const captured = captureWarnings();
    cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
      for (const e of input.logEvents ?? []) {
        const size = Buffer.byteLength(e.message as string) + 26;
        if (size > 262_144) throw invalid(`Log event too large: ${size} bytes exceeds limit of 262144`);
      }
      return {};
    });
    try {
      // Act
      shipper.log('y'.repeat(300_000));
      await shipper.flush();
      const message = 'z'.repeat(600_000);
      shipper.log(message);
      await shipper.flush();
      // Assess
      const pieces = sentMessages().filter((m) => m.startsWith('z'));
      expect(pieces.length).toBe(3);
      expect(pieces.join('')).toBe(message);
      expect(expectBalanced(shipper)).toMatchObject({
        sent: 1,
        dropped: expect.objectContaining({ rejected: 1 }),
      });
    } finally {
      captured.restore();
    }
  });
});

/**
 * A mocked PutLogEvents that refuses, whole, a request holding an event over `limit(call)` (message
 * UTF-8 bytes + 26, `call` counting from 0), in the service's words, or a message `refuses` picks;
 * returns the events it stored, in the order it stored them.
 */
function endpointWithLimit(
  limit: (call: number) => number,
  refuses: (message: string) => boolean = () => false,
): { timestamp: number; message: string }[] {
  const stored: { timestamp: number; message: string }[] = [];
  let calls = 0;
  cwl.on(PutLogEventsCommand).callsFake(async (input: PutLogEventsCommandInput) => {
    const max = limit(calls++);
    const events = (input.logEvents ?? []).map((e) => ({
      timestamp: e.timestamp as number,
      message: e.message as string,
    }));
    for (const { message } of events) {
      const size = Buffer.byteLength(message) + 26;
      if (size > max) throw invalid(`Log event too large: ${size} bytes exceeds limit of ${max}`);
    }
    if (events.some((e) => refuses(e.message))) throw invalid('Invalid message');
    stored.push(...events);
    return {};
  });
  return stored;
}

/** Logs `messages` and flushes, with the process warnings the shipper gives meanwhile captured. */
async function logAndFlush(
  shipper: LogShipper,
  messages: readonly string[],
): Promise<ReturnType<typeof captureWarnings>> {
  const captured = captureWarnings();
  try {
    for (const message of messages) shipper.log(message);
    await shipper.flush();
  } finally {
    captured.restore();
  }
  return captured;
}

describe('Sender — a split message over a limit learned after its first piece was stored', () => {
  // Pieces of 2,022 bytes at most. A cut steps back to a character boundary, so the first piece ('a'
  // and 673 '€': 2,020 bytes) is 2 bytes shorter than the second (674 '€'), and the third holds 53 '€'.
  // An endpoint limit of 2,047 lies between the first two: it stores the first piece's request and
  // refuses the second's. One piece per request.
  const options = {
    maxEventBytes: 2_048,
    maxBatchBytes: 2_048,
    oversizedEvents: 'split',
    dropMarkers: false,
  } as const;
  const message = `a${'€'.repeat(1_400)}`;

  it('cuts the later piece again under the limit the refusal names, so that the message arrives whole', async () => {
    // Prepare
    const shipper = makeShipper(options);
    const errors: DeliveryError[] = [];
    shipper.on('error', (error) => errors.push(error));
    const stored = endpointWithLimit(() => 2_047);
    // Act
    const captured = await logAndFlush(shipper, [message, 'after']);
    // Assess: every byte of the message stored, in order, within the limit, and nothing dropped.
    const messages = stored.map((e) => e.message);
    expect(messages.slice(0, -1).join('')).toBe(message);
    expect(messages.at(-1)).toBe('after');
    for (const m of messages) expect(Buffer.byteLength(m) + 26).toBeLessThanOrEqual(2_047);
    expect(expectBalanced(shipper)).toMatchObject({
      logged: 2,
      sent: 2,
      split: 1,
      dropped: expect.objectContaining({ rejected: 0 }),
    });
    expect(errors).toEqual([]);
    expect(captured.warnings.map((w) => w.code)).toEqual([EVENT_LIMIT_WARNING_CODE]);
  });

  it('stores nothing of the message after a part of a piece cut again that the endpoint refuses', async () => {
    // Prepare: the second piece is cut again into 673 '€' and 1 '€'; the endpoint refuses the second
    // part for its content.
    const shipper = makeShipper(options);
    shipper.on('error', () => {});
    const stored = endpointWithLimit(
      () => 2_047,
      (m) => m === '€',
    );
    // Act
    await logAndFlush(shipper, [message, 'after']);
    // Assess: the third piece, carried in a request of its own, was not sent after the gap.
    expect(stored.map((e) => e.message)).toEqual([`a${'€'.repeat(673)}`, '€'.repeat(673), 'after']);
    expect(expectBalanced(shipper)).toMatchObject({ logged: 2, sent: 2 });
  });

  it('does not send the rest of a piece cut again when its first part is refused', async () => {
    // Prepare: the endpoint refuses the first part of the second piece (673 '€') for its content.
    const shipper = makeShipper(options);
    shipper.on('error', () => {});
    const stored = endpointWithLimit(
      () => 2_047,
      (m) => m === '€'.repeat(673),
    );
    // Act
    await logAndFlush(shipper, [message, 'after']);
    // Assess: neither the part after it nor the third piece was sent.
    const attempted = cwl
      .commandCalls(PutLogEventsCommand)
      .flatMap((call) => (call.args[0].input.logEvents ?? []).map((e) => e.message));
    expect(attempted).not.toContain('€');
    expect(stored.map((e) => e.message)).toEqual([`a${'€'.repeat(673)}`, 'after']);
    expect(expectBalanced(shipper)).toMatchObject({ logged: 2, sent: 2 });
  });

  it('cuts again a first piece over the limit, with its later pieces in the same request, and stores it whole', async () => {
    // Prepare: two pieces (4,070 and 1,930 bytes) in one request; the endpoint's limit is 2,047.
    const shipper = makeShipper({ maxEventBytes: 4_096, oversizedEvents: 'split', dropMarkers: false });
    const stored = endpointWithLimit(() => 2_047);
    const long = 'x'.repeat(6_000);
    // Act
    await logAndFlush(shipper, [long]);
    // Assess
    expect(stored.map((e) => e.message).join('')).toBe(long);
    expect(expectBalanced(shipper)).toMatchObject({
      logged: 1,
      sent: 1,
      dropped: expect.objectContaining({ rejected: 0 }),
    });
  });

  it('stores each split message whole or not at all, and counts it so, whatever the limit learned (property)', async () => {
    const character = fc.constantFrom('a', 'é', '€', '😀');
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1_100, max: 3_000 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(1, 2, 8),
        // Up to 2,000 characters of 1 to 4 bytes each, a short pattern repeated (cheap to shrink).
        fc.array(
          fc
            .tuple(fc.array(character, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 2_000 }))
            .map(([pattern, length]) =>
              Array.from({ length }, (_, i) => pattern[i % pattern.length]).join(''),
            ),
          { minLength: 1, maxLength: 4 },
        ),
        async (maxEventBytes, lowerBy, lowerFrom, requestsOf, messages) => {
          // Prepare: a fresh shipper and mock per run. The endpoint takes what the shipper sends
          // until its call `lowerFrom`, then applies a limit `lowerBy` lower (1,024 at least).
          cwl.reset();
          const limit = Math.max(1_024, maxEventBytes - lowerBy);
          const stored = endpointWithLimit((call) => (call < lowerFrom ? maxEventBytes : limit));
          const shipper = makeShipper({
            maxEventBytes,
            maxBatchBytes: requestsOf * maxEventBytes,
            oversizedEvents: 'split',
            dropMarkers: false,
          });
          shipper.on('error', () => {});
          const captured = captureWarnings();
          try {
            // Act: a distinct timestamp per message, so that its pieces can be told apart.
            for (const [i, m] of messages.entries())
              shipper.log({ message: m, timestamp: T0 - messages.length + i });
            await shipper.flush();
          } finally {
            captured.restore();
          }
          // Assess: each message's pieces, in the order they were stored, make it whole, or none is.
          const whole = messages.filter((m, i) => {
            const got = stored.filter((e) => e.timestamp === T0 - messages.length + i).map((e) => e.message);
            expect(['', m]).toContain(got.join(''));
            return got.length > 0;
          });
          // One not stored is dropped, and counted: refused (`rejected`), or batched after the limit
          // was learned (`oversized`).
          const stats = expectBalanced(shipper);
          expect(stats.sent).toBe(whole.length);
          expect(stats.dropped.rejected + stats.dropped.oversized).toBe(messages.length - whole.length);
          await shipper.close();
          shippers.splice(shippers.indexOf(shipper), 1);
        },
      ),
      { numRuns: 50 },
    );
  });
});
