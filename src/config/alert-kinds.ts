/** What alerts exist and how serious each kind is: shared by the config schema and notify/. */
export const ALERT_KINDS = [
  'slot.new',
  'auth.failed',
  'auth.recovered',
  'sync.failed',
  'sync.recovered',
  'sync.done',
  'deletion.guarded',
  /** A class coming soon moved, was cancelled or added, or changed room or teacher (worker/changes.ts). */
  'timetable.changed',
  /** `changes.digest`: once a day at that local time, tomorrow's classes (worker/digest.ts). */
  'timetable.digest',
  /** Live Discord ingestion stopped for good (a refused token or intent): to the operator's DISCORD_ALERT_URL. */
  'ingest.stopped',
  'test',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
