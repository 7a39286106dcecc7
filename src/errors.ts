const kBrand = Symbol.for('cloudwatch-shipper.error');
const kConfigBrand = Symbol.for('cloudwatch-shipper.config-error');

/**
 * Base of every error this library creates. Branded with `Symbol.for` so that `instanceof`
 * holds across the ESM and CommonJS copies of the package loaded into one process.
 */
export class CloudWatchShipperError extends Error {
  readonly code: string;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CloudWatchShipperError';
    this.code = options?.code ?? 'CWS_ERROR';
  }

  get [kBrand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }
}

/** A bad option given to a constructor: names the option, the value and what is allowed. */
export class ConfigError extends CloudWatchShipperError {
  readonly option: string;

  constructor(option: string, value: unknown, expected: string) {
    super(`Expected \`${option}\` to be ${expected}, got ${describeValue(value)}`, { code: 'CWS_CONFIG' });
    this.name = 'ConfigError';
    this.option = option;
  }

  get [kConfigBrand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kConfigBrand] === true
    );
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
