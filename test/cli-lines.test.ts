import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../src/cli-lines.js';

/** Feeds `chunks` to a splitter and returns every line, the last unterminated one included. */
function split(chunks: readonly string[], maxLineLength: number): string[] {
  const splitter = new LineSplitter(maxLineLength);
  const lines = chunks.flatMap((chunk) => splitter.push(chunk));
  const last = splitter.end();
  return last === undefined ? lines : [...lines, last];
}

/**
 * The rule, on the whole text at once: lines split on `\n`, a `\r` before it removed, empty lines
 * left out, and a longer line kept to `max` units, one fewer when the cut would split a pair.
 */
function expected(text: string, max: number): string[] {
  return text
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .map((line) => {
      if (line.length <= max) return line;
      const splitsPair =
        /[\uD800-\uDBFF]/.test(line[max - 1] ?? '') && /[\uDC00-\uDFFF]/.test(line[max] ?? '');
      return line.slice(0, splitsPair ? max - 1 : max);
    })
    .filter((line) => line !== '');
}

/** `text` cut at the given offsets (sorted, deduplicated, within the text). */
function chunksOf(text: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const to of at) {
    chunks.push(text.slice(from, to));
    from = to;
  }
  chunks.push(text.slice(from));
  return chunks;
}

describe('LineSplitter', () => {
  it('returns the lines a chunk ends, without their line ends, and the last one at the end', () => {
    // Prepare
    const splitter = new LineSplitter(100);
    // Act
    const first = splitter.push('one\r\ntwo\n\nthr');
    const second = splitter.push('ee\r');
    const third = splitter.push('\nfour');
    // Assess
    expect(first).toEqual(['one', 'two']);
    expect(second).toEqual([]);
    expect(third).toEqual(['three']);
    expect(splitter.end()).toBe('four');
    expect(splitter.end()).toBeUndefined();
  });

  it('keeps a line longer than the bound as one line, cut to the bound, however many chunks it spans', () => {
    // Prepare: 25 units in chunks of 4, bound 10.
    const line = 'abcdefghijklmnopqrstuvwxy';
    const chunks = chunksOf(`${line}\nnext\n`, [4, 8, 12, 16, 20, 24, 28]);
    // Act
    const lines = split(chunks, 10);
    // Assess: counted once, not as three pieces.
    expect(lines).toEqual(['abcdefghij', 'next']);
  });

  it('does not cut between the two halves of a surrogate pair', () => {
    // Prepare: 😀 is U+D83D U+DE00; its high half is the 10th unit.
    const line = `${'x'.repeat(9)}😀tail`;
    // Act
    const lines = split([line, '\n'], 10);
    // Assess: the pair is left out whole, and no piece starts with a lone low surrogate.
    expect(lines).toEqual(['x'.repeat(9)]);
    expect(split([`${'x'.repeat(8)}😀tail\n`], 10)).toEqual([`${'x'.repeat(8)}😀`]);
  });

  it('keeps a line of exactly the bound whole, and its \\r\\n is still a line end', () => {
    expect(split(['0123456789\r\n', '0123456789\n'], 10)).toEqual(['0123456789', '0123456789']);
    expect(split(['0123456789', '\r', '\n'], 10)).toEqual(['0123456789']);
  });

  it('refuses a bound too small to hold a character', () => {
    expect(() => new LineSplitter(1)).toThrow(RangeError);
    expect(() => new LineSplitter(Number.NaN)).toThrow(RangeError);
  });

  it('gives the same lines as the rule applied to the whole text, however the text is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\n', '\r', '\uD800', '\uDC00'), maxLength: 120 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.integer({ min: 2, max: 12 }),
        (text, cuts, max) => {
          expect(split(chunksOf(text, cuts), max)).toEqual(expected(text, max));
        },
      ),
    );
  });
});
