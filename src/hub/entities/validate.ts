/** Small syntactic checks NGSI-LD asks of ids, names and timestamps. */
/* eslint-disable no-control-regex -- these patterns exist to reject control characters */

// RFC 3986 scheme, then no whitespace, quotes, angle brackets or other characters a URI cannot hold.
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]*$/;

export function isUri(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 2048 && URI.test(s) && !/[\u0000-\u001f\u007f]/.test(s);
}

// NGSI-LD 1.8 §4.6.2: names must not contain these characters (they break the query languages).
const FORBIDDEN_NAME = /[\u0000-\u0020<>"'=;()\u007f]/;

export function isValidName(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= 512 && !FORBIDDEN_NAME.test(s);
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 date-time with a time zone, normalised to UTC (`…Z`), or undefined if invalid. */
export function normaliseDateTime(s: unknown): string | undefined {
  if (typeof s !== 'string' || !DATE_TIME.test(s)) return undefined;
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString();
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
