import { invalidParameter } from './protocol.js';

/** Whether one event's message matches a compiled filter pattern. */
export type MessageFilter = (message: string) => boolean;

/**
 * Compiles a FilterLogEvents `filterPattern`, following the CloudWatch Logs User Guide, "Filter
 * pattern syntax for metric filters, subscription filters, filter log events, and Live Tail"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
 *
 * - an empty pattern matches every event;
 * - terms ("Matching terms in unstructured log events"): `ERROR Exception` matches events containing
 *   both, case-sensitively; `"Failed to process"` quotes a phrase or a term with other characters;
 *   `?ERROR ?WARN` matches events containing either; `-DEBUG` excludes events containing it;
 * - `%regex%` ("Supported regular expressions (regex) syntax"): a regular expression, searched
 *   anywhere in the message;
 * - JSON patterns ("Using filter patterns to match terms in JSON log events"):
 *   `{ $.level = "error" }`, `{ $.latencyMs >= 250 }`, `!=`, `<`, `<=`, `>`, `>=`, `&&`, `||`,
 *   parentheses, `*` wildcards in string values, `IS NULL`, `NOT EXISTS`, `IS TRUE`, `IS FALSE`,
 *   selectors such as `$.user.id` and `$.items[0]`. Events whose message is not a JSON object never
 *   match a JSON pattern.
 *
 * Space-delimited patterns (`[ip, user, ...]`) are not supported: they are refused with
 * `InvalidParameterException` rather than matched wrongly.
 */
export function compileFilterPattern(pattern: string): MessageFilter {
  const text = pattern.trim();
  if (text === '') return () => true;
  if (text.startsWith('{')) return compileJsonPattern(text);
  if (text.startsWith('[')) {
    throw invalidParameter(
      'Space-delimited filter patterns ([...]) are not supported by the local endpoint; use terms or a JSON pattern.',
    );
  }
  return compileTerms(text);
}

function invalidPattern(detail: string): Error {
  return invalidParameter(`Invalid filter pattern: ${detail}`);
}

// ---------------------------------------------------------------------------------------------------
// Terms

interface Term {
  readonly kind: 'all' | 'any' | 'none';
  readonly test: (message: string) => boolean;
}

function compileTerms(text: string): MessageFilter {
  const terms: Term[] = [];
  let position = 0;
  while (position < text.length) {
    const char = text[position] as string;
    if (char === ' ' || char === '\t') {
      position++;
      continue;
    }
    let kind: Term['kind'] = 'all';
    if (char === '?' || char === '-') {
      kind = char === '?' ? 'any' : 'none';
      position++;
      if (position >= text.length || text[position] === ' ')
        throw invalidPattern(`'${char}' must precede a term`);
    }
    let test: (message: string) => boolean;
    if (text[position] === '"') {
      const { value, end } = readQuoted(text, position);
      position = end;
      test = (message) => message.includes(value);
    } else if (text[position] === '%') {
      const end = text.indexOf('%', position + 1);
      if (end < 0) throw invalidPattern('a regular expression must end with %');
      const source = text.slice(position + 1, end);
      let regex: RegExp;
      try {
        regex = new RegExp(source);
      } catch {
        throw invalidPattern(`'%${source}%' is not a valid regular expression`);
      }
      position = end + 1;
      test = (message) => regex.test(message);
    } else {
      let end = position;
      while (end < text.length && text[end] !== ' ' && text[end] !== '\t') end++;
      const value = text.slice(position, end);
      if (value.includes('"')) throw invalidPattern(`quote the term ${value}`);
      position = end;
      test = (message) => message.includes(value);
    }
    terms.push({ kind, test });
  }
  const all = terms.filter((term) => term.kind === 'all');
  const any = terms.filter((term) => term.kind === 'any');
  const none = terms.filter((term) => term.kind === 'none');
  return (message) =>
    all.every((term) => term.test(message)) &&
    (any.length === 0 || any.some((term) => term.test(message))) &&
    !none.some((term) => term.test(message));
}

/** Reads a double-quoted string starting at `start` (`\"` and `\\` escape). */
function readQuoted(text: string, start: number): { value: string; end: number } {
  let value = '';
  let position = start + 1;
  while (position < text.length) {
    const char = text[position] as string;
    if (char === '\\' && position + 1 < text.length) {
      value += text[position + 1];
      position += 2;
    } else if (char === '"') {
      return { value, end: position + 1 };
    } else {
      value += char;
      position++;
    }
  }
  throw invalidPattern('a quoted term is not closed');
}

// ---------------------------------------------------------------------------------------------------
// JSON patterns

type JsonTest = (document: unknown) => boolean;

type Token =
  | { readonly type: 'punct'; readonly value: string }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'word'; readonly value: string }
  | { readonly type: 'selector'; readonly path: readonly (string | number)[]; readonly text: string };

function compileJsonPattern(text: string): MessageFilter {
  if (!text.endsWith('}')) throw invalidPattern('a JSON pattern must end with }');
  const tokens = tokenize(text.slice(1, -1));
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const next = (): Token => {
    const token = tokens[position++];
    if (token === undefined) throw invalidPattern('the JSON pattern ends too early');
    return token;
  };
  const isPunct = (token: Token | undefined, value: string): boolean =>
    token?.type === 'punct' && token.value === value;

  const parseOr = (): JsonTest => {
    const tests = [parseAnd()];
    while (isPunct(peek(), '||')) {
      position++;
      tests.push(parseAnd());
    }
    return tests.length === 1 ? (tests[0] as JsonTest) : (document) => tests.some((test) => test(document));
  };
  const parseAnd = (): JsonTest => {
    const tests = [parseUnary()];
    while (isPunct(peek(), '&&')) {
      position++;
      tests.push(parseUnary());
    }
    return tests.length === 1 ? (tests[0] as JsonTest) : (document) => tests.every((test) => test(document));
  };
  const parseUnary = (): JsonTest => {
    if (isPunct(peek(), '(')) {
      position++;
      const inner = parseOr();
      if (!isPunct(next(), ')')) throw invalidPattern('a parenthesis is not closed');
      return inner;
    }
    return parseComparison();
  };
  const parseComparison = (): JsonTest => {
    const selector = next();
    if (selector.type !== 'selector')
      throw invalidPattern('a JSON pattern compares a selector such as $.level');
    const { path } = selector;
    const operator = next();
    if (operator.type === 'word' && (operator.value === 'IS' || operator.value === 'NOT')) {
      const what = next();
      const word = what.type === 'word' ? what.value : '';
      if (operator.value === 'NOT' && word === 'EXISTS')
        return (document) => lookUp(document, path).found === false;
      if (operator.value === 'IS' && (word === 'NULL' || word === 'TRUE' || word === 'FALSE')) {
        const expected = word === 'NULL' ? null : word === 'TRUE';
        return (document) => {
          const { found, value } = lookUp(document, path);
          return found && value === expected;
        };
      }
      throw invalidPattern(`unexpected '${operator.value} ${word}' after ${selector.text}`);
    }
    if (operator.type !== 'punct' || !['=', '!=', '<', '<=', '>', '>='].includes(operator.value)) {
      throw invalidPattern(`expected a comparison after ${selector.text}`);
    }
    const operand = next();
    if (operand.type !== 'string' && operand.type !== 'word') {
      throw invalidPattern(`expected a value after ${selector.text} ${operator.value}`);
    }
    const number = operand.type === 'word' ? Number(operand.value) : Number.NaN;
    if (operand.type === 'word' && operand.value !== '' && Number.isFinite(number)) {
      return numberTest(path, operator.value, number);
    }
    if (operator.value !== '=' && operator.value !== '!=') {
      throw invalidPattern(`${operator.value} compares numbers, not '${operand.value}'`);
    }
    return stringTest(path, operator.value === '=', operand.value);
  };

  const test = parseOr();
  if (position < tokens.length) throw invalidPattern('unexpected text after the end of the expression');
  return (message) => {
    const trimmed = message.trimStart();
    if (!trimmed.startsWith('{')) return false;
    let document: unknown;
    try {
      document = JSON.parse(message);
    } catch {
      return false;
    }
    return test(document);
  };
}

function numberTest(path: readonly (string | number)[], operator: string, expected: number): JsonTest {
  return (document) => {
    const { found, value } = lookUp(document, path);
    if (!found || typeof value !== 'number') return false;
    switch (operator) {
      case '=':
        return value === expected;
      case '!=':
        return value !== expected;
      case '<':
        return value < expected;
      case '<=':
        return value <= expected;
      case '>':
        return value > expected;
      default:
        return value >= expected;
    }
  };
}

function stringTest(path: readonly (string | number)[], equal: boolean, expected: string): JsonTest {
  const matches = expected.includes('*') ? wildcard(expected) : (value: string) => value === expected;
  return (document) => {
    const { found, value } = lookUp(document, path);
    if (!found || typeof value !== 'string') return false;
    return matches(value) === equal;
  };
}

/** `*` matches any run of characters; everything else is literal. */
function wildcard(pattern: string): (value: string) => boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

function lookUp(document: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let value: unknown = document;
  for (const step of path) {
    if (typeof step === 'number') {
      if (!Array.isArray(value) || step >= value.length) return { found: false, value: undefined };
      value = value[step];
    } else {
      if (
        typeof value !== 'object' ||
        value === null ||
        Array.isArray(value) ||
        !Object.hasOwn(value, step)
      ) {
        return { found: false, value: undefined };
      }
      value = (value as Record<string, unknown>)[step];
    }
  }
  return { found: true, value };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < text.length) {
    const char = text[position] as string;
    if (char === ' ' || char === '\t' || char === '\n') {
      position++;
    } else if (char === '"') {
      const { value, end } = readQuoted(text, position);
      tokens.push({ type: 'string', value });
      position = end;
    } else if (char === '$') {
      const { path, end } = readSelector(text, position);
      tokens.push({ type: 'selector', path, text: text.slice(position, end) });
      position = end;
    } else {
      const two = text.slice(position, position + 2);
      if (['&&', '||', '!=', '<=', '>='].includes(two)) {
        tokens.push({ type: 'punct', value: two });
        position += 2;
      } else if ('()=<>'.includes(char)) {
        tokens.push({ type: 'punct', value: char });
        position++;
      } else {
        let end = position;
        while (end < text.length && !' \t\n()=<>!&|"'.includes(text[end] as string)) end++;
        if (end === position) throw invalidPattern(`unexpected '${char}'`);
        tokens.push({ type: 'word', value: text.slice(position, end) });
        position = end;
      }
    }
  }
  return tokens;
}

/** Reads `$.a.b[0].c` starting at the `$`. */
function readSelector(text: string, start: number): { path: (string | number)[]; end: number } {
  const path: (string | number)[] = [];
  let position = start + 1;
  while (position < text.length) {
    const char = text[position];
    if (char === '.') {
      let end = position + 1;
      while (end < text.length && /[A-Za-z0-9_\-@:]/.test(text[end] as string)) end++;
      if (end === position + 1)
        throw invalidPattern(`a selector has an empty name at '${text.slice(start, end + 1)}'`);
      path.push(text.slice(position + 1, end));
      position = end;
    } else if (char === '[') {
      const end = text.indexOf(']', position);
      const index = end < 0 ? Number.NaN : Number(text.slice(position + 1, end));
      if (!Number.isInteger(index) || index < 0)
        throw invalidPattern(`a selector has a bad index in '${text.slice(start)}'`);
      path.push(index);
      position = end + 1;
    } else {
      break;
    }
  }
  if (path.length === 0) throw invalidPattern('a selector names a field, such as $.level');
  return { path, end: position };
}
