/**
 * Apprise's URL grammar, one parser for every service: `schema://[user[:password]@]host[:port][/path…][?options]`.
 * What each piece means is decided per service (apprise.ts); this module only splits a URL the way Apprise does
 * (caronc/apprise 1.13, read and restated, not copied):
 * - `apprise/plugins/__init__.py` url_to_dict: `/#` is read as `/%23` before parsing, so `slack://…/#channel` keeps
 *   its channel; the schema is 1–32 letters and digits.
 * - `apprise/utils/parse.py` parse_url: everything before the first `?` is the authority and path; the user is
 *   what comes before `@`, the password what follows the first `:` in it; a port is digits after the last `:`.
 * - `apprise/utils/parse.py` parse_qsd: options split on `&` and `;`; names are lower-cased for lookup, values
 *   percent-decoded and trimmed, a `+` in a value stays a `+`; a name starting with `+` (or a space, which is what
 *   a `+` becomes once decoded), `-` or `:` is also kept as written, without that mark, in its own map (headers,
 *   query parameters, payload fields for json/form/xml).
 * - `apprise/url.py` post_process_parse_url_results: a schema ending in `s` is the secure one; `?user=`,
 *   `?pass=`/`?password=` and `?port=` override the URL's own; with `?user=` and no password, the URL's user
 *   becomes the password (`mailtos://PASSWORD@host?user=me@example.com`).
 * - `apprise/url.py` split_path: path tokens split on `/`, `\`, `,` and white space, empty ones dropped, decoded.
 * Where Apprise would silently lose part of a URL (a second `@`, a second `:` in the user part, a bare `#`), this
 * parser refuses it instead and says how to write it.
 */
import { localText, renderText, verbatim, type LocalText, type TextParam } from '../lib/index.js';

export class AppriseUrlError extends Error {
  /** The message for a person in another language (absent: the English one as it is). */
  readonly text: LocalText;
  constructor(message: string, text?: LocalText) {
    super(message);
    this.text = text ?? verbatim(message);
  }
}

/** What a service's URL lacks or gets wrong: `configErrors.apprise.<key>` (said inside `failed`, with the scheme and an example). */
export const why = (key: string, params?: Record<string, TextParam>): LocalText => localText(`configErrors.apprise.${key}`, params);
/** Throws a service's complaint about its URL. */
export type Fail = (why: LocalText) => never;

/** An AppriseUrlError worded by `configErrors.apprise.<key>`: English message, text for other languages. */
export function urlError(key: string, params?: Record<string, TextParam>): AppriseUrlError {
  const text = why(key, params);
  return new AppriseUrlError(renderText(text, 'en'), text);
}

export interface AppriseUrlParts {
  /** Lower-cased. */
  schema: string;
  /** The schema ends in `s` (`mailtos`, `jsons`, `ntfys`…). */
  secure: boolean;
  user?: string;
  password?: string;
  /** Percent-decoded; may be empty (`discord://` takes the webhook id from here). */
  host: string;
  port?: number;
  /** The path re-encoded as Apprise keeps it (see quotePath), doubled slashes collapsed; '' when none. */
  fullpath: string;
  /** Path tokens, decoded. */
  path: string[];
  /** Every option, names lower-cased. Includes the `+`/`-`/`:` ones under their marked names. */
  qsd: Record<string, string>;
  /** `?+Name=value`: names as written (HTTP or email headers). */
  add: Record<string, string>;
  /** `?-name=value`: names as written (query parameters of json/form/xml). */
  del: Record<string, string>;
  /** `?:name=value`: names as written (payload fields of json/form/xml). */
  colon: Record<string, string>;
}

const SCHEMA = /^\s*([a-z0-9]{1,32}):\/\//i;
const PATH_SPLIT = /[ \t\r\n,\\/]+/;

/** The scheme as written, for error messages, without ever echoing tokens or passwords. */
export function schemeOf(raw: string): string | undefined {
  return /^\s*([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
}

export function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * parse.py keeps the path as quote(unquote(path)) with `/:@!$&'()*+=` left as they are (URL_PATH_SAFE_CHARS),
 * so `%2F` is a separator and `,`/`;` stay encoded.
 */
function quotePath(path: string): string {
  return path.replace(/[^A-Za-z0-9_.~\-/:@!$&'()*+=]/gu, (c) => encodeURIComponent(c));
}

/** Apprise's split_path: tokens split on `/`, `\`, `,` and white space, decoded, empty ones dropped. */
export function splitPath(path: string): string[] {
  return path.replace(/^\/+/, '').split(PATH_SPLIT).filter(Boolean).map(decode);
}

/** Apprise's parse_list for option values (`to=a,b c`): split on `,`, `;`, brackets and white space. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '').split(/[[\];,\s]+/).filter(Boolean);
}

/**
 * Apprise's parse_bool (apprise/utils/parse.py): judged by the first two letters, so `no…`, `n`, `of…`, `0…`,
 * `ne…`, `di…`, `de…`, `fa…`, `f` are false and `ye…`, `y`, `tr…`, `t`, `on…`, `1…`, `al…`, `en…` are true; anything else: the default.
 */
export function parseBool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const two = value.toLowerCase().slice(0, 2);
  if (['de', 'di', 'ne', 'f', 'n', 'no', 'of', '0', 'fa'].includes(two)) return false;
  if (['en', 'al', 't', 'y', 'ye', 'on', '1', 'tr'].includes(two)) return true;
  return fallback;
}

function parseQuery(query: string): Pick<AppriseUrlParts, 'qsd' | 'add' | 'del' | 'colon'> {
  const out = { qsd: {} as Record<string, string>, add: {} as Record<string, string>, del: {} as Record<string, string>, colon: {} as Record<string, string> };
  for (const pair of query.split(/[&;]/)) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    // The first character may be the `+` of a header; a `+` later in a name is a space, as in forms.
    const key = decode(rawKey.slice(0, 1) + rawKey.slice(1).replace(/\+/g, ' '));
    const value = decode(rawValue).trim();
    out.qsd[key.toLowerCase().trim()] = value;
    const mark = key.slice(0, 1);
    const name = key.slice(1).trim();
    if (mark === '+' || mark === ' ') out.add[name] = value;
    else if (mark === '-') out.del[name] = value;
    else if (mark === ':') out.colon[name] = value;
  }
  return out;
}

/** Splits an Apprise URL; throws AppriseUrlError naming the scheme and what is wrong, never a secret. */
export function parseAppriseParts(raw: string): AppriseUrlParts {
  const url = raw.trim().replace(/\/#/g, '/%23');
  const m = SCHEMA.exec(url);
  if (!m?.[1]) throw urlError('notUrl');
  const schema = m[1].toLowerCase();
  const rest = url.slice(m[0].length).replace(/^[/\\]+/, '');
  const qAt = rest.indexOf('?');
  const beforeQuery = qAt === -1 ? rest : rest.slice(0, qAt);
  if (beforeQuery.includes('#')) {
    throw urlError('hash', { scheme: schema });
  }
  const slash = beforeQuery.search(/[/\\]/);
  const authority = slash === -1 ? beforeQuery : beforeQuery.slice(0, slash);
  const rawPath =
    slash === -1
      ? ''
      : quotePath(
          decode(
            beforeQuery
              .slice(slash)
              .replace(/\\/g, '/')
              .replace(/\/{2,}/g, '/'),
          ),
        );
  const ats = authority.split('@');
  if (ats.length > 2) throw urlError('ats', { scheme: schema });
  const userinfo = ats.length === 2 ? ats[0] : undefined;
  const hostPort = ats.length === 2 ? (ats[1] as string) : (ats[0] as string);
  const parts: AppriseUrlParts = {
    schema,
    secure: schema.endsWith('s'),
    host: '',
    fullpath: rawPath,
    path: splitPath(rawPath),
    ...parseQuery(qAt === -1 ? '' : rest.slice(qAt + 1)),
  };
  if (userinfo !== undefined) {
    const colons = userinfo.split(':');
    if (colons.length > 2) throw urlError('colons', { scheme: schema });
    parts.user = decode(colons[0] as string);
    if (colons.length === 2) parts.password = decode(colons[1] as string);
  }
  const pm = /^(\[[0-9a-f:.]+\]|[^:]*):([^:]*)$/i.exec(hostPort);
  parts.host = decode(pm ? (pm[1] as string) : hostPort);
  if (pm) parts.port = parsePort(schema, pm[2] as string);
  const q = parts.qsd;
  if (q.user !== undefined) {
    if (parts.password === undefined && parts.user !== undefined) parts.password = parts.user;
    parts.user = q.user;
  }
  const password = q.password ?? q.pass;
  if (password !== undefined) parts.password = password;
  if (q.port !== undefined && q.port !== '') parts.port = parsePort(schema, q.port);
  return parts;
}

function parsePort(schema: string, text: string): number | undefined {
  if (text === '') return undefined;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw urlError('port', { scheme: schema, port: text });
  return port;
}
