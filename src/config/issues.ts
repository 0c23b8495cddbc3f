import type { z } from 'zod';
import { ConfigError } from '../lib/index.js';
import type { ConfigIssue } from './env.js';
import { knownKeysAt, SECRET_KEYS } from './schema.js';

/** Longest value echoed back in a message: enough to recognise it, short enough for one line. */
const MAX_SHOWN_VALUE_LENGTH = 60;
/** Typos within this many edits of a known key get a "did you mean" hint. */
const MAX_TYPO_DISTANCE = 2;

const EXPECTED_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (indented keys)',
  array: 'a list',
  date: 'a date',
};

/** `moncampus.window.from`, `list[2]`. */
export function dottedPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export function isSecretPath(path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  return typeof last === 'string' && SECRET_KEYS.has(last);
}

/** Lines of one error: a file of 20,000 unknown keys is told the first ones, not 20,000 lines. */
export const MAX_ISSUE_LINES = 20;

/** One line per issue, each naming the file: `configs/alice.yml: moncampus.password: required`. */
export function configErrorFrom(displayFile: string, issues: readonly ConfigIssue[]): ConfigError {
  const lines = issues.map((issue) => {
    const key = dottedPath(issue.path);
    return key === '' ? `${displayFile}: ${issue.message}` : `${displayFile}: ${key}: ${issue.message}`;
  });
  return new ConfigError(capLines(displayFile, lines).join('\n'));
}

/** The first MAX_ISSUE_LINES lines, and one saying how many more there were. */
export function capLines(displayFile: string, lines: readonly string[]): string[] {
  if (lines.length <= MAX_ISSUE_LINES) return [...lines];
  return [...lines.slice(0, MAX_ISSUE_LINES), `${displayFile}: … and ${lines.length - MAX_ISSUE_LINES} more problems`];
}

/** Turns zod's issues into ours, with messages for people and no secret value in them. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const input = 'input' in issue ? issue.input : undefined;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown key${didYouMean(key, known)}` });
      continue;
    }
    if (issue.code === 'invalid_type') {
      if (input === undefined) {
        out.push({ path, message: 'required' });
        continue;
      }
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      out.push({ path, message: `expected ${expected}, got ${describeValue(input, path)}` });
      continue;
    }
    if (issue.code === 'invalid_union') {
      out.push(...fromUnionIssue(issue, schema));
      continue;
    }
    if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid')) {
      // zod's default text ("Invalid option") does not say what would do: list the allowed values.
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      const got = input === undefined ? '' : `, got ${describeValue(input, path)}`;
      out.push({ path, message: `expected one of ${allowed}${got}` });
      continue;
    }
    // Only echo scalars: refinements on a whole section report that section as their input.
    const echo = input !== undefined && input !== '' && (typeof input !== 'object' || input instanceof Date);
    const shown = echo ? `, got ${describeValue(input, path)}` : '';
    out.push({ path, message: `${issue.message}${shown}` });
  }
  return out;
}

/**
 * A value that matched no member of a union. A discriminated union names its discriminator's values;
 * a union of a text form and an object form (a notify channel) reports the errors of the form the
 * value was written in, instead of zod's bare "Invalid input".
 */
function fromUnionIssue(issue: z.core.$ZodIssueInvalidUnion, schema: z.ZodType): ConfigIssue[] {
  const input = 'input' in issue ? issue.input : undefined;
  const extra = issue as { note?: string; discriminator?: string; options?: unknown[] };
  if (extra.note === 'No matching discriminator' && extra.discriminator !== undefined) {
    const allowed = (extra.options ?? []).map(String).join(', ');
    const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[extra.discriminator] : undefined;
    const message = given === undefined ? `required: one of ${allowed}` : `expected one of ${allowed}, got ${describeValue(given, issue.path)}`;
    return [{ path: issue.path, message }];
  }
  const wrongTypeOnly = (branch: readonly z.core.$ZodIssue[]): boolean => branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
  const relevant = issue.errors.find((branch) => branch.length > 0 && !wrongTypeOnly(branch));
  if (relevant) {
    const prefixed = relevant.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue);
    return fromZodIssues(prefixed, schema);
  }
  const expected = [
    ...new Set(issue.errors.flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? (EXPECTED_NAMES[i.expected] ?? i.expected) : undefined)))),
  ].filter((e): e is string => e !== undefined);
  const got = input === undefined ? 'nothing' : describeValue(input, issue.path);
  return [{ path: issue.path, message: expected.length > 0 ? `expected ${expected.join(' or ')}, got ${got}` : issue.message }];
}

/** What a value is, for a message: the value itself unless it is (or may hold) a secret. */
export function describeValue(value: unknown, path: readonly PropertyKey[]): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid date' : value.toISOString().slice(0, 10);
  if (typeof value === 'object') return 'a mapping';
  if (isSecretPath(path)) return typeof value === 'string' ? 'a value that is not valid here' : `a ${typeof value}`;
  if (typeof value === 'string') {
    const cut = value.length > MAX_SHOWN_VALUE_LENGTH ? `${value.slice(0, MAX_SHOWN_VALUE_LENGTH)}…` : value;
    return JSON.stringify(cut);
  }
  return String(value);
}

function didYouMean(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= MAX_TYPO_DISTANCE ? ` (did you mean ${best}?)` : '';
}

/** Levenshtein distance; keys are short, so the quadratic table is fine. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
