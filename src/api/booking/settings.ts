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
  /** The page's language as a BCP 47 tag for Intl ("fr-FR", "en-GB"): dates are formatted for it. */
  intlLocale: string;
  /** The sentences the script says itself, in the page's language (the catalogue's `booking.script`). */
  words: BookingWords;
}

/** `{name}` marks a value the script fills in (the catalogue's `{{…}}` are filled on the server). */
export interface BookingWords {
  loading: string;
  next7: string;
  weekOf: string;
  loadFailed: string;
  retryOrPropose: string;
  timeOn: string;
  when: string;
  booking: string;
  requestSent: string;
  booked: string;
  confirm: string;
  doneText: string;
  pendingText: string;
  taken: string;
  checkFields: string;
  tryAgain: string;
  unreachable: string;
}
