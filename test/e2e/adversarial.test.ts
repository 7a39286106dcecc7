import { PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import type { OversizedEventPolicy } from '../../src/event.js';
import {
  DAY_MS,
  EVENT_OVERHEAD_BYTES,
  LEGACY_MAX_EVENT_BYTES,
  MAX_EVENT_AGE_MS,
  MAX_EVENT_BYTES,
  MAX_EVENT_FUTURE_MS,
} from '../../src/limits.js';
import {
  byTimeThenSeq,
  cleanUp,
  clientFor,
  createGroup,
  expectBytesAgree,
  expectSettled,
  FAST_RETRY,
  GROUP,
  seededRandom,
  seqOf,
  shipperFor,
  shuffle,
  startEndpoint,
  watchWarnings,
  withoutIngestionTime,
  yieldToLoop,
} from './helpers.js';

afterEach(cleanUp);

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const TRUNCATION_MARKER = /…\[truncated (\d+) bytes\]$/;

/** Text that is not ASCII, or that JSON has to escape. */
const SAMPLES = [
  'plain ascii text',
  'café crème brûlée, naïve façade',
  'Preis: 12,50 € — zzgl. MwSt.',
  '日本語のログメッセージ、処理完了',
  'emoji 😀🎉 and a family 👩‍👩‍👧 with joiners',
  'quotes " and \\ backslashes\nnewline\ttab\r',
  'combining e\u0301 and Z\u0351\u0363 marks',
  'right to left: עברית العربية',
  'controls \u0000 \u0001 \u007f and a BOM \ufeff',
];

const bytesOf = (text: string) => Buffer.byteLength(text, 'utf8');

/** `#seq ` followed by `fill` repeated and padded with ASCII to exactly `bytes` UTF-8 bytes. */
function messageOfBytes(seq: number, bytes: number, fill: string): string {
  const prefix = `#${seq} `;
  const room = bytes - bytesOf(prefix);
  const repeats = Math.floor(room / bytesOf(fill));
  const message = prefix + fill.repeat(repeats) + 'x'.repeat(room - repeats * bytesOf(fill));
  expect(bytesOf(message)).toBe(bytes);
  return message;
}

/** Checks that `stored` is `original` cut on a character boundary, with a marker naming the bytes cut. */
function expectTruncationOf(stored: string, original: string, maxEventBytes: number): void {
  const marker = TRUNCATION_MARKER.exec(stored);
  expect(marker, 'truncation marker').not.toBeNull();
  const kept = stored.slice(0, stored.length - (marker as RegExpExecArray)[0].length);
  expect(original.startsWith(kept)).toBe(true);
  expect(Number((marker as RegExpExecArray)[1])).toBe(bytesOf(original) - bytesOf(kept));
  expect(bytesOf(stored) + EVENT_OVERHEAD_BYTES).toBeLessThanOrEqual(maxEventBytes);
  // As close to the limit as the marker allows: less than one character plus the marker short.
  expect(bytesOf(stored) + EVENT_OVERHEAD_BYTES).toBeGreaterThan(
    maxEventBytes - 4 - bytesOf(marker?.[0] ?? ''),
  );
}

describe('end to end — adversarial input', () => {
  it('accepts or drops every event of a shuffled, multi-byte, three-week mix with the right reason', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl, { client: clientFor(cwl), retry: FAST_RETRY });
    const warnings = watchWarnings();
    const random = seededRandom(20_251_121);
    const now0 = Date.now();
    // Both clocks move while the test runs: keep events out of the few minutes around each edge of
    // the accepted window, so that which side they fall on cannot depend on how long the run takes.
    const oldEdge = now0 - MAX_EVENT_AGE_MS;
    const newEdge = now0 + MAX_EVENT_FUTURE_MS;
    const nearAnEdge = (t: number) =>
      (t >= oldEdge - MINUTE_MS && t <= oldEdge + 10 * MINUTE_MS) ||
      (t >= newEdge - MINUTE_MS && t <= newEdge + 10 * MINUTE_MS);
    const randomTimestamp = (): number => {
      for (;;) {
        const t = now0 - 21 * DAY_MS + Math.floor(random() * (21 * DAY_MS + 3 * HOUR_MS));
        if (!nearAnEdge(t)) return t;
      }
    };
    type Spec = { timestamp: unknown; body: string | null; stream: string; size?: number; fill?: string };
    const streams = ['api', 'jobs', 'edge'];
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
    const specs: Spec[] = [];
    for (let i = 0; i < 20_000; i++) {
      const sample = pick(SAMPLES);
      specs.push({
        timestamp: randomTimestamp(),
        body: sample.repeat(1 + Math.floor(random() * 40)),
        stream: pick(streams),
      });
    }
    // At the size limit, one byte past it (cut inside a run of 3-byte characters), and far past it
    // in 4-byte characters; inside the window, so that they must arrive.
    const recent = () => now0 - Math.floor(random() * HOUR_MS);
    const maxMessageBytes = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;
    specs.push({ timestamp: recent(), body: null, stream: 'api', size: maxMessageBytes, fill: '€' });
    specs.push({ timestamp: recent(), body: null, stream: 'api', size: maxMessageBytes + 1, fill: '€' });
    specs.push({
      timestamp: recent(),
      body: null,
      stream: 'jobs',
      size: 3 * maxMessageBytes + 7,
      fill: '😀',
    });
    // Nothing to send, and times that are not times.
    const empties: Spec[] = [
      { timestamp: recent(), body: '', stream: 'api' },
      { timestamp: recent(), body: '', stream: 'edge' },
    ];
    const badTimes: Spec[] = [
      { timestamp: -5, body: 'negative time', stream: 'api' },
      { timestamp: Number.NaN, body: 'NaN time', stream: 'jobs' },
      { timestamp: 'not a date', body: 'unparseable time', stream: 'edge' },
      { timestamp: Number.POSITIVE_INFINITY, body: 'infinite time', stream: 'api' },
    ];
    const inputs = shuffle([...specs, ...empties, ...badTimes], random);
    // Sequence numbers follow the logging order, which is also the order among equal timestamps.
    const expected = new Map<number, { timestamp: number; message: string; stream: string }>();
    let tooOld = 0;
    let tooNew = 0;
    let oversized = 0;
    const logged = inputs.map((spec, seq) => {
      if (spec.body === '') return { ...spec, message: '' };
      const message =
        spec.body === null
          ? messageOfBytes(seq, spec.size as number, spec.fill as string)
          : `#${seq} ${spec.body}`;
      if (typeof spec.timestamp === 'number' && Number.isFinite(spec.timestamp) && spec.timestamp >= 0) {
        if (spec.timestamp < oldEdge) tooOld++;
        else if (spec.timestamp > newEdge) tooNew++;
        else {
          expected.set(seq, { timestamp: spec.timestamp, message, stream: spec.stream });
          if (bytesOf(message) > maxMessageBytes) oversized++;
        }
      }
      return { ...spec, message };
    });

    // Act
    for (const [seq, { message, timestamp, stream }] of logged.entries()) {
      shipper.log({ message, timestamp }, { logStreamName: stream });
      if (seq % 500 === 0) await yieldToLoop();
    }
    await shipper.close();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(tooOld).toBeGreaterThan(1_000);
    expect(tooNew).toBeGreaterThan(10);
    expect(oversized).toBe(2);
    expect(stats.dropped).toEqual({
      empty: empties.length,
      invalidTimestamp: badTimes.length,
      invalidDestination: 0,
      oversized: 0,
      tooOld,
      tooNew,
      expired: 0,
      overflow: 0,
      rejected: 0,
      failed: 0,
      closed: 0,
      internal: 0,
    });
    expect(stats).toMatchObject({ logged: inputs.length, sent: expected.size, truncated: oversized });
    // The shipper filtered the window itself: the endpoint had nothing to reject.
    expect(local.eventsAccepted).toBe(stats.sent);
    expect(local.rejected).toEqual({ tooOld: 0, tooNew: 0, expired: 0 });
    expectBytesAgree(stats, local);

    const seen = new Set<number>();
    for (const stream of streams) {
      const stored = withoutIngestionTime(cwl.events(GROUP, stream));
      for (const event of stored) {
        const seq = seqOf(event.message);
        const original = expected.get(seq);
        expect(original, `event #${seq} was not expected`).toBeDefined();
        expect(seen.has(seq), `event #${seq} stored twice`).toBe(false);
        seen.add(seq);
        expect(original?.stream).toBe(stream);
        expect(event.timestamp).toBe(original?.timestamp);
        if (bytesOf(original?.message ?? '') > maxMessageBytes) {
          expectTruncationOf(event.message, original?.message ?? '', MAX_EVENT_BYTES);
        } else {
          expect(event.message).toBe(original?.message);
        }
      }
      // Chronological per stream, ties in logging order.
      const mine = [...expected.values()].filter((e) => e.stream === stream);
      expect(stored.sort(byTimeThenSeq).map((e) => seqOf(e.message))).toEqual(
        mine.sort(byTimeThenSeq).map((e) => seqOf(e.message)),
      );
    }
    expect(seen.size).toBe(expected.size);
    expect(await warnings.stop()).toEqual([]);
  });

  describe.each([
    ['the current 1 MB', MAX_EVENT_BYTES],
    ['the legacy 256 KB', LEGACY_MAX_EVENT_BYTES],
  ])('a message at and past %s event limit', (_name, maxEventBytes) => {
    const maxMessageBytes = maxEventBytes - EVENT_OVERHEAD_BYTES;
    const atLimit = messageOfBytes(0, maxMessageBytes, '€');
    // The cut of the first falls inside a 3-byte character; the second spans several events' worth.
    const pastByOne = messageOfBytes(1, maxMessageBytes + 1, '€');
    const farPast = messageOfBytes(2, 2 * maxMessageBytes + 1_000, '😀');

    async function ship(oversizedEvents: OversizedEventPolicy) {
      const cwl = await startEndpoint({ maxEventBytes });
      await createGroup(cwl);
      const shipper = shipperFor(cwl, { maxEventBytes, oversizedEvents });
      const t = Date.now();
      for (const [i, message] of [atLimit, pastByOne, farPast].entries()) {
        shipper.log({ message, timestamp: t + i });
      }
      await shipper.close();
      const { stats, local } = expectSettled(shipper, cwl);
      expect(local.violations.eventTooLarge).toBe(0);
      expectBytesAgree(stats, local);
      // Requests go out in parallel: order by time (stable, so the pieces of a message keep theirs).
      const stored = cwl.events(GROUP, 'default').sort((a, b) => a.timestamp - b.timestamp);
      return { stats, local, stored };
    }

    it('truncates what is past it on a character boundary, marking the cut', async () => {
      // Act
      const { stats, local, stored } = await ship('truncate');
      // Assess
      expect(stats).toMatchObject({ logged: 3, sent: 3, truncated: 2, split: 0 });
      expect(local.eventsAccepted).toBe(3);
      expect(stored[0]?.message).toBe(atLimit);
      expectTruncationOf(stored[1]?.message ?? '', pastByOne, maxEventBytes);
      expectTruncationOf(stored[2]?.message ?? '', farPast, maxEventBytes);
    });

    it('splits what is past it into consecutive events that join back into the message', async () => {
      // Act
      const { stats, local, stored } = await ship('split');
      // Assess
      expect(stats).toMatchObject({ logged: 3, sent: 3, truncated: 0, split: 2 });
      // A split message counts once in the shipper; the endpoint stores each piece.
      expect(local.eventsAccepted).toBe(stored.length);
      expect(stored.length).toBeGreaterThanOrEqual(1 + 2 + 3);
      const joined = new Map<number, string>();
      for (const event of stored)
        joined.set(event.timestamp, (joined.get(event.timestamp) ?? '') + event.message);
      expect([...joined.values()]).toEqual([atLimit, pastByOne, farPast]);
      expect(stored.some((e) => e.message.includes('\ufffd'))).toBe(false);
    });

    it('drops what is past it, counted as oversized', async () => {
      // Act
      const { stats, local, stored } = await ship('drop');
      // Assess
      expect(stats).toMatchObject({ logged: 3, sent: 1, dropped: expect.objectContaining({ oversized: 2 }) });
      expect(local.eventsAccepted).toBe(1);
      expect(stored.map((e) => e.message)).toEqual([atLimit]);
    });
  });

  it('agrees with the endpoint on the exact edges of the window, on a shared clock', async () => {
    // Prepare
    const T = Date.UTC(2026, 0, 15, 12);
    const cwl = await startEndpoint({ now: () => T });
    const weekAgo = T - 7 * DAY_MS;
    // Creates its group with a 7-day retention, and drops what is older itself.
    const week = shipperFor(cwl, { now: () => T, createLogGroup: true, retentionInDays: 7 });
    // A group without retention: the 14-day edge.
    const fortnight = shipperFor(cwl, { now: () => T, createLogGroup: true, logGroupName: '/e2e/fortnight' });
    // Not told about the retention: the endpoint reports what is older as expired.
    const unaware = shipperFor(cwl, { now: () => T, logStreamName: 'unaware' });

    // Act
    week.log({ message: 'past the retention by 1 ms', timestamp: weekAgo - 1 });
    week.log({ message: 'exactly at the retention', timestamp: weekAgo });
    week.log({ message: 'now', timestamp: T });
    week.log({ message: 'exactly 2 h ahead', timestamp: T + MAX_EVENT_FUTURE_MS });
    week.log({ message: '2 h and 1 ms ahead', timestamp: T + MAX_EVENT_FUTURE_MS + 1 });
    fortnight.log({ message: 'past 14 days by 1 ms', timestamp: T - MAX_EVENT_AGE_MS - 1 });
    fortnight.log({ message: 'exactly 14 days old', timestamp: T - MAX_EVENT_AGE_MS });
    await Promise.all([week.flush(), fortnight.flush()]);
    unaware.log({ message: 'past the retention by 1 ms, unknowingly', timestamp: weekAgo - 1 });
    unaware.log({ message: 'exactly at the retention, unknowingly', timestamp: weekAgo });
    await unaware.flush();

    // Assess
    expect(expectSettled(week, cwl).stats).toMatchObject({
      sent: 3,
      dropped: expect.objectContaining({ tooOld: 1, tooNew: 1 }),
    });
    expect(expectSettled(fortnight, cwl).stats).toMatchObject({
      sent: 1,
      dropped: expect.objectContaining({ tooOld: 1 }),
    });
    expect(expectSettled(unaware, cwl).stats).toMatchObject({
      sent: 1,
      dropped: expect.objectContaining({ expired: 1, tooOld: 0 }),
    });
    expect(cwl.stats().rejected).toEqual({ tooOld: 0, tooNew: 0, expired: 1 });
    expect(cwl.events(GROUP, 'default').map((e) => e.message)).toEqual([
      'exactly at the retention',
      'now',
      'exactly 2 h ahead',
    ]);
    expect(cwl.events('/e2e/fortnight', 'default').map((e) => e.message)).toEqual(['exactly 14 days old']);
    expect(cwl.events(GROUP, 'unaware').map((e) => e.message)).toEqual([
      'exactly at the retention, unknowingly',
    ]);
  });

  it('counts what the endpoint rejects in rejectedLogEventsInfo under the endpoint’s reasons', async () => {
    // Prepare: the endpoint's clock is an hour ahead of the shipper's, then an hour behind, and
    // its group keeps 7 days, which the shipper was not told.
    const T = Date.UTC(2026, 0, 15, 12);
    let skewMs = HOUR_MS;
    const cwl = await startEndpoint({ now: () => T + skewMs });
    await createGroup(cwl);
    await clientFor(cwl).send(new PutRetentionPolicyCommand({ logGroupName: GROUP, retentionInDays: 7 }));
    const shipper = shipperFor(cwl, { now: () => T });
    const ahead = [
      { message: '#0 old for the endpoint', timestamp: T - MAX_EVENT_AGE_MS + 30 * MINUTE_MS },
      { message: '#1 past the retention', timestamp: T - MAX_EVENT_AGE_MS + 2 * HOUR_MS },
      { message: '#2 past the retention by 30 min', timestamp: T - 7 * DAY_MS + 30 * MINUTE_MS },
      { message: '#3 inside the retention', timestamp: T - 7 * DAY_MS + 2 * HOUR_MS },
    ];
    const behind = [
      { message: '#4 30 min ahead', timestamp: T + 30 * MINUTE_MS },
      { message: '#5 too far ahead for the endpoint', timestamp: T + 90 * MINUTE_MS },
    ];

    // Act
    for (const event of ahead) shipper.log(event);
    await shipper.flush();
    skewMs = -HOUR_MS;
    for (const event of behind) shipper.log(event);
    await shipper.flush();

    // Assess
    const { stats, local } = expectSettled(shipper, cwl);
    expect(local.rejected).toEqual({ tooOld: 1, expired: 2, tooNew: 1 });
    expect(stats.dropped).toMatchObject({ tooOld: 1, expired: 2, tooNew: 1 });
    expect(stats.sent).toBe(2);
    expect(local.eventsAccepted).toBe(2);
    expect(cwl.events(GROUP, 'default').map((e) => e.message)).toEqual([
      ahead[3]?.message,
      behind[0]?.message,
    ]);
    expectBytesAgree(stats, local);
  });
});
