import { DateTime } from 'luxon';
import { formatTime, translator, type Locale } from '../lib/index.js';
import type { NewAlert } from '../notify/index.js';
import type { ClassSnapshot } from './changes.js';

/**
 * The evening digest (`changes.digest: "HH:MM"`), pure: whether it is due, and the one message with tomorrow's
 * classes. The worker checks it on a timer and after each run; the day it was last handled lives in state.json, so
 * a restart after the digest time does not send it twice, and one that comes later the same evening still sends it.
 */

/** How often a long-running worker looks whether the digest is due: within a minute of the time asked. */
export const DIGEST_CHECK_MS = 30_000;

/**
 * The local day (yyyy-MM-dd in `zone`) whose digest is due now, or null: due from `at` until midnight, once per day
 * (`lastDay` is the day last handled, sent or found without classes).
 */
export function digestDue(now: Date, zone: string, at: string, lastDay: string | undefined): string | null {
  const local = DateTime.fromJSDate(now).setZone(zone);
  const [hour, minute] = at.split(':').map(Number) as [number, number];
  const today = local.toISODate() as string;
  if (lastDay === today) return null;
  return local >= local.set({ hour, minute, second: 0, millisecond: 0 }) ? today : null;
}

/** The classes of the day after `day` (local, in `zone`), earliest first. */
export function classesOfNextDay(classes: readonly ClassSnapshot[], day: string, zone: string): ClassSnapshot[] {
  const from = DateTime.fromISO(day, { zone }).plus({ days: 1 });
  const until = from.plus({ days: 1 });
  return classes
    .filter((c) => {
      const t = DateTime.fromISO(c.start, { setZone: true });
      return t >= from && t < until;
    })
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/** Discord allows 25 embed fields; a day has fewer classes than this. */
const MAX_DIGEST_FIELDS = 20;

/**
 * The digest of `day` (sent that evening, about the next day): one line and one field per class. Null when the next
 * day has no class: nothing to say. Its id is the instance and the day, so the outbox sends it once.
 */
export function digestAlert(instance: string, day: string, classes: readonly ClassSnapshot[], opts: { zone: string; locale: Locale }): NewAlert | null {
  if (classes.length === 0) return null;
  const t = translator(opts.locale);
  const tomorrow = DateTime.fromISO(day, { zone: opts.zone })
    .plus({ days: 1 })
    .setLocale(opts.locale === 'fr' ? 'fr-FR' : 'en-GB');
  const hours = (c: ClassSnapshot): string => `${formatTime(c.start, opts.zone, opts.locale)}–${formatTime(c.end, opts.zone, opts.locale)}`;
  const line = (c: ClassSnapshot): string =>
    t(c.room ? 'digest.line' : 'digest.lineNoRoom', { hours: hours(c), title: c.title, room: c.room, teacher: c.teacher ?? '' }).trim();
  return {
    id: `digest-${instance}-${day}`,
    kind: 'timetable.digest',
    instance,
    title: t('digest.title', { instance, count: classes.length, day: tomorrow.toFormat('cccc d LLLL') }),
    text: classes.map(line).join('\n'),
    fields: classes.slice(0, MAX_DIGEST_FIELDS).map((c) => ({
      name: `${hours(c)} ${c.title}`.slice(0, 250),
      value: (c.room ? t('digest.room', { room: c.room }) : t('changes.noRoom')) + (c.teacher ? ` · ${c.teacher}` : ''),
    })),
  };
}
