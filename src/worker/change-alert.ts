import { createHash } from 'node:crypto';
import { formatTime, formatWhen, translator, type Locale } from '../lib/index.js';
import type { NewAlert } from '../notify/index.js';
import { anyUrgent, type ClassSnapshot, type TimetableChange } from './changes.js';

/** Discord allows 25 embed fields; past this the message says how many more (one message per run, always). */
export const MAX_CHANGE_FIELDS = 20;

const sameDay = (a: string, b: string, zone: string, locale: Locale): boolean => formatWhen(a, zone, locale).slice(0, -6) === formatWhen(b, zone, locale).slice(0, -6);

/** One line for one change, in `locale`, times in `zone`. */
export function describeChange(c: TimetableChange, zone: string, locale: Locale): string {
  const t = translator(locale);
  const when = (x: ClassSnapshot): string => formatWhen(x.start, zone, locale);
  const subject = (c.before ?? c.after) as ClassSnapshot;
  switch (c.kind) {
    case 'moved': {
      const b = c.before as ClassSnapshot;
      const a = c.after as ClassSnapshot;
      const to = sameDay(b.start, a.start, zone, locale) ? `${formatTime(a.start, zone, locale)}–${formatTime(a.end, zone, locale)}` : `${when(a)}–${formatTime(a.end, zone, locale)}`;
      return t('changes.moved', { title: subject.title, from: `${when(b)}–${formatTime(b.end, zone, locale)}`, to });
    }
    case 'cancelled':
      return t('changes.cancelled', { title: subject.title, when: when(subject) });
    case 'added':
      return t('changes.added', { title: subject.title, when: when(subject) });
    case 'room':
    case 'teacher': {
      // The same sentence for both: what it was → what it is, "no room" / "no teacher" for an empty one.
      const field = (x: ClassSnapshot | undefined): string => (c.kind === 'room' ? x?.room : x?.teacher) || t(c.kind === 'room' ? 'changes.noRoom' : 'changes.noTeacher');
      return t(`changes.${c.kind}`, { title: subject.title, when: when(subject), from: field(c.before), to: field(c.after) });
    }
  }
}

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
  const fields = changes.slice(0, MAX_CHANGE_FIELDS).map((c, i) => ({ name: ((c.before ?? c.after) as ClassSnapshot).title.slice(0, 250), value: (shown[i] as string).slice(0, 1000) }));
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
