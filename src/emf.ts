/**
 * Metrics through logs: one typed call turns a metric into an Embedded Metric Format (EMF) event,
 * and {@link logMetrics} logs it through a shipper like any other line. CloudWatch extracts the
 * metrics from the stored event: no PutMetricData call, no extra permission.
 *
 * The rules applied, and their sources:
 * - "Specification: Embedded metric format" (CloudWatch User Guide,
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 *   the root is a JSON object with `_aws` holding `Timestamp` (epoch milliseconds, an integer in
 *   its JSON schema) and `CloudWatchMetrics` (MetricDirectives); a directive has `Namespace`,
 *   `Dimensions` (at least one DimensionSet; a set MAY be empty and MUST NOT hold more than 30
 *   keys, each 1–250 characters) and `Metrics` (at most 100 MetricDefinitions: `Name`, an
 *   optional `Unit` from the MetricDatum list, an optional `StorageResolution` of 1 or 60); a
 *   dimension's target member is a string of at most 1024 characters; a metric's target member is
 *   a number or an array of at most 100 numbers; targets are root members, not nested.
 * - CloudWatch concepts, "Namespaces": 1–255 ASCII characters of `0-9A-Za-z . - _ / # :`, at
 *   least one of them not whitespace; PutMetricData: a namespace should not begin with `AWS/`.
 * - MetricDatum: `MetricName` 1–255 characters; values within ±2^360, no NaN or infinities.
 * - Dimension: names and values are ASCII without control characters, with at least one
 *   character that is not whitespace; a name does not start with `:`; values 1–1024 characters.
 *
 * Is the `x-amzn-logs-format: json/emf` header needed? No, not today. The User Guide page "Using
 * the PutLogEvents API to send manually-created embedded metric format logs"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Generation_PutLogEvents.html)
 * now says: "When calling PutLogEvents, you have the option to include the following HTTP header,
 * which tells CloudWatch Logs the metrics should be extracted, but it's not required." Earlier
 * versions of that page and of the specification said clients "MUST"/"need to" send it; the
 * current specification no longer mentions the header. This library does not send it, so EMF
 * events can share a PutLogEvents batch with any other line.
 */
import { EmfError } from './errors.js';
import { EVENT_OVERHEAD_BYTES, MAX_EVENT_BYTES } from './limits.js';

/** The units CloudWatch metrics accept (MetricDatum `Unit`). */
export const EMF_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;
export type EmfUnit = (typeof EMF_UNITS)[number];

export const EMF_MAX_METRICS = 100;
export const EMF_MAX_DIMENSIONS_PER_SET = 30;
export const EMF_MAX_VALUES_PER_METRIC = 100;
const MAX_NAMESPACE_LENGTH = 255;
const MAX_METRIC_NAME_LENGTH = 255;
const MAX_DIMENSION_NAME_LENGTH = 250;
const MAX_DIMENSION_VALUE_LENGTH = 1024;
/** MetricDatum: "Values must be in the range of -2^360 to 2^360". */
const MAX_METRIC_MAGNITUDE = 2 ** 360;
const NAMESPACE_PATTERN = /^[0-9A-Za-z._\-/#:]+$/;
/** Printable ASCII: no control characters, nothing outside ASCII. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** One metric: its name, its value (or up to 100 values) and, optionally, unit and resolution. */
export interface EmfMetric {
  /** 1–255 characters, unique in the event, not also a dimension or property name. */
  readonly name: string;
  /** A finite number, or 1 to 100 of them (each one a data point). */
  readonly value: number | readonly number[];
  /** @default 'None' (as the service assumes) */
  readonly unit?: EmfUnit;
  /** 1 for a high-resolution metric, 60 for standard. @default 60 (as the service assumes) */
  readonly storageResolution?: 1 | 60;
}

export interface EmfInput {
  /** The CloudWatch namespace, such as `MyApp/Checkout`. */
  readonly namespace: string;
  /**
   * Dimension names and values, written as root members. By default all of them form the one
   * dimension set of every metric (none: metrics with no dimensions).
   */
  readonly dimensions?: Readonly<Record<string, string>>;
  /**
   * Several dimension sets, each a list of names from `dimensions` (at most 30 per set; a set
   * may be empty): each set publishes the metrics once more, under that combination.
   * @default [every name of `dimensions`]
   */
  readonly dimensionSets?: readonly (readonly string[])[];
  /** 1 to 100 metrics. */
  readonly metrics: readonly EmfMetric[];
  /** More root members, searchable in Logs Insights but not metrics: any JSON values. */
  readonly properties?: Readonly<Record<string, unknown>>;
  /**
   * When the metrics were measured; also the log event's timestamp.
   * @default Date.now()
   */
  readonly timestamp?: number | Date;
}

/** The one method of a shipper that {@link logMetrics} needs (`LogShipper` has it). */
export interface MetricsLogger {
  log(
    input: unknown,
    destination?: { readonly logGroupName?: string; readonly logStreamName?: string },
  ): boolean;
}

/** An EMF event: the JSON message and the timestamp to log it with (the same as `_aws.Timestamp`). */
export interface EmfEvent {
  readonly message: string;
  readonly timestamp: number;
}

/**
 * Validates `input` and writes it as one EMF event. Throws an {@link EmfError} naming the first
 * field that breaks a rule of the format.
 */
export function createEmfEvent(input: EmfInput): EmfEvent {
  if (typeof input !== 'object' || input === null) throw new EmfError('metric', input, 'an object');
  const timestamp = checkTimestamp(input.timestamp);
  const namespace = checkNamespace(input.namespace);
  const dimensions = checkDimensions(input.dimensions);
  const dimensionSets = checkDimensionSets(input.dimensionSets, dimensions);
  const { definitions, values } = checkMetrics(input.metrics, dimensions);
  const properties = checkProperties(input.properties, dimensions, values);
  const document = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: dimensionSets, Metrics: definitions }],
    },
    ...dimensions,
    ...values,
    ...properties,
  };
  let message: string;
  try {
    message = JSON.stringify(document);
  } catch (error) {
    // A BigInt, a cycle or a throwing toJSON in `properties`: everything else was checked.
    throw new EmfError('properties', input.properties, `JSON-serializable values (${(error as Error).name})`);
  }
  const bytes = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
  if (bytes > MAX_EVENT_BYTES) {
    // The shipper would truncate or split it, and half a JSON document is no metric.
    throw new EmfError(
      'metric',
      bytes,
      `at most ${MAX_EVENT_BYTES} bytes as an event (message + 26), in bytes`,
    );
  }
  return { message, timestamp };
}

/** {@link createEmfEvent}'s message alone: the EMF document as a JSON string. */
export function toEmf(input: EmfInput): string {
  return createEmfEvent(input).message;
}

/**
 * Logs `metric` as one EMF event through `shipper`, stamped with the metric's timestamp, to the
 * shipper's default destination or to `destination`. Returns what `log()` returns (false: the
 * buffer is past its high-water mark). Throws an {@link EmfError} for a metric the format cannot
 * carry, before anything is logged.
 */
export function logMetrics(
  shipper: MetricsLogger,
  metric: EmfInput,
  destination?: { readonly logGroupName?: string; readonly logStreamName?: string },
): boolean {
  const event = createEmfEvent(metric);
  const input = { message: event.message, timestamp: event.timestamp };
  return destination === undefined ? shipper.log(input) : shipper.log(input, destination);
}

function checkTimestamp(value: unknown): number {
  if (value === undefined) return Date.now();
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) {
    throw new EmfError('timestamp', value, 'epoch milliseconds (an integer >= 0) or a valid Date');
  }
  return ms;
}

function checkNamespace(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length < 1 ||
    value.length > MAX_NAMESPACE_LENGTH ||
    !NAMESPACE_PATTERN.test(value)
  ) {
    throw new EmfError('namespace', value, `1 to ${MAX_NAMESPACE_LENGTH} characters of \`0-9A-Za-z._-/#:\``);
  }
  if (value.startsWith('AWS/'))
    throw new EmfError('namespace', value, 'a namespace outside `AWS/` (kept for AWS services)');
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAsciiText(value: string, maxLength: number): boolean {
  return value.length <= maxLength && PRINTABLE_ASCII.test(value) && value.trim() !== '';
}

function checkDimensions(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new EmfError('dimensions', value, 'an object of dimension names to values');
  const entries = Object.entries(value);
  for (const [name, dimension] of entries) {
    if (name === '_aws' || !isAsciiText(name, MAX_DIMENSION_NAME_LENGTH) || name.startsWith(':')) {
      throw new EmfError(
        'dimensions',
        name,
        `dimension names of 1 to ${MAX_DIMENSION_NAME_LENGTH} printable ASCII characters, not all spaces, not starting with \`:\`, not \`_aws\``,
      );
    }
    if (typeof dimension !== 'string' || !isAsciiText(dimension, MAX_DIMENSION_VALUE_LENGTH)) {
      throw new EmfError(
        `dimensions.${name}`,
        dimension,
        `a string of 1 to ${MAX_DIMENSION_VALUE_LENGTH} printable ASCII characters, not all spaces`,
      );
    }
  }
  return Object.fromEntries(entries as [string, string][]);
}

function checkDimensionSets(value: unknown, dimensions: Record<string, string>): string[][] {
  const names = Object.keys(dimensions);
  if (value === undefined) {
    if (names.length > EMF_MAX_DIMENSIONS_PER_SET) {
      throw new EmfError(
        'dimensions',
        names.length,
        `at most ${EMF_MAX_DIMENSIONS_PER_SET} dimensions in one set (a count); give \`dimensionSets\` to split them`,
      );
    }
    return [names];
  }
  if (!Array.isArray(value) || value.length === 0) {
    throw new EmfError(
      'dimensionSets',
      value,
      'a non-empty array of dimension sets (arrays of dimension names)',
    );
  }
  return value.map((set: unknown, i) => {
    const field = `dimensionSets[${i}]`;
    if (!Array.isArray(set)) throw new EmfError(field, set, 'an array of dimension names');
    if (set.length > EMF_MAX_DIMENSIONS_PER_SET) {
      throw new EmfError(
        field,
        set.length,
        `at most ${EMF_MAX_DIMENSIONS_PER_SET} dimension names (a count)`,
      );
    }
    const seen = new Set<string>();
    for (const name of set as unknown[]) {
      if (typeof name !== 'string' || !Object.hasOwn(dimensions, name)) {
        throw new EmfError(field, name, 'names of `dimensions`');
      }
      if (seen.has(name)) throw new EmfError(field, name, 'each name once');
      seen.add(name);
    }
    return [...(set as string[])];
  });
}

function checkMetrics(
  value: unknown,
  dimensions: Record<string, string>,
): {
  definitions: { Name: string; Unit?: EmfUnit; StorageResolution?: 1 | 60 }[];
  values: Record<string, unknown>;
} {
  if (!Array.isArray(value) || value.length < 1 || value.length > EMF_MAX_METRICS) {
    throw new EmfError(
      'metrics',
      Array.isArray(value) ? value.length : value,
      `an array of 1 to ${EMF_MAX_METRICS} metrics`,
    );
  }
  const definitions: { Name: string; Unit?: EmfUnit; StorageResolution?: 1 | 60 }[] = [];
  const values: [string, number | number[]][] = [];
  const names = new Set<string>();
  value.forEach((metric: unknown, i) => {
    const field = `metrics[${i}]`;
    if (!isRecord(metric)) throw new EmfError(field, metric, 'an object with `name` and `value`');
    const { name, value: data, unit, storageResolution } = metric;
    if (
      typeof name !== 'string' ||
      name.length < 1 ||
      name.length > MAX_METRIC_NAME_LENGTH ||
      name.trim() === ''
    ) {
      throw new EmfError(`${field}.name`, name, `1 to ${MAX_METRIC_NAME_LENGTH} characters, not all spaces`);
    }
    if (name === '_aws' || Object.hasOwn(dimensions, name)) {
      throw new EmfError(`${field}.name`, name, 'a name that is not also a dimension (nor `_aws`)');
    }
    if (names.has(name)) throw new EmfError(`${field}.name`, name, 'a name used once in the event');
    names.add(name);
    values.push([name, checkValue(`${field}.value`, data)]);
    if (unit !== undefined && !(EMF_UNITS as readonly unknown[]).includes(unit)) {
      throw new EmfError(`${field}.unit`, unit, `one of the CloudWatch units (${EMF_UNITS.join(', ')})`);
    }
    if (storageResolution !== undefined && storageResolution !== 1 && storageResolution !== 60) {
      throw new EmfError(`${field}.storageResolution`, storageResolution, '1 or 60');
    }
    definitions.push({
      Name: name,
      ...(unit === undefined ? {} : { Unit: unit as EmfUnit }),
      ...(storageResolution === undefined ? {} : { StorageResolution: storageResolution }),
    });
  });
  return { definitions, values: Object.fromEntries(values) };
}

function checkValue(field: string, value: unknown): number | number[] {
  const valid = (n: unknown): n is number =>
    typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= MAX_METRIC_MAGNITUDE;
  if (valid(value)) return value;
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > EMF_MAX_VALUES_PER_METRIC) {
      throw new EmfError(field, value.length, `1 to ${EMF_MAX_VALUES_PER_METRIC} values (a count)`);
    }
    value.forEach((n: unknown, i) => {
      if (!valid(n)) throw new EmfError(`${field}[${i}]`, n, 'a finite number within ±2^360');
    });
    return [...(value as number[])];
  }
  throw new EmfError(field, value, 'a finite number within ±2^360, or an array of 1 to 100 of them');
}

function checkProperties(
  value: unknown,
  dimensions: Record<string, string>,
  metrics: Record<string, unknown>,
): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new EmfError('properties', value, 'an object of more root members');
  const entries = Object.entries(value);
  for (const [name] of entries) {
    if (name === '_aws' || Object.hasOwn(dimensions, name) || Object.hasOwn(metrics, name)) {
      throw new EmfError('properties', name, 'names that are not `_aws`, a dimension or a metric');
    }
  }
  return Object.fromEntries(entries);
}
