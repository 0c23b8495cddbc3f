/**
 * What the server tells the page's script, in the page's JSON settings block: written by page.ts, read by
 * browser/tunnel.ts (which runs in the browser, so this file imports nothing).
 */

/** What the page script needs, and nothing else: no event type id, no API URL, no key. */
export interface PageSettings {
  type: string;
  title: string;
  timezone: string;
  /** Today in the type's zone, `YYYY-MM-DD`: week 0 starts here. */
  today: string;
  /** First day past the horizon: "next week" stops before it. */
  horizonEnd: string;
  rangeDays: number;
  datesOffered: number;
  timesPerDate: number;
}
