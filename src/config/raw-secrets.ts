import { parseDocument } from 'yaml';
import { MIN_SECRET_LENGTH } from '../lib/index.js';
import { SECRET_KEYS } from './schema.js';

/** Pieces of a URL that are worth hiding when the URL does not parse: a webhook token is long and random. */
const MIN_URL_PIECE = 12;
/** A string that holds a URL, well-formed or not (`https://discord.com/api/webhooks/1/tok en`, `discord://…`). */
const URL_LIKE = /[a-z][a-z0-9+.-]*:\/\//i;

/** The userinfo, path segments and query values of a URL-like string, split by hand so a malformed one gives its pieces too. */
function urlPieces(text: string): string[] {
  const afterScheme = text.slice(text.search(URL_LIKE)).replace(URL_LIKE, '');
  return afterScheme
    .split(/[/?&=#@:\s]+/)
    .map((p) => p.trim())
    .filter((p) => p.length >= MIN_URL_PIECE);
}

/**
 * Every value of a config's text that could be a secret, read from the YAML alone, without the schema: the values
 * of secret keys (password, apiKey, apiSecret, token…), and every URL-like string with its long pieces. For the
 * configs that do not load (a malformed webhook URL, a typo elsewhere): their secrets must be hidden too, and the
 * loader's list exists only for a valid config. Never throws; a text that is not YAML gives what its lines show.
 */
export function secretsInConfigText(text: string): string[] {
  const out = new Set<string>();
  const add = (v: string): void => {
    const t = v.trim();
    if (t.length >= MIN_SECRET_LENGTH) out.add(t);
  };
  const visit = (node: unknown, key: string | null): void => {
    if (typeof node === 'string' || typeof node === 'number') {
      const value = String(node);
      if (key !== null && SECRET_KEYS.has(key)) add(value);
      if (URL_LIKE.test(value)) {
        add(value);
        for (const p of urlPieces(value)) add(p);
      }
      return;
    }
    if (Array.isArray(node)) for (const n of node) visit(n, key);
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) visit(v, k);
  };
  try {
    // Aliases are not expanded past a small count: this reads hostile files too.
    // failsafe: every scalar stays the text it was written as (`apiSecret: 0123` is not the number 123).
    visit(parseDocument(text, { uniqueKeys: false, schema: 'failsafe' }).toJS({ maxAliasCount: 100 }), null);
  } catch {
    // Not YAML at all: take `key: value` lines and URL-like words as they are.
    for (const line of text.split(/\r?\n/)) {
      const m = /^\s*-?\s*([A-Za-z_]+)\s*:\s*(.+?)\s*$/.exec(line);
      if (m && SECRET_KEYS.has(m[1] as string)) add((m[2] as string).replace(/^["']|["']$/g, ''));
      for (const word of line.split(/\s+/)) if (URL_LIKE.test(word)) for (const p of [word, ...urlPieces(word)]) add(p);
    }
  }
  return [...out];
}
