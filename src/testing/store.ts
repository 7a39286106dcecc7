import type { StoredEntity, StoredEvent } from './types.js';
import type { InputEvent } from './validate.js';

/**
 * A position in a stream's order: events sort by timestamp, then by `seq`, the endpoint-wide arrival
 * number. `seq` is unique, so a key names one event, and keys stay valid when later events are
 * inserted before or after it (an index would shift).
 */
export interface EventKey {
  readonly timestamp: number;
  readonly seq: number;
}

/**
 * A stream's events, kept column by column and sorted by timestamp (ties in arrival order), as the
 * service returns them: a million events cost four packed arrays and their strings, not a million
 * objects. Objects are built only when read.
 */
export class StreamData {
  readonly name: string;
  readonly creationTime: number;
  readonly timestamps: number[] = [];
  readonly messages: string[] = [];
  readonly ingestionTimes: number[] = [];
  /** Arrival numbers, increasing with arrival; within one timestamp, increasing along the stream. */
  readonly seqs: number[] = [];
  firstEventTimestamp: number | undefined;
  lastEventTimestamp: number | undefined;
  lastIngestionTime: number | undefined;
  /** PutLogEvents requests that stored events here: the source of the (ignored) sequence tokens. */
  uploads = 0;
  /** The entity of the last PutLogEvents whose entity was accepted. */
  entity: StoredEntity | undefined;
  /** UTF-8 bytes of the stored messages (the service reports 0 for streams; groups sum these). */
  messageBytes = 0;

  constructor(name: string, creationTime: number) {
    this.name = name;
    this.creationTime = creationTime;
  }

  get size(): number {
    return this.timestamps.length;
  }

  /**
   * Stores `events[from, to)`, which are chronological, numbering them from `firstSeq`.
   *
   * Batches usually arrive nearly in order (a shipper sends requests in parallel), so this appends
   * when the batch starts at or after the last stored event, and otherwise merges the batch with only
   * the stored tail it overlaps, found by binary search: never a re-sort of the whole stream.
   */
  insert(
    events: readonly InputEvent[],
    from: number,
    to: number,
    ingestionTime: number,
    firstSeq: number,
    messageBytes: number,
  ): void {
    if (from >= to) return;
    const { timestamps, messages, ingestionTimes, seqs } = this;
    const first = (events[from] as InputEvent).timestamp;
    const last = (events[to - 1] as InputEvent).timestamp;
    // Stored events with the batch's first timestamp stay first: they arrived earlier.
    const at = upperBound(timestamps, first);
    if (at === timestamps.length) {
      for (let index = from; index < to; index++) {
        const event = events[index] as InputEvent;
        timestamps.push(event.timestamp);
        messages.push(event.message);
        ingestionTimes.push(ingestionTime);
        seqs.push(firstSeq + index - from);
      }
    } else if (last < (timestamps[at] as number)) {
      // The whole batch fits between two stored events (a request overtaken by the next one, the
      // usual case with requests in parallel): one block insert per column, which moves the tail once.
      const count = to - from;
      const newTimestamps: number[] = new Array(count);
      const newMessages: string[] = new Array(count);
      const newIngestionTimes: number[] = new Array(count);
      const newSeqs: number[] = new Array(count);
      for (let index = 0; index < count; index++) {
        const event = events[from + index] as InputEvent;
        newTimestamps[index] = event.timestamp;
        newMessages[index] = event.message;
        newIngestionTimes[index] = ingestionTime;
        newSeqs[index] = firstSeq + index;
      }
      // At most 10,000 events a request, well within the arguments a call may take.
      timestamps.splice(at, 0, ...newTimestamps);
      messages.splice(at, 0, ...newMessages);
      ingestionTimes.splice(at, 0, ...newIngestionTimes);
      seqs.splice(at, 0, ...newSeqs);
    } else {
      const tailTimestamps = timestamps.splice(at);
      const tailMessages = messages.splice(at);
      const tailIngestionTimes = ingestionTimes.splice(at);
      const tailSeqs = seqs.splice(at);
      let tail = 0;
      let index = from;
      while (tail < tailTimestamps.length || index < to) {
        const event = events[index] as InputEvent | undefined;
        // `<=`: on equal timestamps the stored event goes first, keeping arrival order.
        if (
          event === undefined ||
          (tail < tailTimestamps.length && (tailTimestamps[tail] as number) <= event.timestamp)
        ) {
          timestamps.push(tailTimestamps[tail] as number);
          messages.push(tailMessages[tail] as string);
          ingestionTimes.push(tailIngestionTimes[tail] as number);
          seqs.push(tailSeqs[tail] as number);
          tail++;
        } else {
          timestamps.push(event.timestamp);
          messages.push(event.message);
          ingestionTimes.push(ingestionTime);
          seqs.push(firstSeq + index - from);
          index++;
        }
      }
    }
    if (this.firstEventTimestamp === undefined || first < this.firstEventTimestamp)
      this.firstEventTimestamp = first;
    if (this.lastEventTimestamp === undefined || last > this.lastEventTimestamp)
      this.lastEventTimestamp = last;
    this.lastIngestionTime = ingestionTime;
    this.messageBytes += messageBytes;
  }

  /** The first index whose event comes after `key` (`size` if none). */
  indexAfter(key: EventKey): number {
    const { timestamps, seqs } = this;
    let low = 0;
    let high = timestamps.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const timestamp = timestamps[middle] as number;
      if (timestamp < key.timestamp || (timestamp === key.timestamp && (seqs[middle] as number) <= key.seq)) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /** The first index whose timestamp is `timestamp` or later (`size` if none). */
  indexAtOrAfter(timestamp: number): number {
    return lowerBound(this.timestamps, timestamp);
  }

  key(index: number): EventKey {
    return { timestamp: this.timestamps[index] as number, seq: this.seqs[index] as number };
  }

  /** Events `[from, to)` as objects. */
  read(from = 0, to = this.size): StoredEvent[] {
    const out: StoredEvent[] = new Array(Math.max(0, to - from));
    for (let index = from; index < to; index++) {
      out[index - from] = {
        timestamp: this.timestamps[index] as number,
        message: this.messages[index] as string,
        ingestionTime: this.ingestionTimes[index] as number,
      };
    }
    return out;
  }
}

/** What CreateLogGroup (and the calls after it) set on a group. */
export interface GroupSettings {
  readonly logGroupClass: string;
  readonly kmsKeyId: string | undefined;
  readonly deletionProtectionEnabled: boolean;
  readonly tags: ReadonlyMap<string, string>;
}

export class GroupData {
  readonly name: string;
  readonly creationTime: number;
  readonly logGroupClass: string;
  readonly kmsKeyId: string | undefined;
  retentionInDays: number | undefined;
  deletionProtectionEnabled: boolean;
  /** Tags in the order first set, as a Map keeps them. */
  readonly tags: Map<string, string>;
  readonly streams = new Map<string, StreamData>();

  constructor(name: string, creationTime: number, settings: GroupSettings) {
    this.name = name;
    this.creationTime = creationTime;
    this.logGroupClass = settings.logGroupClass;
    this.kmsKeyId = settings.kmsKeyId;
    this.deletionProtectionEnabled = settings.deletionProtectionEnabled;
    this.tags = new Map(settings.tags);
  }

  /** UTF-8 bytes of the messages stored in this group's streams. */
  get storedBytes(): number {
    let bytes = 0;
    for (const stream of this.streams.values()) bytes += stream.messageBytes;
    return bytes;
  }
}

/** Every group of one endpoint. Instances share nothing. */
export class LogStore {
  readonly groups = new Map<string, GroupData>();
  /** The next event's arrival number. */
  nextSeq = 0;

  stream(groupName: string, streamName: string): StreamData | undefined {
    return this.groups.get(groupName)?.streams.get(streamName);
  }

  clear(): void {
    this.groups.clear();
    this.nextSeq = 0;
  }
}

/** The first index whose value is greater than `value`. */
function upperBound(values: readonly number[], value: number): number {
  // From the end first: batches usually land at or near the end.
  const length = values.length;
  if (length === 0 || (values[length - 1] as number) <= value) return length;
  let low = 0;
  let high = length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose value is `value` or greater. */
function lowerBound(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
