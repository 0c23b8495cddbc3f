import { isUtf8 } from 'node:buffer';
import { readFile, rename, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from '../lib/index.js';

/**
 * What a power cut leaves on an SD card: a file empty, cut short, full of NUL bytes (the blocks were
 * allocated, the data never written), or valid but of another shape (an older build, a hand edit).
 * Such a file is never trusted, never served, and never deleted: it is set aside under a new name,
 * said once, and rebuilt by the run.
 */

/** How a file of `data/<name>/` is checked. */
export type FileRule =
  /** One JSON document of a known shape (state.json, events.json…). */
  | { name: string; kind: 'json'; valid: (value: unknown) => boolean }
  /** Records one per line, appended (runs.jsonl, errors.log): good lines are kept, damaged ones set aside. */
  | { name: string; kind: 'lines'; goodLine: (line: string) => boolean }
  /** A text document of a known form (calendar.ics). */
  | { name: string; kind: 'text'; valid: (text: string) => boolean };

export interface DamageReport {
  /** Path of the damaged file, as it was. */
  file: string;
  /** Where its bytes are now. */
  setAsideAs: string;
  /** What was wrong, for people: `NUL bytes`, `empty`, `3 damaged lines (kept 120)`. */
  damage: string;
}

/** Why these bytes cannot be a text file of ours; undefined when they can. */
export function textDamage(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'empty';
  if (bytes.includes(0)) return 'NUL bytes';
  if (!isUtf8(bytes)) return 'not UTF-8';
  return undefined;
}

/** Why these bytes are not a JSON document that `valid` accepts; undefined when they are. */
export function jsonDamage(bytes: Uint8Array, valid: (value: unknown) => boolean): string | undefined {
  const text = textDamage(bytes);
  if (text !== undefined) return text;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return 'truncated or not JSON';
  }
  return valid(value) ? undefined : 'valid JSON of the wrong shape';
}

/** A calendar file that is whole: it opens and closes its VCALENDAR (a cut one does not close it). */
export function isWholeCalendar(text: string): boolean {
  return text.startsWith('BEGIN:VCALENDAR') && text.trimEnd().endsWith('END:VCALENDAR');
}

/** Why these bytes are not a whole calendar file; undefined when they are. */
export function icsDamage(bytes: Uint8Array): string | undefined {
  return textDamage(bytes) ?? (isWholeCalendar(Buffer.from(bytes).toString('utf8')) ? undefined : 'not a complete calendar (cut short?)');
}

/** `state.json.damaged-20261206T133500123Z`: sorts by time, never clashes with a live file's name. */
export function setAsideName(file: string, now: Date): string {
  return `${file}.damaged-${now.toISOString().replace(/[-:]/g, '')}`;
}

/**
 * Checks one file by its rule. A missing file is fine (a first run). A damaged one is renamed aside;
 * a history file also gets its good lines back, each on its own line, so new records start clean.
 */
export async function checkInstanceFile(file: string, rule: FileRule, now: Date): Promise<DamageReport | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (rule.kind === 'lines') return repairLines(file, bytes, rule.goodLine, now);
  const damage =
    rule.kind === 'json'
      ? jsonDamage(bytes, rule.valid)
      : (textDamage(bytes) ?? (rule.valid(bytes.toString('utf8')) ? undefined : 'not a complete file (cut short?)'));
  if (damage === undefined) return undefined;
  const aside = setAsideName(file, now);
  await rename(file, aside);
  return { file, setAsideAs: aside, damage };
}

async function repairLines(file: string, bytes: Buffer, goodLine: (line: string) => boolean, now: Date): Promise<DamageReport | undefined> {
  const text = bytes.toString('utf8');
  const endsClean = text === '' || text.endsWith('\n');
  // A line cut by the power cut, then appended to, reads as one bad line; NUL runs are blocks never written.
  const pieces = text.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const good = pieces.filter((l) => !l.includes('\u0000') && !l.includes('\ufffd') && goodLine(l));
  const bad = pieces.length - good.length;
  if (bad === 0 && endsClean) return undefined;
  const kept = good.length === 0 ? '' : `${good.join('\n')}\n`;
  // errors.log is private (0600), runs.jsonl is not: the rebuilt file keeps the mode it had.
  const mode = (await stat(file)).mode & 0o777;
  if (bad === 0) {
    // Only the final newline is missing (cut right after a record): no record was lost, nothing to set aside.
    await writeFileAtomic(file, kept, mode);
    return undefined;
  }
  const aside = setAsideName(file, now);
  await rename(file, aside);
  await writeFileAtomic(file, kept, mode);
  return { file, setAsideAs: aside, damage: `${bad} damaged line${bad === 1 ? '' : 's'} (kept ${good.length})` };
}

/** The sentence a run says once per damaged file, in its output and in errors.log; `rebuilt` says how it comes back. */
export function describeDamage(report: DamageReport, rebuilt = 'rebuilt by this run'): string {
  return `${report.file} was damaged (${report.damage}): set aside as ${basename(report.setAsideAs)}, ${rebuilt}`;
}
