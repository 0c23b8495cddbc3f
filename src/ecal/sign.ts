import { createHash } from 'node:crypto';

/** The query parameter that carries the signature; never part of what is signed. */
export const SIGN_PARAM = 'apiSign';

/**
 * PHP's ksort compares keys as byte strings; JavaScript's default sort compares UTF-16 code units,
 * which disagrees for characters beyond the BMP. Comparing UTF-8 bytes matches the server for any key.
 */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function signedKeys(params: Record<string, string>): string[] {
  return Object.keys(params)
    .filter((k) => k !== SIGN_PARAM)
    .sort(byteOrder);
}

/**
 * ECAL's apiSign: md5 hex of SECRET + every (key + value) except apiSign, sorted by key, + the raw body.
 * `rawBody` must be the exact text sent (POST/PUT); values are signed raw, before URL encoding.
 */
export function ecalSign(secret: string, params: Record<string, string>, rawBody = ''): string {
  const hash = createHash('md5');
  hash.update(secret, 'utf8');
  for (const key of signedKeys(params)) {
    hash.update(key, 'utf8');
    hash.update(params[key] ?? '', 'utf8');
  }
  hash.update(rawBody, 'utf8');
  return hash.digest('hex');
}

/**
 * The query string of a signed request: the parameters in signing order, then apiSign, all URL-encoded.
 * encodeURIComponent (space as %20, not +) so any server decodes the values to what was signed.
 */
export function signedQuery(secret: string, params: Record<string, string>, rawBody = ''): string {
  const sign = ecalSign(secret, params, rawBody);
  return [...signedKeys(params).map((k) => [k, params[k] ?? ''] as const), [SIGN_PARAM, sign] as const]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Every UTF-16 code unit outside printable ASCII that JSON.stringify leaves raw (it escapes C0 itself). */
const NON_ASCII = /[\u007f-\uffff]/g;

/**
 * The JSON text of `value` in ASCII only: every non-ASCII character as a `\uXXXX` escape (lower-case hex,
 * surrogate pairs as two escapes), as Python's `json.dumps` does by default. Every known working ECAL client
 * sends and signs such bodies; raw UTF-8 is not known to verify (reference/ecal.md, "Facts found in 2026").
 * It is the same JSON: any parser reads back the same value.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(NON_ASCII, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
