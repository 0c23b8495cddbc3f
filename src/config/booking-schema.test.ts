import { describe, expect, it } from 'vitest';
import { bookingSchema, bookingSecrets, bookingTypeSchema, duplicateBookingTypes, normaliseBookingType, type BookingTypeConfig } from './booking-schema.js';

/** `path: message` of every issue, to assert where the error points. */
function issues(
  value: unknown,
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } } = bookingTypeSchema,
): string[] {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return (r.error?.issues ?? []).map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
}

const APPEL = { type: 'appel', title: 'Appel téléphonique', provider: 'calcom', eventTypeId: 2283473 };

describe('bookingTypeSchema', () => {
  it('accepts the seed type and fills the defaults (v2, api.cal.com, 14 days, 4 dates, 2 times)', () => {
    const t = bookingTypeSchema.parse(APPEL);
    expect(t).toEqual({ ...APPEL, apiVersion: 'v2', url: 'https://api.cal.com', rangeDays: 14, datesOffered: 4, timesPerDate: 2 });
  });

  it('takes every option as written', () => {
    const t = bookingTypeSchema.parse({
      ...APPEL,
      description: 'Vingt minutes au téléphone',
      apiKey: 'cal_live_x',
      apiVersion: 'v1',
      url: 'http://127.0.0.1:9/',
      timezone: 'America/Montreal',
      rangeDays: 21,
      datesOffered: 3,
      timesPerDate: 3,
    });
    expect(t).toMatchObject({ apiVersion: 'v1', rangeDays: 21, datesOffered: 3, timesPerDate: 3, timezone: 'America/Montreal' });
  });

  it('refuses a slug that is not URL-safe, an offer outside 3–4 dates, a bad zone, an unknown provider', () => {
    expect(issues({ ...APPEL, type: 'Appel Tel' })).toEqual([expect.stringMatching(/^type: expected a URL slug/)]);
    expect(issues({ ...APPEL, type: '-appel' })).toEqual([expect.stringMatching(/^type: /)]);
    expect(issues({ ...APPEL, datesOffered: 5 })).toEqual(['datesOffered: expected 3 to 4 dates']);
    expect(issues({ ...APPEL, datesOffered: 2 })).toEqual(['datesOffered: expected 3 to 4 dates']);
    expect(issues({ ...APPEL, timesPerDate: 0 })).toEqual(['timesPerDate: expected 1 to 6 times']);
    expect(issues({ ...APPEL, timezone: 'Mars/Base' })).toEqual([expect.stringMatching(/^timezone: expected an IANA time zone/)]);
    expect(issues({ ...APPEL, provider: 'clicrdv' })).toEqual([expect.stringMatching(/^provider: expected provider "calcom"/)]);
    expect(issues({ ...APPEL, title: '' })).toEqual([expect.stringMatching(/^title: expected a title/)]);
  });

  it('accepts apiVersion v1 from an old config (served by v2, see bookingV1Warnings); a secret is given one way, not both', () => {
    expect(bookingTypeSchema.safeParse({ ...APPEL, apiVersion: 'v1' }).success).toBe(true);
    expect(bookingTypeSchema.safeParse({ ...APPEL, apiVersion: 'v1', apiKeyFile: 'cal.key' }).success).toBe(true);
    expect(issues({ ...APPEL, apiVersion: 'v3' })).toEqual(['apiVersion: expected "v1" or "v2"']);
    expect(issues({ ...APPEL, token: 't', tokenFile: 'f' })).toEqual(['tokenFile: give either token or tokenFile, not both']);
    expect(issues({ ...APPEL, apiKey: 'k', apiKeyFile: 'f' })).toEqual(['apiKeyFile: give either apiKey or apiKeyFile, not both']);
  });

  it('refuses unknown keys (a typo is not silently ignored)', () => {
    expect(issues({ ...APPEL, rangeDay: 3 })).toEqual([expect.stringMatching(/rangeDay/)]);
  });
});

describe('bookingSchema', () => {
  it('refuses two types with the same slug in one file, pointing at the second', () => {
    expect(issues([APPEL, { ...APPEL, eventTypeId: 2 }], bookingSchema)).toEqual(['1.type: another booking type is already named "appel"']);
  });
});

describe('normaliseBookingType', () => {
  it('takes secrets read from files, the config zone when the type names none, and strips the URL', () => {
    const parsed = bookingTypeSchema.parse({ ...APPEL, url: 'http://127.0.0.1:9//', tokenFile: 'x' });
    const t = normaliseBookingType(parsed, { token: 'from-file' }, 'Europe/Paris');
    expect(t).toEqual({
      ...APPEL,
      apiVersion: 'v2',
      url: 'http://127.0.0.1:9',
      token: 'from-file',
      timezone: 'Europe/Paris',
      rangeDays: 14,
      datesOffered: 4,
      timesPerDate: 2,
    });
    expect('tokenFile' in t).toBe(false);
    expect(normaliseBookingType(bookingTypeSchema.parse({ ...APPEL, timezone: 'Asia/Dubai' }), {}, 'Europe/Paris').timezone).toBe('Asia/Dubai');
  });
});

describe('bookingSecrets', () => {
  it('lists the key and token given, nothing else', () => {
    expect(bookingSecrets({ apiKey: 'k', token: 't' })).toEqual(['k', 't']);
    expect(bookingSecrets({})).toEqual([]);
  });
});

describe('duplicateBookingTypes', () => {
  it('names each slug claimed by several configs, with the instances sorted', () => {
    const t = (type: string): Pick<BookingTypeConfig, 'type'> => ({ type });
    const dups = duplicateBookingTypes([
      { name: 'zoe', booking: [t('appel'), t('visio')] },
      { name: 'alice', booking: [t('appel')] },
      { name: 'bob', booking: [t('conseil')] },
    ]);
    expect([...dups]).toEqual([['appel', ['alice', 'zoe']]]);
  });
});
