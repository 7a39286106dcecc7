/**
 * Cuts decoded standard input into lines, one event each. A line longer than `maxLineLength`
 * (UTF-16 units) keeps its first `maxLineLength` units and the rest of it is skipped as it is read,
 * so one endless line cannot hold more than that in memory: it is still one line, counted once,
 * and the shipper truncates it to the event limit as it does any long message.
 *
 * The input is text already decoded from UTF-8 (a `StringDecoder`, as `setEncoding('utf8')` uses,
 * never splits a character across chunks), so the only boundary to respect here is the one
 * between the two halves of a surrogate pair. @internal
 */
export class LineSplitter {
  readonly #maxLineLength: number;
  /** The start of the current line, read but not ended; a rope until the line ends. */
  #rest = '';
  /** Whether the current line passed the bound: `#rest` holds its kept start, the rest is skipped. */
  #overlong = false;

  constructor(maxLineLength: number) {
    if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 2) {
      throw new RangeError(`maxLineLength must be an integer >= 2, got ${maxLineLength}`);
    }
    this.#maxLineLength = maxLineLength;
  }

  /**
   * The lines that `chunk` ends, in order, without their `\n` or a `\r` before it. Empty lines are
   * left out: CloudWatch Logs refuses empty messages, and an empty line carries nothing to send.
   */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let from = 0;
    // Only the new chunk is searched: the start of a long line is never scanned again.
    for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', from)) {
      this.#append(chunk, from, end);
      const line = this.#take();
      if (line !== '') lines.push(line);
      from = end + 1;
    }
    this.#append(chunk, from, chunk.length);
    return lines;
  }

  /** The last line, when the input did not end with `\n` (`undefined` when there is none). */
  end(): string | undefined {
    const line = this.#take();
    return line === '' ? undefined : line;
  }

  /** Adds `chunk[from, to)` to the current line, up to the bound. */
  #append(chunk: string, from: number, to: number): void {
    if (this.#overlong || from === to) return;
    const room = this.#maxLineLength - this.#rest.length;
    if (to - from <= room) {
      this.#rest += from === 0 && to === chunk.length ? chunk : chunk.slice(from, to);
      return;
    }
    this.#rest = cutBefore(this.#rest + chunk.slice(from, from + room + 1), this.#maxLineLength);
    this.#overlong = true;
  }

  /** Ends the current line and returns it. */
  #take(): string {
    let line = this.#rest;
    // A `\r` past the bound was skipped with the rest; one within it ends a CRLF line.
    if (!this.#overlong && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    this.#rest = '';
    this.#overlong = false;
    return line;
  }
}

/**
 * The first `length` units of `text` (which has more), one fewer when the cut would fall between
 * a high and a low surrogate: the piece ends on a whole character.
 */
function cutBefore(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  const next = text.charCodeAt(length);
  const splitsPair = last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
  return text.slice(0, splitsPair ? length - 1 : length);
}
