import { EVENT_OVERHEAD_BYTES } from '../limits.js';
import type { OperationContext } from './context.js';
import { checkEntity } from './entity.js';
import { compileFilterPattern } from './filter.js';
import {
  existingStream,
  groupByNameOrIdentifier,
  type Input,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalStringList,
  optionalTime,
  requiredStreamName,
} from './input.js';
import { groupNotFound, invalidParameter, streamNotFound } from './protocol.js';
import { countViolation } from './stats.js';
import type { EventKey, StreamData } from './store.js';
import { sequenceToken } from './streams.js';
import { checkBatch, findWindow, type InputEvent, SPAN_TOO_LONG_MESSAGE, spanTooLong } from './validate.js';

/** Most events GetLogEvents and FilterLogEvents return per page (their references' `limit`). */
const MAX_READ_LIMIT = 10_000;

/**
 * Most bytes of events in one GetLogEvents or FilterLogEvents page, each counted as its message's
 * UTF-8 bytes plus 26, as PutLogEvents counts them. GetLogEvents reference: "as many log events as
 * can fit in a response size of 1 MB (up to 10,000 log events)". A page holds at least one event.
 */
const MAX_READ_PAGE_BYTES = 1_048_576;

/** FilterLogEvents reference: `filterPattern` is 0 to 1,024 characters. */
const MAX_FILTER_PATTERN_LENGTH = 1024;

/** FilterLogEvents reference: `logStreamNames` has 1 to 100 names. */
const MAX_FILTER_STREAMS = 100;

/**
 * FilterLogEvents reference: "Setting startFromHead to false is supported only when startTime is on
 * or after Jan 1, 2024 00:00:00 UTC."
 */
const EARLIEST_BACKWARD_FILTER_START = Date.UTC(2024, 0, 1);

export function putLogEvents(input: Input, { store, stats, now, maxEventBytes }: OperationContext): object {
  if (input.sequenceToken !== undefined && input.sequenceToken !== null) stats.sequenceTokensReceived++;
  const { logGroupName, logStreamName, logEvents } = input;
  for (const [name, value] of [
    ['logGroupName', logGroupName],
    ['logStreamName', logStreamName],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      countViolation(stats, 'missingParameter');
      throw invalidParameter(`Missing required parameter in input: "${name}"`);
    }
  }
  if (!Array.isArray(logEvents)) {
    countViolation(stats, 'missingParameter');
    throw invalidParameter('Missing required parameter in input: "logEvents"');
  }
  // A missing group or stream is the normal path of clients that create on demand, not a violation.
  const group = store.groups.get(logGroupName as string);
  if (group === undefined) throw groupNotFound();
  const stream = group.streams.get(logStreamName as string);
  if (stream === undefined) throw streamNotFound();

  const check = checkBatch(logEvents, maxEventBytes);
  if (!check.ok) {
    countViolation(stats, check.kind);
    throw invalidParameter(check.message);
  }
  const { events } = check;
  const nowMs = now();
  const { tooOldEnd, expiredEnd, tooNewStart } = findWindow(events, nowMs, group.retentionInDays);
  if (spanTooLong(events, expiredEnd, tooNewStart)) {
    countViolation(stats, 'spanTooLong');
    throw invalidParameter(SPAN_TOO_LONG_MESSAGE);
  }
  const entity = input.entity === undefined || input.entity === null ? undefined : checkEntity(input.entity);

  let bytes = check.messageBytes;
  if (expiredEnd > 0 || tooNewStart < events.length) {
    bytes -= messageBytes(events, 0, expiredEnd) + messageBytes(events, tooNewStart, events.length);
  }
  const stored = tooNewStart - expiredEnd;
  stream.insert(events, expiredEnd, tooNewStart, nowMs, store.nextSeq, bytes);
  store.nextSeq += stored;
  stream.uploads++;
  stats.eventsAccepted += stored;
  stats.bytesAccepted += bytes;
  stats.rejected.tooOld += tooOldEnd;
  stats.rejected.expired += expiredEnd - tooOldEnd;
  stats.rejected.tooNew += events.length - tooNewStart;
  if (entity?.ok === true) {
    stream.entity = entity.entity;
    stats.entities.accepted++;
  } else if (entity !== undefined) {
    stats.entities.rejected[entity.errorType] = (stats.entities.rejected[entity.errorType] ?? 0) + 1;
  }

  const rejectsEvents = expiredEnd > 0 || tooNewStart < events.length;
  return {
    nextSequenceToken: sequenceToken(stream),
    ...(rejectsEvents
      ? {
          rejectedLogEventsInfo: {
            ...(tooOldEnd > 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
            ...(expiredEnd > tooOldEnd ? { expiredLogEventEndIndex: expiredEnd } : {}),
            ...(tooNewStart < events.length ? { tooNewLogEventStartIndex: tooNewStart } : {}),
          },
        }
      : {}),
    ...(entity?.ok === false ? { rejectedEntityInfo: { errorType: entity.errorType } } : {}),
  };
}

/**
 * GetLogEvents reference: `startTime` is inclusive ("Events with a timestamp equal to this time or
 * later than this time are included"), `endTime` exclusive ("Events with a timestamp equal to or
 * later than this time are not included"); events come earliest first, and at either end "it returns
 * the same token you passed in".
 *
 * Tokens name a position between two events by the event before it (see {@link EventKey}):
 * `f/<timestamp>/<seq>` reads forward from there, `b/<timestamp>/<seq>` backward from just before
 * that event. Keys, not indexes: an event that arrives late and lands in the middle of the stream
 * does not shift a client's place. Without a token the first page is the head (`startFromHead`) or,
 * as in the API by default, the tail.
 */
export function getLogEvents(input: Input, { store }: OperationContext): object {
  const group = groupByNameOrIdentifier(input, store);
  const stream = existingStream(group, requiredStreamName(input));
  const startTime = optionalTime(input, 'startTime');
  const endTime = optionalTime(input, 'endTime');
  const limit = optionalInteger(input, 'limit', 1, MAX_READ_LIMIT) ?? MAX_READ_LIMIT;
  const startFromHead = optionalBoolean(input, 'startFromHead') ?? false;
  const token = readToken(input);

  const low = startTime === undefined ? 0 : stream.indexAtOrAfter(startTime);
  const high = Math.max(low, endTime === undefined ? stream.size : stream.indexAtOrAfter(endTime));
  const forward = token === undefined ? startFromHead : token.forward;
  let from: number;
  let to: number;
  if (forward) {
    from = token === undefined ? low : Math.max(low, stream.indexAfter(token.key));
    to = from;
    let bytes = 0;
    while (to < high && to - from < limit) {
      bytes += eventBytes(stream.messages[to] as string);
      if (bytes > MAX_READ_PAGE_BYTES && to > from) break;
      to++;
    }
  } else {
    to = token === undefined ? high : Math.min(high, stream.indexAfter(before(token.key)));
    from = to;
    let bytes = 0;
    while (from > low && to - from < limit) {
      bytes += eventBytes(stream.messages[from - 1] as string);
      if (bytes > MAX_READ_PAGE_BYTES && from < to) break;
      from--;
    }
  }

  if (from < to) {
    return {
      events: stream.read(from, to),
      nextForwardToken: writeToken(true, stream.key(to - 1)),
      nextBackwardToken: writeToken(false, stream.key(from)),
    };
  }
  // An empty page: hand back the token that was passed in, and its counterpart for the other way.
  const gap = token?.key ?? keyBefore(stream, from);
  const nextForwardToken =
    token?.forward === true ? token.text : writeToken(true, token === undefined ? gap : before(gap));
  const nextBackwardToken = token?.forward === false ? token.text : writeToken(false, after(gap));
  return { events: [], nextForwardToken, nextBackwardToken };
}

/**
 * FilterLogEvents reference: events from every stream of the group, or of `logStreamNames` or
 * `logStreamNamePrefix` (not both), interleaved by time ("The response from this operation always
 * interleaves events from multiple log streams"); `startTime` inclusive, `endTime` inclusive ("Events
 * with a timestamp later than this time are not returned"); earliest first unless `startFromHead` is
 * false; `nextToken` only while more events remain; `searchedLogStreams` is always empty ("As of May
 * 15, 2020, this parameter is no longer supported"). Tokens are those of {@link getLogEvents}.
 */
export function filterLogEvents(input: Input, { store }: OperationContext): object {
  const group = groupByNameOrIdentifier(input, store);
  const names = optionalStringList(input, 'logStreamNames', 1, MAX_FILTER_STREAMS);
  const prefix = optionalString(input, 'logStreamNamePrefix');
  if (names !== undefined && prefix !== undefined) {
    throw invalidParameter(
      'logStreamNames and logStreamNamePrefix are mutually exclusive: send one of them.',
    );
  }
  const startTime = optionalTime(input, 'startTime');
  const endTime = optionalTime(input, 'endTime');
  const pattern = optionalString(input, 'filterPattern') ?? '';
  if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
    throw invalidParameter(`filterPattern is longer than ${MAX_FILTER_PATTERN_LENGTH} characters.`);
  }
  const limit = optionalInteger(input, 'limit', 1, MAX_READ_LIMIT) ?? MAX_READ_LIMIT;
  const token = readToken(input);
  const forward = token?.forward ?? optionalBoolean(input, 'startFromHead') ?? true;
  if (!forward && startTime !== undefined && startTime < EARLIEST_BACKWARD_FILTER_START) {
    throw invalidParameter('startFromHead false requires a startTime on or after 2024-01-01T00:00:00Z.');
  }
  const matches = compileFilterPattern(pattern);
  const streams =
    names === undefined
      ? [...group.streams.values()].filter((stream) => prefix === undefined || stream.name.startsWith(prefix))
      : names.flatMap((name) => group.streams.get(name) ?? []);

  // Each stream is already in (timestamp, seq) order: take at most limit + 1 matches from each (one
  // more than a page, to know whether another page follows), then interleave them.
  const candidates: Candidate[] = [];
  for (const stream of streams) {
    const low = startTime === undefined ? 0 : stream.indexAtOrAfter(startTime);
    const high = Math.max(low, endTime === undefined ? stream.size : stream.indexAtOrAfter(endTime + 1));
    let taken = 0;
    if (forward) {
      for (
        let index = token === undefined ? low : Math.max(low, stream.indexAfter(token.key));
        index < high;
        index++
      ) {
        if (!matches(stream.messages[index] as string)) continue;
        candidates.push({ stream, index });
        if (++taken > limit) break;
      }
    } else {
      const end = token === undefined ? high : Math.min(high, stream.indexAfter(before(token.key)));
      for (let index = end - 1; index >= low; index--) {
        if (!matches(stream.messages[index] as string)) continue;
        candidates.push({ stream, index });
        if (++taken > limit) break;
      }
    }
  }
  candidates.sort(forward ? compareCandidates : (a, b) => compareCandidates(b, a));

  const page: Candidate[] = [];
  let bytes = 0;
  for (const candidate of candidates) {
    if (page.length === limit) break;
    bytes += eventBytes(candidate.stream.messages[candidate.index] as string);
    if (bytes > MAX_READ_PAGE_BYTES && page.length > 0) break;
    page.push(candidate);
  }
  const last = page[page.length - 1];
  return {
    events: page.map(({ stream, index }) => ({
      logStreamName: stream.name,
      timestamp: stream.timestamps[index] as number,
      message: stream.messages[index] as string,
      ingestionTime: stream.ingestionTimes[index] as number,
      eventId: String(stream.seqs[index] as number),
    })),
    searchedLogStreams: [],
    ...(last !== undefined && candidates.length > page.length
      ? { nextToken: writeToken(forward, last.stream.key(last.index)) }
      : {}),
  };
}

interface Candidate {
  readonly stream: StreamData;
  readonly index: number;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  const byTime = (a.stream.timestamps[a.index] as number) - (b.stream.timestamps[b.index] as number);
  return byTime !== 0 ? byTime : (a.stream.seqs[a.index] as number) - (b.stream.seqs[b.index] as number);
}

interface ReadToken {
  readonly text: string;
  readonly forward: boolean;
  readonly key: EventKey;
}

function readToken(input: Input): ReadToken | undefined {
  const text = optionalString(input, 'nextToken');
  if (text === undefined) return undefined;
  const match = /^([fb])\/(-?\d{1,16})\/(-?\d{1,16})$/.exec(text);
  if (match === null) throw invalidParameter('The specified nextToken is invalid.');
  return { text, forward: match[1] === 'f', key: { timestamp: Number(match[2]), seq: Number(match[3]) } };
}

function writeToken(forward: boolean, key: EventKey): string {
  return `${forward ? 'f' : 'b'}/${key.timestamp}/${key.seq}`;
}

/**
 * The key just before `key`: `indexAfter(before(key))` is the index of `key`'s event, so a backward
 * read from there excludes it. Exact because `seq`s are integers.
 */
function before(key: EventKey): EventKey {
  return { timestamp: key.timestamp, seq: key.seq - 1 };
}

function after(key: EventKey): EventKey {
  return { timestamp: key.timestamp, seq: key.seq + 1 };
}

/** The key of the event before index `index`, or one before every event. */
function keyBefore(stream: StreamData, index: number): EventKey {
  return index > 0 ? stream.key(index - 1) : { timestamp: -1, seq: -1 };
}

function eventBytes(message: string): number {
  return Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
}

function messageBytes(events: readonly InputEvent[], from: number, to: number): number {
  let bytes = 0;
  for (let index = from; index < to; index++) {
    bytes += Buffer.byteLength((events[index] as InputEvent).message, 'utf8');
  }
  return bytes;
}
