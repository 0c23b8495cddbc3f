import type { Locale } from '../lib/index.js';
import { hostZone, personTime } from './human.js';

/** Keys of a JSON log line shown in their own place, not repeated as key=value at the end. */
const OWN_PLACE = new Set(['timestamp', 'level', 'message', 'instance']);

export interface HumanLine {
  text: string;
  level?: string;
}

/**
 * One JSON log line (what workers write for `docker logs`) as a person reads it: local time (on `zone`'s clock, in
 * `locale`'s words, to the second: `dim. 1 mars 11:46:02` / `Sun 1 Mar 11:46:02`), level,
 * `[instance]`, message, then the other fields as key=value. A line that is not a JSON object is kept as
 * it is; a line without an instance gets `fallbackInstance` (the worker it came from).
 */
export function humanLogLine(line: string, fallbackInstance?: string, zone?: string, locale: Locale = 'en'): HumanLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { text: fallbackInstance ? `[${fallbackInstance}] ${line}` : line };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof (parsed as { message?: unknown }).message !== 'string') {
    return { text: fallbackInstance ? `[${fallbackInstance}] ${line}` : line };
  }
  const o = parsed as Record<string, unknown>;
  const when = typeof o.timestamp === 'string' ? personTime(o.timestamp, zone ?? hostZone(), locale, { seconds: true }) : '';
  const level = typeof o.level === 'string' ? o.level : '';
  const instance = typeof o.instance === 'string' ? o.instance : fallbackInstance;
  const extra = Object.entries(o)
    .filter(([k]) => !OWN_PLACE.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const text = [when, level.padEnd(5), instance ? `[${instance}]` : '', String(o.message), extra].filter((p) => p !== '').join(' ');
  return { text, ...(level ? { level } : {}) };
}
