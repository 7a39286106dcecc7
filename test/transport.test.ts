// The transport ring: a record whose size is known only once written (`reserveUpTo` and `settle`)
// takes the ring exactly as one reserved at its size would, padding and refusals included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ctl, Rec } from '../src/worker/protocol.js';
import { createTransport, PUBLISH_BYTES, TransportReader, TransportWriter } from '../src/worker/transport.js';

const RING_BYTES = 4_096;

type Op = { readonly op: 'write'; readonly text: string } | { readonly op: 'read' };

const unit = fc.constantFrom('a', 'b', ' ', 'é', '中', '😀', '\uD83D');
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      text: fc.oneof(
        { weight: 4, arbitrary: fc.string({ unit, minLength: 1, maxLength: 40 }) },
        { weight: 1, arbitrary: fc.string({ unit, minLength: 100, maxLength: 700 }) },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'read' as const }) },
);

/** One ring, its writer and its reader. */
function ring(): { writer: TransportWriter; reader: TransportReader } {
  const memory = createTransport(RING_BYTES);
  return { writer: new TransportWriter(memory), reader: new TransportReader(memory) };
}

/** Writes `text` as an event record the way `RemoteEngine` does: measured as copied when it can be. */
function writeUnmeasured(writer: TransportWriter, text: string): number {
  const most = text.length * 3;
  let at = writer.reserveUpTo(most);
  let bytes: number;
  if (at >= 0) {
    bytes = writer.bytes.utf8Write(text, at + 32, most);
    writer.settle(at, bytes);
  } else {
    bytes = Buffer.byteLength(text);
    at = writer.reserve(bytes);
    if (at < 0) return -1;
    writer.bytes.utf8Write(text, at + 32, bytes);
  }
  return finish(writer, at, bytes);
}

/** Writes `text` as an event record reserved at its exact size. */
function writeMeasured(writer: TransportWriter, text: string): number {
  const bytes = Buffer.byteLength(text);
  const at = writer.reserve(bytes);
  if (at < 0) return -1;
  writer.bytes.utf8Write(text, at + 32, bytes);
  return finish(writer, at, bytes);
}

/** Marks the record at `at` an event of `bytes` bytes, commits and publishes it; returns `at`. */
function finish(writer: TransportWriter, at: number, bytes: number): number {
  writer.i32[(at >> 2) + 1] = Rec.event;
  writer.i32[(at >> 2) + 3] = bytes;
  writer.commit();
  writer.publish();
  return at;
}

function readAll(reader: TransportReader): { at: number; text: string }[] {
  const records: { at: number; text: string }[] = [];
  reader.drain((type, at) => {
    expect(type).toBe(Rec.event);
    const bytes = reader.i32[(at >> 2) + 3] as number;
    records.push({ at, text: reader.bytes.toString('utf8', at + 32, at + 32 + bytes) });
  });
  return records;
}

describe('TransportWriter', () => {
  it('places a record measured as it is copied where one reserved at its size goes, or refuses both', () => {
    let copied = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 300 }), (ops) => {
        // Prepare
        const unmeasured = ring();
        const measured = ring();
        for (const step of ops) {
          // Act
          if (step.op === 'write') {
            const a = writeUnmeasured(unmeasured.writer, step.text);
            const b = writeMeasured(measured.writer, step.text);
            // Assess: the same place, or the same refusal; the same use of the ring.
            expect(a).toBe(b);
            if (a < 0) refused++;
            else copied++;
          } else {
            expect(readAll(unmeasured.reader)).toEqual(readAll(measured.reader));
          }
          // The positions in the ring (not the writer's view of the reader's, which either may have
          // looked at again at a different moment: it is looked at again before any refusal).
          expect(unmeasured.writer.ctl[Ctl.written]).toBe(measured.writer.ctl[Ctl.written]);
          expect(unmeasured.reader.used).toBe(measured.reader.used);
        }
        const rest = readAll(unmeasured.reader);
        expect(rest).toEqual(readAll(measured.reader));
        for (const record of rest) expect(record.text.length).toBeGreaterThan(0);
      }),
      { numRuns: 200, endOnFailure: true, interruptAfterTimeLimit: 60_000 },
    );
    expect(copied).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('takes nothing when a record of the largest size has no room before the end of the ring', () => {
    // Prepare: the cursor 64 bytes from the end of the ring.
    const { writer, reader } = ring();
    writeMeasured(writer, 'x'.repeat(RING_BYTES - 64 - 32));
    readAll(reader);
    const used = writer.used;
    // Act
    const at = writer.reserveUpTo(100);
    // Assess: refused, nothing taken; the exact size, padded to the start, still fits.
    expect(at).toBe(-1);
    expect(writer.used).toBe(used);
    expect(writeMeasured(writer, 'short')).toBeGreaterThanOrEqual(0);
  });
});

describe('TransportWriter publication', () => {
  /** Reserves and commits one event record of `bytes` bytes (not published by itself). */
  function commitOne(writer: TransportWriter, bytes: number): void {
    const at = writer.reserve(bytes);
    expect(at).toBeGreaterThanOrEqual(0);
    writer.bytes.fill(0x61, at + 32, at + 32 + bytes);
    writer.i32[(at >> 2) + 1] = Rec.event;
    writer.i32[(at >> 2) + 3] = bytes;
    writer.commit();
  }

  it('publishes a commit at the end of the current job, not before', async () => {
    // Prepare
    const { writer, reader } = ring();
    // Act
    commitOne(writer, 10);
    commitOne(writer, 20);
    // Assess: nothing visible yet; both once the job's microtasks have run.
    expect(reader.pending).toBe(false);
    expect(Atomics.load(writer.ctl, Ctl.written)).toBe(0);
    await Promise.resolve();
    expect(readAll(reader).map((r) => r.text.length)).toEqual([10, 20]);
  });

  it('publishes at once when PUBLISH_BYTES or more wait', () => {
    // Prepare: a ring large enough for that much.
    const memory = createTransport(4 * PUBLISH_BYTES);
    const writer = new TransportWriter(memory);
    const reader = new TransportReader(memory);
    // Act: records until the committed bytes reach the threshold.
    let records = 0;
    while (!reader.pending) {
      commitOne(writer, 1_000);
      records++;
    }
    // Assess: published by the commit that crossed it, every record up to it.
    expect(records).toBe(Math.ceil(PUBLISH_BYTES / 1_032));
    expect(reader.used).toBe(records * 1_032);
  });

  it('publishes only what was committed, and writes what goes beside it first', () => {
    // Prepare
    const memory = createTransport(RING_BYTES);
    const seen: number[] = [];
    const writer = new TransportWriter(memory, () => seen.push(Atomics.load(writer.ctl, Ctl.written)));
    const reader = new TransportReader(memory);
    commitOne(writer, 10);
    // Act: a record reserved, not committed, then published and rolled back.
    expect(writer.reserve(50)).toBeGreaterThanOrEqual(0);
    writer.publish();
    writer.rollback();
    writer.publish();
    // Assess: the committed record alone; the hook ran once, before the store.
    expect(readAll(reader).map((r) => r.text.length)).toEqual([10]);
    expect(seen).toEqual([0]);
    writer.refresh();
    expect(writer.used).toBe(0);
  });

  it('wakes a reader that sleeps at each publication until the reader clears its flag itself', async () => {
    // Prepare: a reader asleep (its flag set, a wait on `written` begun).
    const { writer } = ring();
    const sleep = () =>
      (
        Atomics as unknown as {
          waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: unknown };
        }
      ).waitAsync(writer.ctl, Ctl.written, Atomics.load(writer.ctl, Ctl.written), 1_000);
    Atomics.store(writer.ctl, Ctl.sleeping, 1);
    const first = sleep();
    // Act: a publication; then, before the reader has cleared its flag, a second wait and publication
    // (a writer that cleared the flag itself would let this second sleep go unwoken).
    commitOne(writer, 10);
    writer.publish();
    const second = sleep();
    commitOne(writer, 10);
    writer.publish();
    // Assess: both waits were woken, not timed out, and the flag is still the reader's to clear.
    expect(first.async && second.async).toBe(true);
    expect(await first.value).toBe('ok');
    expect(await second.value).toBe('ok');
    expect(Atomics.load(writer.ctl, Ctl.sleeping)).toBe(1);
  });
});
