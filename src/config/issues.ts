import type { z } from 'zod';
import { ConfigError, localText, renderText, verbatim, type Locale, type LocalText } from '../lib/index.js';
import { configIssue, type ConfigIssue } from './env.js';
import { textOfZodIssue } from './messages.js';
import { knownKeysAt, SECRET_KEYS } from './schema.js';

/** Longest value echoed back in a message: enough to recognise it, short enough for one line. */
const MAX_SHOWN_VALUE_LENGTH = 60;
/** Typos within this many edits of a known key get a "did you mean" hint. */
const MAX_TYPO_DISTANCE = 2;

/** What zod expected, as `configErrors.expected.<type>` words ("a number", "a list"…); others are named as zod does. */
const EXPECTED_NAMES = new Set(['string', 'number', 'int', 'boolean', 'object', 'array', 'date']);
const expectedText = (type: string): LocalText => (EXPECTED_NAMES.has(type) ? localText(`configErrors.expected.${type}`) : verbatim(type));

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

/** An issue's words in `locale`: its text, or its message as it was written. */
export const issueIn = (issue: ConfigIssue, locale: Locale): string => (issue.text === undefined ? issue.message : renderText(issue.text, locale));

/**
 * One line per issue, each naming the file: `configs/alice.yml: moncampus.password: required`. The error's message
 * is English (logs, --json); `localized(locale)` gives the same lines in another language, the file and key paths
 * as they are.
 */
export function configErrorFrom(displayFile: string, issues: readonly ConfigIssue[]): ConfigError {
  const lines = (locale: Locale): string[] =>
    capLines(
      displayFile,
      issues.map((issue) => {
        const key = dottedPath(issue.path);
        return key === '' ? `${displayFile}: ${issueIn(issue, locale)}` : `${displayFile}: ${key}: ${issueIn(issue, locale)}`;
      }),
      locale,
    );
  return new ConfigError(lines('en').join('\n'), { localized: (locale) => lines(locale).join('\n') });
}

/** The first MAX_ISSUE_LINES lines, and one saying how many more there were. */
export function capLines(displayFile: string, lines: readonly string[], locale: Locale = 'en'): string[] {
  if (lines.length <= MAX_ISSUE_LINES) return [...lines];
  const more = renderText(localText('configErrors.moreProblems', { count: lines.length - MAX_ISSUE_LINES }), locale);
  return [...lines.slice(0, MAX_ISSUE_LINES), `${displayFile}: ${more}`];
}

/** Turns zod's issues into ours, with messages for people and no secret value in them. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path;
    const input = 'input' in issue ? issue.input : undefined;
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path);
      for (const key of issue.keys) {
        const near = didYouMean(key, known);
        out.push(near === undefined ? configIssue([...path, key], 'unknownKey') : configIssue([...path, key], 'unknownKeyNear', { near }));
      }
      continue;
    }
    if (issue.code === 'invalid_type') {
      if (input === undefined) {
        out.push(configIssue(path, 'required'));
        continue;
      }
      out.push(configIssue(path, 'expectedGot', { expected: expectedText(issue.expected), got: describeValueText(input, path) }));
      continue;
    }
    if (issue.code === 'invalid_union') {
      out.push(...fromUnionIssue(issue, schema));
      continue;
    }
    if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid')) {
      // zod's default text ("Invalid option") does not say what would do: list the allowed values.
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      out.push(
        input === undefined
          ? configIssue(path, 'expectedOneOf', { allowed })
          : configIssue(path, 'expectedOneOfGot', { allowed, got: describeValueText(input, path) }),
      );
      continue;
    }
    // Only echo scalars: refinements on a whole section report that section as their input.
    const echo = input !== undefined && input !== '' && (typeof input !== 'object' || input instanceof Date);
    const text = textOfZodIssue(issue);
    out.push(echo ? configIssue(path, 'withValue', { problem: text, got: describeValueText(input, path) }) : { path, message: renderText(text, 'en'), text });
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
    return [
      given === undefined
        ? configIssue(issue.path, 'requiredOneOf', { allowed })
        : configIssue(issue.path, 'expectedOneOfGot', { allowed, got: describeValueText(given, issue.path) }),
    ];
  }
  const wrongTypeOnly = (branch: readonly z.core.$ZodIssue[]): boolean => branch.every((i) => i.code === 'invalid_type' && i.path.length === 0);
  const relevant = issue.errors.find((branch) => branch.length > 0 && !wrongTypeOnly(branch));
  if (relevant) {
    const prefixed = relevant.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue);
    return fromZodIssues(prefixed, schema);
  }
  const expected = [...new Set(issue.errors.flatMap((b) => b.map((i) => (i.code === 'invalid_type' ? i.expected : undefined))))].filter(
    (e): e is string => e !== undefined,
  );
  if (expected.length === 0) {
    const text = textOfZodIssue(issue);
    return [{ path: issue.path, message: renderText(text, 'en'), text }];
  }
  const got = input === undefined ? localText('configErrors.value.nothing') : describeValueText(input, issue.path);
  // "text or a list": the last two joined by the language's "or".
  const names = expected.map(expectedText);
  const either = names.slice(1).reduce<LocalText>((left, right) => localText('configErrors.or', { left, right }), names[0] as LocalText);
  return [configIssue(issue.path, 'expectedGot', { expected: either, got })];
}

/** What a value is, for a message: the value itself unless it is (or may hold) a secret. */
export function describeValueText(value: unknown, path: readonly PropertyKey[]): LocalText {
  const word = (key: string, params?: Record<string, string>): LocalText => localText(`configErrors.value.${key}`, params);
  if (value === null) return word('nothing');
  if (Array.isArray(value)) return word('list');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? word('invalidDate') : verbatim(value.toISOString().slice(0, 10));
  if (typeof value === 'object') return word('mapping');
  if (isSecretPath(path)) return typeof value === 'string' ? word('secret') : word('secretOfType', { type: typeof value });
  if (typeof value === 'string') {
    const cut = value.length > MAX_SHOWN_VALUE_LENGTH ? `${value.slice(0, MAX_SHOWN_VALUE_LENGTH)}…` : value;
    return verbatim(JSON.stringify(cut));
  }
  return verbatim(String(value));
}

/** describeValue's English words (logs, the dashboard's JSON). */
export const describeValue = (value: unknown, path: readonly PropertyKey[]): string => renderText(describeValueText(value, path), 'en');

/** The known key `key` is a near miss of, if any. */
function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= MAX_TYPO_DISTANCE ? best : undefined;
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
