/**
 * Every error this library creates is branded with a `Symbol.for` key per class, so that
 * `instanceof` holds across the ESM and CommonJS copies of the package loaded into one process.
 * A subclass's prototype inherits its parents' brands, so an instance answers to each of them.
 * @internal
 */
export function brand(target: { readonly brand: symbol; readonly prototype: object }): void {
  Object.defineProperty(target.prototype, target.brand, { value: true });
}

/** Base of every error this library creates: a `code` to match on, and the `cause` passed through. */
export class CloudWatchShipperError extends Error {
  static readonly brand: symbol = Symbol.for('cloudwatch-shipper.CloudWatchShipperError');
  static {
    brand(CloudWatchShipperError);
  }

  readonly code: string;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CloudWatchShipperError';
    this.code = options?.code ?? 'CWS_ERROR';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of `instanceof`, a subclass too.
    const brandKey = this.brand;
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brandKey] === true
    );
  }
}

/** A bad option given to a constructor: names the option, the value and what is allowed. */
export class ConfigError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.ConfigError');
  static {
    brand(ConfigError);
  }

  /** The option's name, such as `retry.maxDelayMs`. */
  readonly option: string;

  constructor(option: string, value: unknown, expected: string) {
    super(`Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, { code: 'CWS_CONFIG' });
    this.name = 'ConfigError';
    this.option = option;
  }
}

/** `value (type)`, short enough for an error message and never a whole object. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `\`${shown}\` (string)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `\`${String(value)}\` (${typeof value})`;
  }
  if (value === null) return '`null`';
  if (value === undefined) return '`undefined`';
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}

/**
 * A metric that cannot be written as a valid Embedded Metric Format event: names the field, the
 * value and what the format allows.
 */
export class EmfError extends CloudWatchShipperError {
  static override readonly brand: symbol = Symbol.for('cloudwatch-shipper.EmfError');
  static {
    brand(EmfError);
  }

  /** The field's path in the metric given, such as `metrics[2].unit`. */
  readonly field: string;

  constructor(field: string, value: unknown, expected: string) {
    super(`Expected \`${field}\` to be ${expected}, got ${describeValue(value)}`, { code: 'CWS_EMF' });
    this.name = 'EmfError';
    this.field = field;
  }
}
