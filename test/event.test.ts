import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEvent, cutAgain, type LogEvent, toMessage, toTimestamp } from '../src/event.js';
import { EVENT_OVERHEAD_BYTES, LEGACY_MAX_EVENT_BYTES, MAX_EVENT_BYTES } from '../src/limits.js';

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

describe('toMessage', () => {
  it('keeps strings as they are', () => {
    expect(toMessage('hello')).toBe('hello');
  });

  it('returns undefined for empty input', () => {
    expect(toMessage('')).toBeUndefined();
    expect(toMessage(undefined)).toBeUndefined();
    expect(toMessage(null)).toBeUndefined();
  });

  it('uses the stack of an Error, or name and message without one', () => {
    const error = new TypeError('bad thing');
    expect(toMessage(error)).toBe(error.stack);
    const bare = new RangeError('out');
    bare.stack = undefined;
    expect(toMessage(bare)).toBe('RangeError: out');
  });

  it('serializes objects as JSON', () => {
    expect(toMessage({ a: 1, b: 'x' })).toBe('{"a":1,"b":"x"}');
    expect(toMessage([1, 2])).toBe('[1,2]');
  });

  it('survives circular references and BigInt', () => {
    const value: Record<string, unknown> = { n: 10n };
    value.self = value;
    expect(toMessage(value)).toBe('{"n":"10","self":"[Circular]"}');
  });

  it('survives throwing toJSON and getters', () => {
    const value = {
      ok: 1,
      get bad() {
        throw new Error('getter');
      },
    };
    expect(toMessage(value)).toBe('{"ok":1,"bad":"[Throws]"}');
    const throwing = {
      toJSON() {
        throw new Error('nope');
      },
    };
    expect(toMessage(throwing)).toBe('"[Unserializable]"');
  });

  it('caps very deep objects instead of overflowing the stack', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20_000; i++) {
      const next = {};
      deep.d = next;
      deep = next;
    }
    const text = toMessage(root);
    expect(text).toContain('[Depth limit]');
  });

  it('describes primitives, symbols and functions', () => {
    expect(toMessage(42)).toBe('42');
    expect(toMessage(false)).toBe('false');
    expect(toMessage(12n)).toBe('12');
    expect(toMessage(Symbol('s'))).toBe('Symbol(s)');
    expect(toMessage(function named() {})).toBe('[function named]');
  });

  it('never throws, whatever the value', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true }),
        (value) => {
          const message = toMessage(value);
          expect(message === undefined || (typeof message === 'string' && message.length > 0)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('does not throw on a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(typeof toMessage(proxy)).toBe('string');
  });
});

describe('toTimestamp', () => {
  it('uses now when the timestamp is absent', () => {
    expect(toTimestamp(undefined, NOW)).toBe(NOW);
    expect(toTimestamp(null, NOW)).toBe(NOW);
  });

  it('floors non-integer milliseconds', () => {
    expect(toTimestamp(1_700_000_000_000.9, NOW)).toBe(1_700_000_000_000);
  });

  it('accepts Dates, ISO strings and numeric strings', () => {
    expect(toTimestamp(new Date(NOW), 0)).toBe(NOW);
    expect(toTimestamp(new Date(NOW).toISOString(), 0)).toBe(NOW);
    expect(toTimestamp(String(NOW), 0)).toBe(NOW);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a negative number', -1],
    ['an invalid Date', new Date('nope')],
    ['an unparseable string', 'yesterday-ish'],
    ['an object', {}],
    ['a boolean', true],
  ])('returns NaN for %s', (_name, value) => {
    expect(toTimestamp(value, NOW)).toBeNaN();
  });
});

describe('createEvent', () => {
  const maxMessage = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;

  it('measures a message that fits once and keeps it as is', () => {
    const event = createEvent('héllo', NOW, MAX_EVENT_BYTES, 'truncate') as LogEvent;
    expect(event).toEqual({ timestamp: NOW, message: 'héllo', bytes: 6, kind: 'event' });
  });

  it('keeps a message of exactly the maximum size', () => {
    const message = 'a'.repeat(maxMessage);
    const event = createEvent(message, NOW, MAX_EVENT_BYTES, 'drop') as LogEvent;
    expect(event.message).toBe(message);
    expect(event.bytes + EVENT_OVERHEAD_BYTES).toBe(MAX_EVENT_BYTES);
  });

  it('drops a message one byte over the maximum when told to', () => {
    expect(createEvent('a'.repeat(maxMessage + 1), NOW, MAX_EVENT_BYTES, 'drop')).toBeUndefined();
  });

  it('truncates to the limit and names the bytes it cut', () => {
    const message = 'a'.repeat(maxMessage + 1000);
    const event = createEvent(message, NOW, MAX_EVENT_BYTES, 'truncate') as LogEvent;
    expect(event.bytes).toBe(utf8(event.message));
    expect(event.bytes).toBeLessThanOrEqual(maxMessage);
    const match = /…\[truncated (\d+) bytes\]$/.exec(event.message);
    expect(match).not.toBeNull();
    const kept = event.message.slice(0, event.message.length - (match?.[0].length ?? 0));
    expect(utf8(kept) + Number(match?.[1])).toBe(utf8(message));
  });

  it('never cuts a 4-byte emoji in half when truncating', () => {
    // Place the emojis so that the cut would land inside one of them at every offset.
    for (let offset = 0; offset < 4; offset++) {
      const message = `${'a'.repeat(offset)}${'😀'.repeat(70_000)}`;
      const event = createEvent(message, NOW, LEGACY_MAX_EVENT_BYTES, 'truncate') as LogEvent;
      expect(event.message.isWellFormed()).toBe(true);
      expect(event.message).not.toContain('\uFFFD');
      expect(event.bytes).toBe(utf8(event.message));
      expect(event.bytes).toBeLessThanOrEqual(LEGACY_MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES);
    }
  });

  it('measures lone surrogates as the 3 bytes they are sent as', () => {
    const message = `${'\uD800'.repeat(100_000)}`;
    const event = createEvent(message, NOW, LEGACY_MAX_EVENT_BYTES, 'truncate') as LogEvent;
    expect(event.message.isWellFormed()).toBe(true);
    expect(event.bytes).toBe(utf8(event.message));
    expect(event.bytes).toBeLessThanOrEqual(LEGACY_MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES);
  });

  it('splits into pieces within the limit that rebuild the message', () => {
    const message = `start ${'é😀x'.repeat(100_000)} end`;
    const pieces = createEvent(message, NOW, LEGACY_MAX_EVENT_BYTES, 'split') as LogEvent[];
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.map((p) => p.message).join('')).toBe(message);
    for (const piece of pieces) {
      expect(piece.timestamp).toBe(NOW);
      expect(piece.bytes).toBe(utf8(piece.message));
      expect(piece.bytes + EVENT_OVERHEAD_BYTES).toBeLessThanOrEqual(LEGACY_MAX_EVENT_BYTES);
    }
    expect(pieces.map((p) => p.kind)).toEqual(['event', ...new Array(pieces.length - 1).fill('piece')]);
  });

  it('cuts a piece again as the split cuts, keeping its kind first and the event it was cut from', () => {
    // Prepare: a first piece of 674 '€' (2,022 bytes).
    const [first] = createEvent('€'.repeat(700), NOW, 2_048, 'split') as LogEvent[];
    // Act
    const again = cutAgain(first as LogEvent, 1_000);
    const twice = cutAgain(again[1] as LogEvent, 500);
    // Assess: at character boundaries, in order; cut twice, still standing in for the first cut's event.
    expect(again.map((p) => [p.kind, p.bytes, utf8(p.message)])).toEqual([
      ['event', 999, 999],
      ['piece', 999, 999],
      ['piece', 24, 24],
    ]);
    expect(again.map((p) => p.message).join('')).toBe(first?.message);
    expect(again.every((p) => p.timestamp === NOW && p.cutFrom === first)).toBe(true);
    expect(twice.map((p) => p.kind)).toEqual(['piece', 'piece', 'piece']);
    expect(twice.map((p) => p.message).join('')).toBe(again[1]?.message);
    expect(twice.every((p) => p.cutFrom === first)).toBe(true);
  });

  it('fits any string by every policy (property)', () => {
    const maxEventBytes = 1024;
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\uD800', '\uDC00', '中'), maxLength: 1200 }),
        fc.constantFrom('truncate' as const, 'split' as const, 'drop' as const),
        (message, policy) => {
          const bytes = utf8(message);
          const result = createEvent(message, NOW, maxEventBytes, policy);
          const events = result === undefined ? [] : Array.isArray(result) ? result : [result];
          if (bytes + EVENT_OVERHEAD_BYTES <= maxEventBytes) {
            expect(events).toEqual([{ timestamp: NOW, message, bytes, kind: 'event' }]);
            return;
          }
          if (policy === 'drop') expect(events).toEqual([]);
          for (const event of events) {
            expect(event.bytes).toBe(utf8(event.message));
            expect(event.bytes + EVENT_OVERHEAD_BYTES).toBeLessThanOrEqual(maxEventBytes);
            expect(event.message.length).toBeGreaterThan(0);
          }
          if (policy === 'split') {
            expect(events.map((e) => e.message).join('')).toBe(message.toWellFormed());
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
