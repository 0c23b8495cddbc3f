import { createHash } from 'node:crypto';
import { describeChange, translator, type Locale } from '../lib/index.js';
import type { NewAlert } from '../notify/index.js';
import { anyUrgent, type ClassSnapshot, type TimetableChange } from './changes.js';

export { describeChange };

/** Discord allows 25 embed fields; past this the message says how many more (one message per run, always). */
export const MAX_CHANGE_FIELDS = 20;

/**
 * ONE alert for a run's changes (event `timetable.changed`): a line per class in the text (email's plain part, Slack,
 * ntfy) and a field per class (Discord and Slack render them as a list readable on a phone). A warning when a class
 * within 24 h is cancelled or moved, info otherwise. Its id is derived from the changes themselves, so a run that
 * finds the same changes again (the previous one died before saving its baseline) is the same alert: the outbox
 * dedupes on it, and the change is announced once.
 */
export function changeAlert(instance: string, changes: readonly TimetableChange[], opts: { zone: string; locale: Locale }): NewAlert | null {
  if (changes.length === 0) return null;
  const t = translator(opts.locale);
  const lines = changes.map((c) => describeChange(c, opts.zone, opts.locale));
  const shown = lines.slice(0, MAX_CHANGE_FIELDS);
  const more = lines.length - shown.length;
  const fields = changes
    .slice(0, MAX_CHANGE_FIELDS)
    .map((c, i) => ({ name: ((c.before ?? c.after) as ClassSnapshot).title.slice(0, 250), value: (shown[i] as string).slice(0, 1000) }));
  return {
    id: `timetable-${instance}-${createHash('sha256').update(JSON.stringify(changes)).digest('hex').slice(0, 24)}`,
    kind: 'timetable.changed',
    severity: anyUrgent(changes) ? 'warning' : 'info',
    instance,
    title: t('changes.title', { instance, count: changes.length }),
    text: [...shown, ...(more > 0 ? [t('changes.more', { count: more })] : [])].join('\n'),
    fields,
  };
}
