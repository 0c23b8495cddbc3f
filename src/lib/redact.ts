/** Shortest secret worth redacting: shorter values (e.g. "1") would mangle ordinary text. */
export const MIN_SECRET_LENGTH = 4;
export const REDACTED = '[REDACTED]';

/**
 * Returns a function that replaces every known secret value (and its URL-encoded form) in a text.
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
