import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmfEvent, EMF_UNITS, type EmfInput, type EmfMetric, logMetrics, toEmf } from '../src/emf.js';
import { CloudWatchShipperError, EmfError } from '../src/errors.js';
import { cleanUp, createGroup, expectSettled, GROUP, shipperFor, startEndpoint } from './e2e/helpers.js';

afterEach(cleanUp);

const AT = Date.UTC(2026, 10, 21, 12, 0, 0);

const BASIC: EmfInput = {
  namespace: 'MyApp/Checkout',
  dimensions: { Service: 'checkout', Operation: 'pay' },
  metrics: [
    { name: 'Latency', value: 42.5, unit: 'Milliseconds' },
    { name: 'Orders', value: [1, 2, 3], unit: 'Count', storageResolution: 1 },
  ],
  properties: { requestId: 'r-1', cart: { items: 3 } },
  timestamp: AT,
};

function emfRefusal(input: unknown): EmfError {
  try {
    createEmfEvent(input as EmfInput);
  } catch (error) {
    expect(error).toBeInstanceOf(EmfError);
    return error as EmfError;
  }
  throw new Error('expected the metric to be refused');
}

/**
 * The specification's rules, checked on the JSON text independently of the code under test:
 * the structure and limits of "Specification: Embedded metric format" and its JSON schema, plus
 * the CloudWatch rules a metric must also meet (namespace characters, name lengths).
 */
function specViolations(message: string): string[] {
  const violations: string[] = [];
  const fail = (why: string) => violations.push(why);
  let root: Record<string, unknown>;
  try {
    root = JSON.parse(message);
  } catch {
    return ['not JSON'];
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return ['root is not an object'];
  const aws = root._aws as Record<string, unknown> | undefined;
  if (typeof aws !== 'object' || aws === null) return ['no _aws object'];
  if (!Number.isInteger(aws.Timestamp)) fail('Timestamp is not an integer');
  for (const key of Object.keys(aws))
    if (key !== 'Timestamp' && key !== 'CloudWatchMetrics') fail(`_aws.${key}`);
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0) return [...violations, 'no CloudWatchMetrics'];
  for (const directive of directives as Record<string, unknown>[]) {
    for (const key of Object.keys(directive)) {
      if (!['Namespace', 'Dimensions', 'Metrics'].includes(key)) fail(`directive member ${key}`);
    }
    const namespace = directive.Namespace;
    if (typeof namespace !== 'string' || !/^[0-9A-Za-z._\-/#:]{1,255}$/.test(namespace)) fail('Namespace');
    const sets = directive.Dimensions;
    if (!Array.isArray(sets) || sets.length < 1) fail('Dimensions is not a non-empty array');
    for (const set of (sets ?? []) as unknown[]) {
      if (!Array.isArray(set) || set.length > 30) fail('a DimensionSet is not an array of at most 30');
      for (const name of (set ?? []) as unknown[]) {
        if (typeof name !== 'string' || name.length < 1 || name.length > 250) fail('dimension reference');
        const target = root[name as string];
        if (typeof target !== 'string' || target.length > 1024) fail(`dimension target ${String(name)}`);
      }
    }
    const metrics = directive.Metrics;
    if (!Array.isArray(metrics) || metrics.length > 100) fail('Metrics is not an array of at most 100');
    for (const metric of (metrics ?? []) as Record<string, unknown>[]) {
      for (const key of Object.keys(metric)) {
        if (!['Name', 'Unit', 'StorageResolution'].includes(key)) fail(`metric member ${key}`);
      }
      const name = metric.Name;
      if (typeof name !== 'string' || name.length < 1 || name.length > 255) fail('metric Name');
      const target = root[name as string];
      const numbers = Array.isArray(target) ? target : [target];
      if (numbers.length < 1 || numbers.length > 100 || !numbers.every((n) => typeof n === 'number')) {
        fail(`metric target ${String(name)}`);
      }
      if (metric.Unit !== undefined && !(EMF_UNITS as readonly unknown[]).includes(metric.Unit)) fail('Unit');
      if (metric.StorageResolution !== undefined && ![1, 60].includes(metric.StorageResolution as number)) {
        fail('StorageResolution');
      }
    }
  }
  return violations;
}

describe('createEmfEvent', () => {
  it('writes one EMF document with _aws first and every target on the root', () => {
    // Act
    const event = createEmfEvent(BASIC);

    // Assess
    expect(event.timestamp).toBe(AT);
    expect(JSON.parse(event.message)).toEqual({
      _aws: {
        Timestamp: AT,
        CloudWatchMetrics: [
          {
            Namespace: 'MyApp/Checkout',
            Dimensions: [['Service', 'Operation']],
            Metrics: [
              { Name: 'Latency', Unit: 'Milliseconds' },
              { Name: 'Orders', Unit: 'Count', StorageResolution: 1 },
            ],
          },
        ],
      },
      Service: 'checkout',
      Operation: 'pay',
      Latency: 42.5,
      Orders: [1, 2, 3],
      requestId: 'r-1',
      cart: { items: 3 },
    });
    expect(event.message.startsWith('{"_aws":')).toBe(true);
    expect(specViolations(event.message)).toEqual([]);
    expect(toEmf(BASIC)).toBe(event.message);
  });

  it('writes one empty dimension set when no dimension is given', () => {
    // Act
    const document = JSON.parse(
      toEmf({ namespace: 'App', metrics: [{ name: 'Up', value: 1 }], timestamp: AT }),
    );

    // Assess
    expect(document._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    expect(document._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'Up' }]);
  });

  it('writes the dimension sets given, each naming dimensions of the event', () => {
    // Act
    const document = JSON.parse(
      toEmf({ ...BASIC, dimensionSets: [['Service'], ['Service', 'Operation'], []] }),
    );

    // Assess
    expect(document._aws.CloudWatchMetrics[0].Dimensions).toEqual([
      ['Service'],
      ['Service', 'Operation'],
      [],
    ]);
  });

  it('stamps the event now when no timestamp is given, and takes a Date', () => {
    // Prepare
    const before = Date.now();

    // Act
    const now = createEmfEvent({ namespace: 'App', metrics: [{ name: 'Up', value: 1 }] });
    const dated = createEmfEvent({
      namespace: 'App',
      metrics: [{ name: 'Up', value: 1 }],
      timestamp: new Date(AT),
    });

    // Assess
    expect(now.timestamp).toBeGreaterThanOrEqual(before);
    expect(now.timestamp).toBeLessThanOrEqual(Date.now());
    expect(JSON.parse(now.message)._aws.Timestamp).toBe(now.timestamp);
    expect(dated.timestamp).toBe(AT);
  });

  it('refuses a namespace outside the CloudWatch rules, or under AWS/', () => {
    expect(emfRefusal({ ...BASIC, namespace: '' })).toMatchObject({ code: 'CWS_EMF', field: 'namespace' });
    expect(emfRefusal({ ...BASIC, namespace: 'my app' }).message).toBe(
      'Expected `namespace` to be 1 to 255 characters of `0-9A-Za-z._-/#:`, got `my app` (string)',
    );
    expect(emfRefusal({ ...BASIC, namespace: 'n'.repeat(256) }).field).toBe('namespace');
    expect(emfRefusal({ ...BASIC, namespace: 'AWS/EC2' }).message).toContain('outside `AWS/`');
    expect(createEmfEvent({ ...BASIC, namespace: 'n'.repeat(255) }).message).toContain('n'.repeat(255));
  });

  it('refuses more than 100 metrics and none at all, and accepts exactly 100', () => {
    // Prepare
    const metrics = (n: number): EmfMetric[] =>
      Array.from({ length: n }, (_, i) => ({ name: `m${i}`, value: i }));

    // Act + Assess
    expect(specViolations(toEmf({ namespace: 'App', metrics: metrics(100), timestamp: AT }))).toEqual([]);
    expect(emfRefusal({ namespace: 'App', metrics: metrics(101) }).message).toBe(
      'Expected `metrics` to be an array of 1 to 100 metrics, got `101` (number)',
    );
    expect(emfRefusal({ namespace: 'App', metrics: [] }).field).toBe('metrics');
    expect(emfRefusal({ namespace: 'App' }).field).toBe('metrics');
  });

  it('refuses more than 30 dimensions in a set, and accepts exactly 30', () => {
    // Prepare
    const dimensions = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, `v${i}`]));
    const metrics = [{ name: 'Up', value: 1 }];

    // Act + Assess
    expect(
      specViolations(toEmf({ namespace: 'App', dimensions: dimensions(30), metrics, timestamp: AT })),
    ).toEqual([]);
    expect(emfRefusal({ namespace: 'App', dimensions: dimensions(31), metrics }).message).toContain(
      'at most 30 dimensions in one set (a count); give `dimensionSets` to split them',
    );
    // 31 dimensions are fine when no set holds more than 30 of them.
    const split = { namespace: 'App', dimensions: dimensions(31), metrics, timestamp: AT };
    const sets = [Object.keys(dimensions(30)), ['d30']];
    expect(specViolations(toEmf({ ...split, dimensionSets: sets }))).toEqual([]);
    expect(emfRefusal({ ...split, dimensionSets: [Object.keys(dimensions(31))] }).field).toBe(
      'dimensionSets[0]',
    );
  });

  it('refuses dimension sets that name unknown dimensions, repeat one, or are not arrays', () => {
    expect(emfRefusal({ ...BASIC, dimensionSets: [['Nope']] }).message).toContain('names of `dimensions`');
    expect(emfRefusal({ ...BASIC, dimensionSets: [['Service', 'Service']] }).message).toContain(
      'each name once',
    );
    expect(emfRefusal({ ...BASIC, dimensionSets: [] }).field).toBe('dimensionSets');
    expect(emfRefusal({ ...BASIC, dimensionSets: ['Service'] }).field).toBe('dimensionSets[0]');
  });

  it('refuses dimension names and values outside the Dimension rules', () => {
    const metrics = [{ name: 'Up', value: 1 }];
    expect(emfRefusal({ namespace: 'App', dimensions: { ':x': 'v' }, metrics }).field).toBe('dimensions');
    expect(emfRefusal({ namespace: 'App', dimensions: { ' ': 'v' }, metrics }).field).toBe('dimensions');
    expect(emfRefusal({ namespace: 'App', dimensions: { é: 'v' }, metrics }).field).toBe('dimensions');
    expect(emfRefusal({ namespace: 'App', dimensions: { ['d'.repeat(251)]: 'v' }, metrics }).field).toBe(
      'dimensions',
    );
    expect(emfRefusal({ namespace: 'App', dimensions: { _aws: 'v' }, metrics }).field).toBe('dimensions');
    expect(emfRefusal({ namespace: 'App', dimensions: { d: '' }, metrics }).field).toBe('dimensions.d');
    expect(emfRefusal({ namespace: 'App', dimensions: { d: 'tab\there' }, metrics }).field).toBe(
      'dimensions.d',
    );
    expect(emfRefusal({ namespace: 'App', dimensions: { d: 'v'.repeat(1025) }, metrics }).field).toBe(
      'dimensions.d',
    );
    expect(emfRefusal({ namespace: 'App', dimensions: { d: 5 }, metrics }).message).toContain(
      'got `5` (number)',
    );
    expect(
      specViolations(
        toEmf({ namespace: 'App', dimensions: { d: 'v'.repeat(1024) }, metrics, timestamp: AT }),
      ),
    ).toEqual([]);
  });

  it('refuses metric names that are empty, too long, repeated or taken by a dimension', () => {
    const base = { namespace: 'App', dimensions: { Service: 's' } };
    expect(emfRefusal({ ...base, metrics: [{ name: '', value: 1 }] }).field).toBe('metrics[0].name');
    expect(emfRefusal({ ...base, metrics: [{ name: '   ', value: 1 }] }).field).toBe('metrics[0].name');
    expect(emfRefusal({ ...base, metrics: [{ name: 'm'.repeat(256), value: 1 }] }).field).toBe(
      'metrics[0].name',
    );
    expect(emfRefusal({ ...base, metrics: [{ name: 'Service', value: 1 }] }).message).toContain(
      'not also a dimension',
    );
    expect(
      emfRefusal({
        ...base,
        metrics: [
          { name: 'a', value: 1 },
          { name: 'a', value: 2 },
        ],
      }).message,
    ).toContain('a name used once in the event');
  });

  it('refuses values that are not finite numbers within ±2^360, or too many of them', () => {
    const metric = (value: unknown) => ({ namespace: 'App', metrics: [{ name: 'm', value }] });
    expect(emfRefusal(metric(Number.NaN)).field).toBe('metrics[0].value');
    expect(emfRefusal(metric(Number.POSITIVE_INFINITY)).field).toBe('metrics[0].value');
    expect(emfRefusal(metric('5')).message).toContain('got `5` (string)');
    expect(emfRefusal(metric(2 ** 361)).field).toBe('metrics[0].value');
    expect(emfRefusal(metric([])).message).toContain('1 to 100 values (a count), got `0` (number)');
    expect(emfRefusal(metric(Array.from({ length: 101 }, () => 1))).field).toBe('metrics[0].value');
    expect(emfRefusal(metric([1, Number.NaN])).field).toBe('metrics[0].value[1]');
    expect(JSON.parse(toEmf({ ...metric([-(2 ** 360), 0, 2 ** 360]), timestamp: AT } as EmfInput)).m).toEqual(
      [-(2 ** 360), 0, 2 ** 360],
    );
  });

  it('refuses a unit outside the CloudWatch list and a resolution other than 1 or 60', () => {
    const metric = (extra: object) => ({ namespace: 'App', metrics: [{ name: 'm', value: 1, ...extra }] });
    expect(emfRefusal(metric({ unit: 'ms' })).message).toContain('one of the CloudWatch units (Seconds, ');
    expect(emfRefusal(metric({ unit: 'milliseconds' })).field).toBe('metrics[0].unit');
    expect(emfRefusal(metric({ storageResolution: 30 })).message).toBe(
      'Expected `metrics[0].storageResolution` to be 1 or 60, got `30` (number)',
    );
  });

  it('refuses properties that take a dimension’s, a metric’s or _aws’s name, or cannot be JSON', () => {
    expect(emfRefusal({ ...BASIC, properties: { Service: 'x' } }).field).toBe('properties');
    expect(emfRefusal({ ...BASIC, properties: { Latency: 1 } }).field).toBe('properties');
    expect(emfRefusal({ ...BASIC, properties: { _aws: {} } }).field).toBe('properties');
    expect(emfRefusal({ ...BASIC, properties: { big: 10n } }).message).toContain(
      'JSON-serializable values (TypeError)',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(emfRefusal({ ...BASIC, properties: { cyclic } }).field).toBe('properties');
  });

  it('refuses a timestamp that is not epoch milliseconds', () => {
    expect(emfRefusal({ ...BASIC, timestamp: 1.5 }).field).toBe('timestamp');
    expect(emfRefusal({ ...BASIC, timestamp: -1 }).field).toBe('timestamp');
    expect(emfRefusal({ ...BASIC, timestamp: new Date('nope') }).field).toBe('timestamp');
    expect(emfRefusal({ ...BASIC, timestamp: '2026-11-21' }).field).toBe('timestamp');
  });

  it('refuses an event larger than one log event may be, rather than have it cut', () => {
    // Act
    const error = emfRefusal({ ...BASIC, properties: { blob: 'x'.repeat(1_048_576) } });

    // Assess
    expect(error.field).toBe('metric');
    expect(error.message).toContain('at most 1048576 bytes as an event');
  });

  it('is a CloudWatchShipperError with its own code', () => {
    // Act
    const error = emfRefusal(null);

    // Assess
    expect(error).toBeInstanceOf(CloudWatchShipperError);
    expect(error).toMatchObject({ name: 'EmfError', code: 'CWS_EMF', field: 'metric' });
  });

  it('writes a valid document, with every value as given, for any valid metric (property)', () => {
    const ascii = fc
      .stringMatching(/^[A-Za-z0-9_.-][ -~]{0,20}$/)
      .filter((s) => s.trim() !== '' && !s.startsWith(':'));
    const finite = fc.double({ min: -(2 ** 360), max: 2 ** 360, noNaN: true });
    const metric = fc.record({
      value: fc.oneof(finite, fc.array(finite, { minLength: 1, maxLength: 100 })),
      unit: fc.option(fc.constantFrom(...EMF_UNITS), { nil: undefined }),
      storageResolution: fc.option(fc.constantFrom(1 as const, 60 as const), { nil: undefined }),
    });
    const input = fc
      .record({
        namespace: fc.stringMatching(/^[0-9A-Za-z._\-/#:]{1,255}$/).filter((n) => !n.startsWith('AWS/')),
        dimensions: fc.dictionary(
          ascii.map((k) => `d_${k}`),
          ascii,
          { maxKeys: 30 },
        ),
        metrics: fc.uniqueArray(
          fc.tuple(
            ascii.map((k) => `m_${k}`),
            metric,
          ),
          {
            minLength: 1,
            maxLength: 100,
            selector: ([name]) => name,
          },
        ),
        properties: fc.dictionary(
          ascii.map((k) => `p_${k}`),
          fc.jsonValue(),
          { maxKeys: 5 },
        ),
        timestamp: fc.integer({ min: 0, max: Date.UTC(3000, 0, 1) }),
      })
      .map(({ metrics, ...rest }) => ({
        ...rest,
        metrics: metrics.map(([name, m]) => ({ name, ...m })) as EmfMetric[],
      }));
    fc.assert(
      fc.property(input, (given) => {
        const message = toEmf(given);
        expect(specViolations(message)).toEqual([]);
        const document = JSON.parse(message);
        expect(document._aws.Timestamp).toBe(given.timestamp);
        for (const [name, value] of Object.entries(given.dimensions)) expect(document[name]).toBe(value);
        for (const m of given.metrics) expect(document[m.name]).toEqual(JSON.parse(JSON.stringify(m.value)));
        for (const [name, value] of Object.entries(given.properties)) {
          expect(document[name]).toEqual(JSON.parse(JSON.stringify(value)));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('logMetrics', () => {
  it('logs the EMF message with the metric’s timestamp, to the destination given', () => {
    // Prepare
    const calls: unknown[][] = [];
    const shipper = {
      log: (...args: unknown[]) => {
        calls.push(args);
        return false;
      },
    };

    // Act
    const toDefault = logMetrics(shipper, BASIC);
    const toStream = logMetrics(shipper, BASIC, { logStreamName: 'metrics' });

    // Assess
    expect(toDefault).toBe(false);
    expect(toStream).toBe(false);
    expect(calls).toEqual([
      [{ message: toEmf(BASIC), timestamp: AT }],
      [{ message: toEmf(BASIC), timestamp: AT }, { logStreamName: 'metrics' }],
    ]);
  });

  it('throws before logging anything when the metric is invalid', () => {
    // Prepare
    const calls: unknown[] = [];
    const shipper = {
      log: (input: unknown) => {
        calls.push(input);
        return true;
      },
    };

    // Act + Assess
    expect(() => logMetrics(shipper, { ...BASIC, namespace: 'AWS/Lambda' })).toThrow(EmfError);
    expect(calls).toEqual([]);
  });

  it('ships a metric through a real LogShipper to the local endpoint, stored as valid EMF', async () => {
    // Prepare
    const cwl = await startEndpoint();
    await createGroup(cwl);
    const shipper = shipperFor(cwl);
    const now = Date.now();
    const metric: EmfInput = { ...BASIC, timestamp: now - 1000 };

    // Act
    logMetrics(shipper, metric);
    shipper.log({ message: 'a plain line between metrics', timestamp: now - 500 });
    logMetrics(shipper, { ...metric, timestamp: now }, { logStreamName: 'metrics' });
    const closed = await shipper.close();

    // Assess
    expect(closed).toEqual({ complete: true, dropped: 0 });
    expectSettled(shipper, cwl);
    const stored = cwl.events(GROUP, 'default');
    expect(stored.map((e) => e.timestamp)).toEqual([now - 1000, now - 500]);
    const emf = stored[0]?.message as string;
    expect(specViolations(emf)).toEqual([]);
    expect(JSON.parse(emf)._aws.Timestamp).toBe(now - 1000);
    expect(JSON.parse(emf).Latency).toBe(42.5);
    const other = cwl.events(GROUP, 'metrics');
    expect(other).toHaveLength(1);
    expect(specViolations(other[0]?.message as string)).toEqual([]);
    expect(other[0]?.timestamp).toBe(now);
  });
});
