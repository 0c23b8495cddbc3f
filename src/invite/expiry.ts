import { parseDurationNs } from '../lib/index.js';

/** What `campus-sync invite` gives when not told: a week to accept, as the issue asks. */
export const DEFAULT_INVITATION_EXPIRY = '7d';
/** A link alive longer than a month is a link nobody remembers sending: refuse, the owner can make another. */
export const MAX_INVITATION_EXPIRY_MS = 30 * 24 * 3600_000;
/** Less than a minute cannot be used by a person. */
export const MIN_INVITATION_EXPIRY_MS = 60_000;

/**
 * `--expires 7d`: a Go-style duration (lib/duration.ts: `90m`, `36h`, `1h30m`) plus the day the issue writes,
 * `d` = 24 h (`7d`, `1d12h`). Returns milliseconds, or an error naming what is accepted.
 */
export function parseExpiry(text: string): { ms: number } | { error: string } {
  const withDays = text.trim().replace(/(\d+(?:\.\d+)?)d/g, (_, n: string) => `${Number(n) * 24}h`);
  const ns = /[a-z]/i.test(text) ? parseDurationNs(withDays) : undefined;
  if (ns === undefined) return { error: `"${text}" is not a duration: write it like 7d, 36h or 90m` };
  const ms = Math.round(ns / 1e6);
  if (ms < MIN_INVITATION_EXPIRY_MS) return { error: `"${text}" is too short: an invitation lasts at least 1m` };
  if (ms > MAX_INVITATION_EXPIRY_MS) return { error: `"${text}" is too long: an invitation lasts at most 30d` };
  return { ms };
}
