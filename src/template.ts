/**
 * Templates in destination names: `logGroupName` and `logStreamName` may hold tokens that the
 * shipper expands.
 *
 * - `{hostname}`, `{pid}`, `{uuid}` and `{env.NAME}` are fixed for the shipper's life: they are
 *   expanded once, when the template is compiled.
 * - `{date}` (`YYYY-MM-DD`) and `{hour}` (`YYYY-MM-DDTHH`, no colon: stream names may not hold
 *   one) are the event's own time in UTC, in stream names only. Events are routed by their own
 *   timestamp, so a late event lands in the stream of its own day or hour.
 * - `{{` and `}}` write a literal brace.
 *
 * A template is compiled once (at construction for the options). Expanding it then costs nothing
 * but a property read when it has no time token, and one cached string per hour or day when it has.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { ConfigError } from './errors.js';
import { LOG_GROUP_NAME_PATTERN, LOG_STREAM_NAME_PATTERN } from './limits.js';
import { editDistance } from './option-checks.js';

/** Where the fixed tokens come from. Tests inject each of them. */
export interface TemplateSources {
  /**
   * The value of `{hostname}`.
   * @default os.hostname
   */
  readonly hostname?: () => string;
  /**
   * The value of `{pid}`.
   * @default process.pid
   */
  readonly pid?: number;
  /**
   * The variables `{env.NAME}` reads.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The value of `{uuid}`, drawn once per context.
   * @default crypto.randomUUID
   */
  readonly uuid?: () => string;
}

/**
 * The fixed token values of one shipper: made once, so that `{uuid}` is the same in every name
 * the shipper expands, for its whole life.
 */
export interface TemplateContext {
  readonly hostname: string;
  readonly pid: string;
  readonly uuid: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function createTemplateContext(sources: TemplateSources = {}): TemplateContext {
  return Object.freeze({
    hostname: String((sources.hostname ?? osHostname)()),
    pid: String(sources.pid ?? process.pid),
    uuid: String((sources.uuid ?? randomUUID)()),
    env: sources.env ?? process.env,
  });
}

export type NameKind = 'group' | 'stream';

/** How often a template's expansion changes: never, at each UTC day, or at each UTC hour. */
export type NameRotation = 'none' | 'day' | 'hour';

/** A compiled destination name template. */
export interface NameTemplate {
  /** The template as written. */
  readonly template: string;
  readonly kind: NameKind;
  readonly rotation: NameRotation;
  /**
   * The name itself when the template has no time token: every event gets this name and
   * {@link NameTemplate.expand} needs not be called. `undefined` when the name rotates.
   */
  readonly constant: string | undefined;
  /**
   * The name for an event stamped `timestampMs`: a valid log group or stream name, or `undefined`
   * when that time cannot be written as `YYYY-MM-DD` (not finite, or a year outside 0000–9999),
   * which the shipper drops as `invalidDestination`.
   */
  expand(timestampMs: number): string | undefined;
  /** Names a rotating template holds in its cache, at most 64 (the oldest go first); 0 when constant. */
  readonly cachedNames: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Most names a rotating template keeps: more than two days of hours, or two months of days. */
const MAX_CACHED_NAMES = 64;
/** The longest name the API allows, for groups and streams alike (CreateLogGroup/CreateLogStream). */
const MAX_NAME_LENGTH = 512;

const FIXED_TOKENS = ['hostname', 'pid', 'uuid'] as const;
const TIME_TOKENS = ['date', 'hour'] as const;
/** Every token, for the "did you mean" of an unknown one. */
const KNOWN_TOKENS = [...FIXED_TOKENS, ...TIME_TOKENS, 'env.NAME'] as const;
/** Widths of the time tokens: fixed, so a template's length is known before any event. */
const TIME_WIDTH = { date: 10, hour: 13 } as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GROUP_CHARACTER = /^[A-Za-z0-9_\-/.#]$/;
const GROUP_CHARACTERS = /^[A-Za-z0-9_\-/.#]*$/;
const STREAM_FORBIDDEN = /[:*]/;

type TimeToken = (typeof TIME_TOKENS)[number];
/** After compilation: literal text (fixed tokens already expanded in) and time tokens. */
type Part = string | { readonly time: TimeToken };

/** True when `name` holds a brace, so it may be a template; plain names can skip compiling. */
export function hasTemplateSyntax(name: string): boolean {
  return name.includes('{') || name.includes('}');
}

/**
 * Compiles a `logGroupName` or `logStreamName` template; throws a {@link ConfigError} naming
 * `option` when the template is malformed, uses an unknown token or an unset variable, or can
 * only expand to an invalid name. What the error says never includes a token's expanded value
 * (an environment variable may hold a secret).
 */
export function compileNameTemplate(
  kind: NameKind,
  option: string,
  template: unknown,
  context: TemplateContext,
): NameTemplate {
  const noun = kind === 'group' ? 'a log group name template' : 'a log stream name template';
  if (typeof template !== 'string') throw new ConfigError(option, template, `${noun} (a string)`);
  const fail = (why: string): never => {
    throw new ConfigError(option, template, `${noun} ${why}`);
  };
  const parts: Part[] = [];
  let literal = '';
  let length = 0;
  let rotation: NameRotation = 'none';
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    if (char === '}') {
      if (template[i + 1] !== '}') fail(`with no lone \`}\` (at ${i}; write \`}}\` for a literal brace)`);
      literal += checkLiteral(kind, '}', i, fail);
      i++;
      continue;
    }
    if (char !== '{') {
      literal += checkLiteral(kind, char, i, fail);
      continue;
    }
    if (template[i + 1] === '{') {
      literal += checkLiteral(kind, '{', i, fail);
      i++;
      continue;
    }
    const end = template.indexOf('}', i + 1);
    if (end === -1)
      fail(`with every \`{\` closed (the one at ${i} is not; write \`{{\` for a literal brace)`);
    const token = template.slice(i + 1, end);
    i = end;
    if ((TIME_TOKENS as readonly string[]).includes(token)) {
      if (kind === 'group') {
        fail(`without \`{${token}}\`: the event's time is for stream names only (a stream per day or hour)`);
      }
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push({ time: token as TimeToken });
      length += TIME_WIDTH[token as TimeToken];
      if (token === 'hour' || rotation === 'none') rotation = token === 'hour' ? 'hour' : 'day';
      continue;
    }
    const value = fixedToken(token, context, fail);
    if (kind === 'group' ? !GROUP_CHARACTERS.test(value) : STREAM_FORBIDDEN.test(value)) {
      fail(`whose tokens expand to valid names (\`{${token}}\` expands to a value with ${forbidden(kind)})`);
    }
    literal += value;
  }
  if (literal !== '') parts.push(literal);
  for (const part of parts) if (typeof part === 'string') length += part.length;
  if (length === 0) fail('that expands to at least 1 character');
  if (length > MAX_NAME_LENGTH) {
    fail(`that expands to at most ${MAX_NAME_LENGTH} characters (this one always gives ${length})`);
  }
  return build(kind, template, parts, rotation);
}

/**
 * As {@link compileNameTemplate}, for names that arrive with `log()` (which never throws):
 * `undefined` for a template that would be refused.
 */
export function tryCompileNameTemplate(
  kind: NameKind,
  template: string,
  context: TemplateContext,
): NameTemplate | undefined {
  try {
    return compileNameTemplate(kind, kind === 'group' ? 'logGroupName' : 'logStreamName', template, context);
  } catch {
    return undefined;
  }
}

/**
 * Compiled templates of the names given to `log()`, by template string, `undefined` remembered
 * for the invalid ones. Bounded: past `maxEntries` templates the oldest is forgotten (and
 * compiled again if it comes back).
 */
export class NameTemplateCache {
  // One map per kind: a key built per call (`g` + template) would allocate a string per event.
  private readonly groups = new Map<string, NameTemplate | null>();
  private readonly streams = new Map<string, NameTemplate | null>();

  constructor(
    private readonly context: TemplateContext,
    private readonly maxEntries = 1000,
  ) {}

  get(kind: NameKind, template: string): NameTemplate | undefined {
    const compiled = kind === 'group' ? this.groups : this.streams;
    const known = compiled.get(template);
    if (known !== undefined) return known ?? undefined;
    const made = tryCompileNameTemplate(kind, template, this.context);
    if (this.size >= this.maxEntries) {
      const fuller = this.groups.size >= this.streams.size ? this.groups : this.streams;
      fuller.delete(fuller.keys().next().value as string);
    }
    compiled.set(template, made ?? null);
    return made;
  }

  /** Templates held, of both kinds. */
  get size(): number {
    return this.groups.size + this.streams.size;
  }
}

function checkLiteral(kind: NameKind, char: string, at: number, fail: (why: string) => never): string {
  if (kind === 'group' ? !GROUP_CHARACTER.test(char) : char === ':' || char === '*') {
    fail(
      `of ${kind === 'group' ? '`[A-Za-z0-9_-/.#]`' : 'characters other than `:` and `*`'} and tokens (\`${char}\` at ${at} is not allowed)`,
    );
  }
  return char;
}

function forbidden(kind: NameKind): string {
  return kind === 'group' ? 'characters outside `[A-Za-z0-9_-/.#]`' : '`:` or `*`';
}

function fixedToken(token: string, context: TemplateContext, fail: (why: string) => never): string {
  if (token === 'hostname') return context.hostname;
  if (token === 'pid') return context.pid;
  if (token === 'uuid') return context.uuid;
  if (token.startsWith('env.')) {
    const name = token.slice(4);
    if (!ENV_NAME.test(name)) fail(`with valid variable names (\`{${token}}\` is not one)`);
    const value = context.env[name];
    if (typeof value !== 'string' || value === '') {
      fail(`whose environment variables are set (\`${name}\` is missing or empty)`);
    }
    return value as string;
  }
  return fail(`with known tokens (\`{${token}}\` is not one${suggest(token)})`);
}

function suggest(token: string): string {
  const candidates = token.startsWith('env') ? ['env.NAME'] : KNOWN_TOKENS;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(token.trim().toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // Only a plausible typo earns a suggestion, not any string at all.
  const plausible = best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 2));
  return plausible
    ? `; did you mean \`{${best}}\`?`
    : `; known: ${KNOWN_TOKENS.map((t) => `{${t}}`).join(', ')}`;
}

function build(
  kind: NameKind,
  template: string,
  parts: readonly Part[],
  rotation: NameRotation,
): NameTemplate {
  const pattern = kind === 'group' ? LOG_GROUP_NAME_PATTERN : LOG_STREAM_NAME_PATTERN;
  if (rotation === 'none') {
    const constant = parts.join('');
    // The checks above mirror these patterns part by part; the pattern stays the final word.
    if (!pattern.test(constant)) throw new Error(`template compiled to an invalid ${kind} name`);
    return Object.freeze({ template, kind, rotation, constant, expand: () => constant, cachedNames: 0 });
  }
  // Every in-range time writes the same width from `[0-9T-]`, valid in any stream name: when
  // one expansion is valid, all are.
  if (!pattern.test(render(parts, 0) as string))
    throw new Error(`template compiled to an invalid ${kind} name`);
  const unitMs = rotation === 'hour' ? HOUR_MS : DAY_MS;
  const cache = new Map<number, string | undefined>();
  let lastKey = Number.NaN;
  let lastName: string | undefined;
  const expand = (timestampMs: number): string | undefined => {
    const key = Math.floor(timestampMs / unitMs);
    // Most events of a stream fall in the hour or day of the one before: no lookup at all.
    if (key === lastKey) return lastName;
    let name = cache.get(key);
    if (name === undefined && !cache.has(key)) {
      name = Number.isFinite(key) ? render(parts, key * unitMs) : undefined;
      if (cache.size >= MAX_CACHED_NAMES) cache.delete(cache.keys().next().value as number);
      cache.set(key, name);
    }
    lastKey = key;
    lastName = name;
    return name;
  };
  return Object.freeze({
    template,
    kind,
    rotation,
    constant: undefined,
    expand,
    get cachedNames() {
      return cache.size;
    },
  });
}

function render(parts: readonly Part[], timeMs: number): string | undefined {
  const time = new Date(timeMs);
  const year = time.getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) return undefined;
  const date = `${pad(year, 4)}-${pad(time.getUTCMonth() + 1, 2)}-${pad(time.getUTCDate(), 2)}`;
  let name = '';
  for (const part of parts) {
    if (typeof part === 'string') name += part;
    else name += part.time === 'date' ? date : `${date}T${pad(time.getUTCHours(), 2)}`;
  }
  return name;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
