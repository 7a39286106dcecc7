import { ApiError } from './protocol.js';

/**
 * How far a request's signing time may be from the endpoint's clock. AWS answers requests signed
 * more than 5 minutes before or after its own time with `InvalidSignatureException`, in these words
 * (as clients have reported them for years, e.g. "Signature expired: 20160610T180547Z is now earlier
 * than 20160610T180612Z (20160610T181112Z - 5 min.)" and "Signature not yet current:
 * 20181017T093750Z is still later than 20181017T093639Z (20181017T093139Z + 5 min.)"), with its own
 * time in the `Date` header, from which the SDK corrects its clock offset.
 */
export const MAX_SIGNING_SKEW_MS = 5 * 60 * 1000;

/** `X-Amz-Date`, the SigV4 signing time: `YYYYMMDDTHHMMSSZ`. */
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function parseAmzDate(value: string): number | undefined {
  const match = AMZ_DATE.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const ms = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  return Number.isNaN(ms) ? undefined : ms;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * The error for a request signed at `signedMs` when the endpoint's clock reads `nowMs`, or
 * `undefined` when the signing time is close enough.
 */
export function signingTimeError(signedMs: number, nowMs: number): ApiError | undefined {
  if (signedMs < nowMs - MAX_SIGNING_SKEW_MS) {
    return new ApiError(
      'InvalidSignatureException',
      `Signature expired: ${formatAmzDate(signedMs)} is now earlier than ${formatAmzDate(nowMs - MAX_SIGNING_SKEW_MS)} ` +
        `(${formatAmzDate(nowMs)} - 5 min.)`,
    );
  }
  if (signedMs > nowMs + MAX_SIGNING_SKEW_MS) {
    return new ApiError(
      'InvalidSignatureException',
      `Signature not yet current: ${formatAmzDate(signedMs)} is still later than ${formatAmzDate(nowMs + MAX_SIGNING_SKEW_MS)} ` +
        `(${formatAmzDate(nowMs)} + 5 min.)`,
    );
  }
  return undefined;
}
