/** Shortest secret worth redacting: shorter values (e.g. "1") would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[REDACTED]';

/** A secret as an HTML page or attribute shows it (`&` `<` `>` `"` `'` escaped). */
const htmlEscaped = (s: string): string[] => {
  const base = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return [base.replace(/"/g, '&quot;').replace(/'/g, '&#39;'), base.replace(/"/g, '&quot;').replace(/'/g, '&#x27;')];
};

/**
 * The parts of base64 texts that encode `s` wherever it sits in the encoded bytes (three alignments): a secret
 * inside `Authorization: Basic base64(user:password)` quoted by an error shows as one of these. Only the whole
 * 4-character groups made of the secret's bytes alone are certain, so short secrets give nothing (too short
 * a core would mangle ordinary text).
 */
const MIN_BASE64_CORE = 8;
function base64Cores(s: string): string[] {
  const bytes = Buffer.from(s, 'utf8');
  const out: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const padded = Buffer.concat([Buffer.alloc(lead), bytes]);
    const end = Math.floor(padded.length / 3) * 4;
    const start = lead === 0 ? 0 : 4;
    for (const enc of [padded.toString('base64'), padded.toString('base64url')]) {
      const core = enc.slice(start, end);
      if (core.length >= MIN_BASE64_CORE) out.push(core);
    }
  }
  return out;
}

/**
 * Returns a function that replaces every known secret value in a text, in every form a text may hold it: raw,
 * URL-encoded (both spellings of a space), JSON-escaped, HTML-escaped and base64 (any alignment).
 * Secrets come from the config module's list; longest first so a secret containing another is hidden whole.
 */
export function makeRedactor(secrets: Iterable<string>): (text: string) => string {
  const variants = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) continue;
    variants.add(s);
    variants.add(encodeURIComponent(s));
    variants.add(new URLSearchParams({ s }).toString().slice(2));
    // As it reads inside JSON text (a quote, a backslash or a control character escaped): the API checks
    // pages the database serialised, and a JSON log line holds secrets in this form.
    variants.add(JSON.stringify(s).slice(1, -1));
    for (const v of htmlEscaped(s)) variants.add(v);
    for (const v of base64Cores(s)) variants.add(v);
  }
  const ordered = [...variants].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    // includes() first: most texts hold no secret, and a search is far cheaper than split + join.
    for (const v of ordered) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}
