import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderText, localText, type LocalText } from '../lib/index.js';
/**
 * A problem at a key of a config file: `path` is the key path, `message` what is wrong there in English (logs,
 * --json, the dashboard's JSON), `text` the same for a person in another language (absent: `message` as it is).
 */
export interface ConfigIssue {
  path: readonly PropertyKey[];
  message: string;
  text?: LocalText;
}

/** An issue worded by the catalogues' `configErrors.<key>`. */
export function configIssue(path: readonly PropertyKey[], key: string, params?: Parameters<typeof localText>[1]): ConfigIssue {
  const text = localText(`configErrors.${key}`, params);
  return { path, message: renderText(text, 'en'), text };
}

/** `$${...}` (escaped, kept literally as `${...}`) or `${...}` (a reference). */
const REFERENCE = /(\$?)\$\{([^}]*)\}/g;
/** `NAME` or `NAME:-default` (default used when NAME is unset or empty, as in a shell). */
const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed config with values from `env`,
 * so secrets can come from the environment (compose `.env`, Swarm) instead of the file.
 * Messages name the key and the variable, never the value.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path: readonly PropertyKey[] = []): { value: unknown; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const walk = (v: unknown, at: readonly PropertyKey[]): unknown => {
    if (typeof v === 'string') return interpolateString(v, env, at, issues);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...at, i]));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...at, k]);
      return out;
    }
    return v;
  };
  return { value: walk(value, path), issues };
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, at: readonly PropertyKey[], issues: ConfigIssue[]): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (match, escaped: string, body: string) => {
    if (escaped) return match.slice(1);
    const m = REFERENCE_BODY.exec(body);
    if (!m) {
      issues.push(configIssue(at, 'env.badReference'));
      return '';
    }
    const name = m[1] as string;
    const fallback = m[2];
    const set = env[name] ?? fromSecretsDir(env, name);
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      issues.push(configIssue(at, 'env.unset', { name }));
      return '';
    }
    return set;
  });
}

/**
 * Where a worker finds the values of `${VAR}` its environment does not hold: one file per variable, named
 * after it (Docker and Swarm secrets are mounted that way under /run/secrets). The swarm runtime sets it.
 */
export const SECRETS_DIR_ENV = 'CAMPUS_SYNC_SECRETS_DIR';

/** `${VAR}` from `$CAMPUS_SYNC_SECRETS_DIR/VAR`, one trailing newline dropped (as `echo … > file` writes it). */
function fromSecretsDir(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const dir = env[SECRETS_DIR_ENV];
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, name), 'utf8').replace(/\r?\n$/, '');
  } catch {
    return undefined;
  }
}

/** Every `${VAR}` name the text refers to (escaped `$${` left out), sorted, each once. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(REFERENCE)) {
    if (m[1]) continue;
    const body = REFERENCE_BODY.exec(m[2] ?? '');
    if (body?.[1]) names.add(body[1]);
  }
  return [...names].sort();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
