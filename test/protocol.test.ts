import { describe, expect, it } from 'vitest';
import {
  CONTROL_BYTES,
  CounterReader,
  Ctl,
  STATS_BYTES,
  STATS_LENGTH,
  writeCounters,
} from '../src/worker/protocol.js';

function counters() {
  const ctl = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  const memory = new SharedArrayBuffer(STATS_BYTES);
  return { ctl, slots: new Int32Array(memory), reader: new CounterReader(ctl, memory) };
}

const values = (first: number) => Float64Array.from({ length: STATS_LENGTH }, (_, i) => first + i);

describe('the published counters', () => {
  it('reads what was written, whole numbers past 2^32 and fractions alike', () => {
    // Prepare
    const { ctl, slots, reader } = counters();
    const written = values(2 ** 40 + 3);
    written[1] = 0.5;
    // Act
    writeCounters(ctl, slots, written);
    // Assess
    expect(Array.from(reader.read())).toEqual(Array.from(written));
    expect(Atomics.load(ctl, Ctl.statsSeq)).toBe(2);
  });

  it('gives the last whole copy, never a torn one, while a write stays unfinished', () => {
    // Prepare: one whole write, then a second that stopped half way (its writer descheduled or dead).
    const { ctl, slots, reader } = counters();
    writeCounters(ctl, slots, values(100));
    expect(reader.read()[0]).toBe(100);
    Atomics.add(ctl, Ctl.statsSeq, 1);
    slots.fill(0, 0, STATS_LENGTH);
    // Act
    const seen = reader.read();
    // Assess: the first write's counters, every one of them.
    expect(Array.from(seen)).toEqual(Array.from(values(100)));
  });
});
