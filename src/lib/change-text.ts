import { formatTime, formatWhen, translator, type Locale } from './i18n.js';

/**
 * One timetable change as a sentence people read, in a locale and a zone: the worker's change alert and the
 * dashboard's "last changes" say it the same way. Plain shapes (no import of the worker's detector): a class as the
 * baseline keeps it, and what changed.
 */
export interface ClassText {
  title: string;
  /** ISO-8601 with offset. */
  start: string;
  end: string;
  room: string;
  teacher: string | null;
}

export interface ChangeText {
  kind: 'moved' | 'cancelled' | 'added' | 'room' | 'teacher';
  before?: ClassText;
  after?: ClassText;
  /** A cancellation or move within 24 h (the alert is then a warning). */
  urgent?: boolean;
}

const sameDay = (a: string, b: string, zone: string, locale: Locale): boolean =>
  formatWhen(a, zone, locale).slice(0, -6) === formatWhen(b, zone, locale).slice(0, -6);

/** One line for one change, in `locale`, times in `zone`. */
export function describeChange(c: ChangeText, zone: string, locale: Locale): string {
  const t = translator(locale);
  const when = (x: ClassText): string => formatWhen(x.start, zone, locale);
  const subject = (c.before ?? c.after) as ClassText;
  switch (c.kind) {
    case 'moved': {
      const b = c.before as ClassText;
      const a = c.after as ClassText;
      const to = sameDay(b.start, a.start, zone, locale)
        ? `${formatTime(a.start, zone, locale)}–${formatTime(a.end, zone, locale)}`
        : `${when(a)}–${formatTime(a.end, zone, locale)}`;
      return t('changes.moved', { title: subject.title, from: `${when(b)}–${formatTime(b.end, zone, locale)}`, to });
    }
    case 'cancelled':
      return t('changes.cancelled', { title: subject.title, when: when(subject) });
    case 'added':
      return t('changes.added', { title: subject.title, when: when(subject) });
    case 'room':
    case 'teacher': {
      // The same sentence for both: what it was → what it is, "no room" / "no teacher" for an empty one.
      const field = (x: ClassText | undefined): string =>
        (c.kind === 'room' ? x?.room : x?.teacher) || t(c.kind === 'room' ? 'changes.noRoom' : 'changes.noTeacher');
      return t(`changes.${c.kind}`, { title: subject.title, when: when(subject), from: field(c.before), to: field(c.after) });
    }
  }
}
