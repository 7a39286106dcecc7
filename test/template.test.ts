import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { LOG_GROUP_NAME_PATTERN, LOG_STREAM_NAME_PATTERN } from '../src/limits.js';
import {
  compileNameTemplate,
  createTemplateContext,
  hasTemplateSyntax,
  NameTemplateCache,
  type TemplateContext,
  tryCompileNameTemplate,
} from '../src/template.js';

const context = createTemplateContext({
  hostname: () => 'web-1',
  pid: 4242,
  env: { STAGE: 'prod', EMPTY: '', SECRET: 'hunter2:topsecret' },
  uuid: () => '0b5f1b7e-2d6c-4a55-9c39-6a1f1f3c7d10',
});

const stream = (template: string, ctx: TemplateContext = context) =>
  compileNameTemplate('stream', 'logStreamName', template, ctx);
const group = (template: string, ctx: TemplateContext = context) =>
  compileNameTemplate('group', 'logGroupName', template, ctx);

/** The ConfigError a compile throws, for assertions on its option and message. */
function refusal(compile: () => unknown): ConfigError {
  try {
    compile();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the template to be refused');
}

const AT = Date.UTC(2026, 10, 21, 12, 34, 56, 789);

describe('compileNameTemplate — fixed tokens', () => {
  it('expands hostname, pid, uuid and env once, into a constant name', () => {
    // Act
    const compiled = stream('{hostname}/{pid}/{uuid}/{env.STAGE}');

    // Assess
    expect(compiled.rotation).toBe('none');
    expect(compiled.constant).toBe('web-1/4242/0b5f1b7e-2d6c-4a55-9c39-6a1f1f3c7d10/prod');
    expect(compiled.expand(AT)).toBe(compiled.constant);
    expect(compiled.expand(Number.NaN)).toBe(compiled.constant);
    expect(compiled.cachedNames).toBe(0);
  });

  it('keeps a name without tokens as it is', () => {
    expect(group('/app/web').constant).toBe('/app/web');
    expect(stream('plain stream name').constant).toBe('plain stream name');
  });

  it('writes literal braces for {{ and }}', () => {
    expect(stream('a{{b}}c').constant).toBe('a{b}c');
    expect(stream('{{date}}').constant).toBe('{date}');
    expect(stream('{{{pid}}}').constant).toBe('{4242}');
  });

  it('draws {uuid} once per context, the same in every template of that context', () => {
    // Prepare
    let drawn = 0;
    const source = () => `00000000-0000-4000-8000-00000000000${++drawn}`;
    const first = createTemplateContext({ uuid: source });
    const second = createTemplateContext({ uuid: source });

    // Act
    const a = stream('{uuid}', first).constant;
    const b = compileNameTemplate('group', 'logGroupName', 'g-{uuid}', first).constant;
    const c = stream('{uuid}', second).constant;

    // Assess
    expect(a).toBe('00000000-0000-4000-8000-000000000001');
    expect(b).toBe(`g-${a}`);
    expect(c).toBe('00000000-0000-4000-8000-000000000002');
    expect(drawn).toBe(2);
  });

  it('uses the real hostname, pid and a random uuid by default', () => {
    // Act
    const real = createTemplateContext();

    // Assess
    expect(real.pid).toBe(String(process.pid));
    expect(real.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(real.hostname.length).toBeGreaterThan(0);
  });
});

describe('compileNameTemplate — refusals', () => {
  it('refuses a missing or empty environment variable, naming the option and the variable', () => {
    // Act
    const missing = refusal(() => stream('app-{env.NOPE}'));
    const empty = refusal(() => group('/app/{env.EMPTY}'));

    // Assess
    expect(missing).toMatchObject({ code: 'CWS_CONFIG', option: 'logStreamName' });
    expect(missing.message).toContain('`NOPE` is missing or empty');
    expect(empty).toMatchObject({ code: 'CWS_CONFIG', option: 'logGroupName' });
    expect(empty.message).toContain('`EMPTY` is missing or empty');
  });

  it('refuses an unknown token, naming it and the nearest known one', () => {
    // Act
    const typo = refusal(() => stream('{hostnme}-x'));
    const stranger = refusal(() => stream('{weather}'));
    const envTypo = refusal(() => stream('{env:STAGE}'));

    // Assess
    expect(typo.message).toContain('`{hostnme}` is not one; did you mean `{hostname}`?');
    expect(stranger.message).toContain(
      '`{weather}` is not one; known: {hostname}, {pid}, {uuid}, {date}, {hour}',
    );
    expect(envTypo.message).toContain('did you mean `{env.NAME}`?');
  });

  it('refuses a lone } and an unclosed {', () => {
    expect(refusal(() => stream('a}b')).message).toContain('no lone `}` (at 1; write `}}`');
    expect(refusal(() => stream('ab{date')).message).toContain('the one at 2 is not; write `{{`');
  });

  it('refuses time tokens in group names', () => {
    // Act
    const error = refusal(() => group('/app/{date}'));

    // Assess
    expect(error.option).toBe('logGroupName');
    expect(error.message).toContain("without `{date}`: the event's time is for stream names only");
  });

  it('refuses a literal character the name cannot hold', () => {
    expect(refusal(() => group('/app:web')).message).toContain('`:` at 4 is not allowed');
    expect(refusal(() => group('/app/{{x}}')).message).toContain('`{` at 5 is not allowed');
    expect(refusal(() => stream('web*')).message).toContain('`*` at 3 is not allowed');
    expect(refusal(() => stream('a:{date}')).message).toContain('`:` at 1 is not allowed');
  });

  it('refuses a fixed token whose value the name cannot hold, without printing the value', () => {
    // Act
    const error = refusal(() => stream('x-{env.SECRET}'));

    // Assess
    expect(error.message).toContain('`{env.SECRET}` expands to a value with `:` or `*`');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain('topsecret');
  });

  it('refuses a hostname a group name cannot hold', () => {
    // Prepare
    const odd = createTemplateContext({ hostname: () => 'host name' });

    // Act
    const error = refusal(() => group('/app/{hostname}', odd));

    // Assess
    expect(error.message).toContain('`{hostname}` expands to a value with characters outside');
  });

  it('refuses a template that always expands past 512 characters, and accepts exactly 512', () => {
    // Act
    const exact = stream(`${'a'.repeat(499)}{hour}`);
    const over = refusal(() => stream(`${'a'.repeat(503)}{date}`));
    const overFixed = refusal(() => group(`${'g'.repeat(509)}{pid}`));

    // Assess
    expect(exact.expand(AT)).toHaveLength(512);
    expect(over.message).toContain('at most 512 characters (this one always gives 513)');
    expect(overFixed.message).toContain('(this one always gives 513)');
    expect(group(`${'g'.repeat(508)}{pid}`).constant).toHaveLength(512);
  });

  it('refuses an empty template and a value that is not a string', () => {
    expect(refusal(() => stream('')).message).toContain('expands to at least 1 character');
    expect(
      refusal(() => compileNameTemplate('stream', 'destination.logStreamName', 42, context)),
    ).toMatchObject({
      option: 'destination.logStreamName',
      message:
        'Expected `destination.logStreamName` to be a log stream name template (a string), got `42` (number)',
    });
  });

  it('returns undefined instead of throwing for names given to log()', () => {
    expect(tryCompileNameTemplate('stream', '{nope}', context)).toBeUndefined();
    expect(tryCompileNameTemplate('group', '/a/{date}', context)).toBeUndefined();
    expect(tryCompileNameTemplate('stream', 'web-{date}', context)?.expand(AT)).toBe('web-2026-11-21');
  });
});

describe('compileNameTemplate — time tokens', () => {
  it('writes {date} as YYYY-MM-DD and {hour} as YYYY-MM-DDTHH in UTC, with no colon', () => {
    // Act
    const daily = stream('app/{date}');
    const hourly = stream('app/{hour}/{date}');

    // Assess
    expect(daily.rotation).toBe('day');
    expect(daily.constant).toBeUndefined();
    expect(daily.expand(AT)).toBe('app/2026-11-21');
    expect(hourly.rotation).toBe('hour');
    expect(hourly.expand(AT)).toBe('app/2026-11-21T12/2026-11-21');
    expect(hourly.expand(AT)).not.toContain(':');
  });

  it("routes a late event to its own day's stream", () => {
    // Prepare
    const daily = stream('app-{date}');

    // Act
    const today = daily.expand(AT);
    const late = daily.expand(AT - 3 * 24 * 3_600_000);
    const againToday = daily.expand(AT + 1000);

    // Assess
    expect(today).toBe('app-2026-11-21');
    expect(late).toBe('app-2026-11-18');
    expect(againToday).toBe('app-2026-11-21');
  });

  it('changes name exactly at the UTC hour and day boundaries', () => {
    // Prepare
    const hourly = stream('{hour}');
    const midnight = Date.UTC(2026, 0, 1);

    // Act + Assess
    expect(hourly.expand(midnight - 1)).toBe('2025-12-31T23');
    expect(hourly.expand(midnight)).toBe('2026-01-01T00');
    expect(hourly.expand(midnight + 3_600_000 - 1)).toBe('2026-01-01T00');
    expect(hourly.expand(midnight + 3_600_000)).toBe('2026-01-01T01');
    expect(stream('{date}').expand(Date.UTC(1969, 11, 31, 23, 59, 59))).toBe('1969-12-31');
  });

  it('returns undefined for a time it cannot write', () => {
    // Prepare
    const daily = stream('{date}');

    // Act + Assess
    expect(daily.expand(Number.NaN)).toBeUndefined();
    expect(daily.expand(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(daily.expand(Date.UTC(10_000, 0, 1))).toBeUndefined();
    expect(daily.expand(Date.UTC(-1, 0, 1))).toBeUndefined();
    expect(daily.expand(AT)).toBe('2026-11-21');
  });

  it('keeps its cache of names bounded however many hours it sees', () => {
    // Prepare
    const hourly = stream('{hour}');
    const start = Date.UTC(2026, 0, 1);

    // Act
    for (let hour = 0; hour < 24 * 365; hour++) hourly.expand(start + hour * 3_600_000);

    // Assess
    expect(hourly.cachedNames).toBe(64);
    // An evicted hour is written again, the same as before.
    expect(hourly.expand(start)).toBe('2026-01-01T00');
  });

  it('expands like a reference formatter for any time in range (property)', () => {
    const literal = fc.stringMatching(/^[a-z0-9/._-]{0,8}$/);
    const token = fc.constantFrom('{date}', '{hour}', '{pid}', '{hostname}', '{{', '}}');
    const template = fc
      .array(fc.oneof(literal, token), { minLength: 1, maxLength: 6 })
      .map((p) => p.join(''));
    // 0000-01-01T00:00:00Z to the last hour of 9999 (Date.UTC maps years 0–99 to 1900–1999).
    const time = fc.integer({ min: -62_167_219_200_000, max: Date.UTC(9999, 11, 31, 23) });
    fc.assert(
      fc.property(template, fc.array(time, { minLength: 1, maxLength: 20 }), (source, times) => {
        const compiled = tryCompileNameTemplate('stream', source, context);
        fc.pre(compiled !== undefined);
        for (const at of times) {
          const iso = new Date(at).toISOString();
          const expected = referenceExpand(source, iso);
          expect(compiled?.expand(at)).toBe(expected);
          expect(LOG_STREAM_NAME_PATTERN.test(expected)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('either refuses a template at compile time or only ever expands to valid names (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom('{date}', '{hour}', '{pid}', '{uuid}', '{hostname}', '{env.STAGE}', '{env.SECRET}'),
      fc.constantFrom('{', '}', '{{', '}}', ':', '*', '/', '#', ' ', '.', '-', '_', 'é'),
      fc.stringMatching(/^[A-Za-z0-9]{1,200}$/),
    );
    const template = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));
    const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
    fc.assert(
      fc.property(fc.constantFrom('group', 'stream' as const), template, time, (kind, source, at) => {
        let compiled: ReturnType<typeof compileNameTemplate> | undefined;
        try {
          compiled = compileNameTemplate(kind as 'group' | 'stream', 'name', source, context);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          return;
        }
        const name = compiled.expand(at);
        expect(name).toBeDefined();
        const pattern = kind === 'group' ? LOG_GROUP_NAME_PATTERN : LOG_STREAM_NAME_PATTERN;
        expect(pattern.test(name as string)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hasTemplateSyntax', () => {
  it('tells names that need compiling from plain ones', () => {
    expect(hasTemplateSyntax('/app/web')).toBe(false);
    expect(hasTemplateSyntax('web-{date}')).toBe(true);
    expect(hasTemplateSyntax('a}')).toBe(true);
  });
});

describe('NameTemplateCache', () => {
  it('compiles each template once and remembers refusals as undefined', () => {
    // Prepare
    const cache = new NameTemplateCache(context);

    // Act
    const first = cache.get('stream', 'web-{date}');
    const second = cache.get('stream', 'web-{date}');
    const asGroup = cache.get('group', 'web-{date}');
    const bad = cache.get('stream', '{nope}');

    // Assess
    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(asGroup).toBeUndefined();
    expect(bad).toBeUndefined();
    expect(cache.get('stream', '{nope}')).toBeUndefined();
    expect(cache.size).toBe(3);
  });

  it('forgets the oldest template past its bound', () => {
    // Prepare
    const cache = new NameTemplateCache(context, 10);

    // Act
    for (let i = 0; i < 100; i++) cache.get('stream', `s-${i}-{date}`);

    // Assess
    expect(cache.size).toBe(10);
    expect(cache.get('stream', 's-0-{date}')?.expand(AT)).toBe('s-0-2026-11-21');
  });
});

/** An independent expansion from the template text and an ISO date string, for the property. */
function referenceExpand(template: string, iso: string): string {
  return template.replace(/\{\{|\}\}|\{(date|hour|pid|hostname)\}/g, (match, token: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    if (token === 'date') return iso.slice(0, 10);
    if (token === 'hour') return iso.slice(0, 13);
    if (token === 'pid') return '4242';
    return 'web-1';
  });
}
