import type { StoredEvent } from './types.js';
import type { InputEvent } from './validate.js';

/**
 * A stream's events, kept column by column: a million events cost three packed arrays and their
 * strings, not a million objects, and appending is three pushes. Objects are built only when read.
 */
export class StreamData {
  readonly name: string;
  readonly creationTime: number;
  readonly timestamps: number[] = [];
  readonly messages: string[] = [];
  readonly ingestionTimes: number[] = [];
  firstEventTimestamp: number | undefined;
  lastEventTimestamp: number | undefined;
  lastIngestionTime: number | undefined;
  storedBytes = 0;

  constructor(name: string, creationTime: number) {
    this.name = name;
    this.creationTime = creationTime;
  }

  get size(): number {
    return this.timestamps.length;
  }

  /** Appends `events[from, to)`, which are chronological. */
  append(
    events: readonly InputEvent[],
    from: number,
    to: number,
    ingestionTime: number,
    bytes: number,
  ): void {
    if (from >= to) return;
    const { timestamps, messages, ingestionTimes } = this;
    for (let index = from; index < to; index++) {
      const event = events[index] as InputEvent;
      timestamps.push(event.timestamp);
      messages.push(event.message);
      ingestionTimes.push(ingestionTime);
    }
    const first = (events[from] as InputEvent).timestamp;
    const last = (events[to - 1] as InputEvent).timestamp;
    if (this.firstEventTimestamp === undefined || first < this.firstEventTimestamp)
      this.firstEventTimestamp = first;
    if (this.lastEventTimestamp === undefined || last > this.lastEventTimestamp)
      this.lastEventTimestamp = last;
    this.lastIngestionTime = ingestionTime;
    this.storedBytes += bytes;
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

export class GroupData {
  readonly name: string;
  readonly creationTime: number;
  retentionInDays: number | undefined;
  readonly streams = new Map<string, StreamData>();

  constructor(name: string, creationTime: number) {
    this.name = name;
    this.creationTime = creationTime;
  }

  get storedBytes(): number {
    let bytes = 0;
    for (const stream of this.streams.values()) bytes += stream.storedBytes;
    return bytes;
  }
}

/** Every group of one endpoint. Instances share nothing. */
export class LogStore {
  readonly groups = new Map<string, GroupData>();

  stream(groupName: string, streamName: string): StreamData | undefined {
    return this.groups.get(groupName)?.streams.get(streamName);
  }

  clear(): void {
    this.groups.clear();
  }
}
