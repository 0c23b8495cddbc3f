/**
 * What the tunnel offers out of the free slots: pure functions that the page's script (browser/tunnel.ts)
 * imports and esbuild bundles with it, so they run in the browser: nothing of node here. Tested here like any
 * other code.
 *
 * The seed picked dates at random; these spread the choice evenly instead, so a reload shows the same
 * offer (a visitor who comes back finds what they saw) and the tests know what to expect.
 */

/** Days of a week, as the slots API answers them. */
export interface OfferDay {
  date: string;
  hours: string[];
}

/** `n` items spread evenly over the list, first and last included; all of them when there are `n` or fewer. */
export function spreadPick<T>(items: readonly T[], n: number): T[] {
  if (n <= 0) return [];
  if (items.length <= n) return items.slice();
  if (n === 1) return [items[Math.floor((items.length - 1) / 2)] as T];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(items[Math.round((i * (items.length - 1)) / (n - 1))] as T);
  return out;
}

/** `YYYY-MM-DD` plus `days`, on the calendar (no zone involved: noon UTC never crosses a date line). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = Date.UTC(y as number, (m as number) - 1, (d as number) + days, 12);
  return new Date(t).toISOString().slice(0, 10);
}

/** Week `index` of the rolling weeks that start on `firstDay`: its first and last dates, inclusive. */
export function weekBounds(firstDay: string, index: number): { start: string; end: string } {
  const start = addDays(firstDay, index * 7);
  return { start, end: addDays(start, 6) };
}

/**
 * The offer of one week: up to `datesOffered` dates that have a free time, each with up to `timesPerDate`
 * times, both spread over what is free (a morning and an afternoon rather than 09:00 and 09:15).
 */
export function buildOffer(days: readonly OfferDay[], week: { start: string; end: string }, datesOffered: number, timesPerDate: number): OfferDay[] {
  const open = days
    .filter((d) => d.date >= week.start && d.date <= week.end && d.hours.length > 0)
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return spreadPick(open, datesOffered).map((d) => ({ date: d.date, hours: spreadPick(d.hours.slice().sort(), timesPerDate) }));
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` comes first. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T12:00:00Z`) - Date.parse(`${from}T12:00:00Z`)) / 86_400_000);
}
