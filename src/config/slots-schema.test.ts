import { describe, it, expect } from 'vitest';
import { calcomV1Warnings, parseDuration, realertAfterMs, slotWatcherSchema, slotsSchema, watcherSecrets, type CalcomWatcherConfig } from './slots-schema.js';

const CLICRDV_URL =
  'https://www.clicrdv.com/api/v2/availabletimeslots?group_id=124718&promotions=0&time_format=datetime&appointments[0][intervention_id]=2422111&from={date}&apikey=SECRET_KEY_123';

/** `path: message` of every issue, to assert where the error points. */
function issues(
  value: unknown,
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } } = slotWatcherSchema,
): string[] {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return (r.error?.issues ?? []).map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
}

describe('slotWatcherSchema', () => {
  it('accepts a ClicRDV watcher copied from the seed and fills the defaults', () => {
    const w = slotWatcherSchema.parse({ name: 'consulat', provider: 'clicrdv', url: CLICRDV_URL, bookingUrl: 'https://user.clicrdv.com/consulat' });
    expect(w).toMatchObject({ schedule: '*/5 * * * *', realertAfter: '24h', daysAhead: 30, concurrency: 5 });
    expect(w.timezone).toBeUndefined();
  });

  it('accepts a Cal.com watcher and fills the defaults', () => {
    const w = slotWatcherSchema.parse({ name: 'appel', provider: 'calcom', eventTypeId: 2283473, apiKey: 'cal_live_abc' });
    expect(w).toMatchObject({ rangeDays: 14, url: 'https://api.cal.com', schedule: '*/5 * * * *' });
  });

  it('accepts a full filter', () => {
    const w = slotWatcherSchema.parse({
      name: 'x',
      provider: 'calcom',
      eventTypeId: 1,
      filter: { weekdays: ['mon', 'fri'], hours: { from: '09:00', to: '12:30' }, notBefore: '2026-03-01', notAfter: '2026-03-31' },
      realertAfter: '6h',
      timezone: 'America/Montreal',
    });
    expect(w.filter?.weekdays).toEqual(['mon', 'fri']);
  });

  it('points at the offending keys', () => {
    const found = issues({
      name: 'Bad Name',
      provider: 'clicrdv',
      url: 'not a url {date}',
      daysAhead: 121,
      concurrency: 0,
      schedule: 'every minute',
      realertAfter: 'soon',
      timezone: 'Mars/Olympus',
      filter: { weekdays: ['mon', 'lun'], hours: { from: '9:00', to: '12:00' }, notBefore: '2026-02-30' },
    });
    const paths = found.map((f) => f.split(':')[0]);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'url',
        'daysAhead',
        'concurrency',
        'schedule',
        'realertAfter',
        'timezone',
        'filter.weekdays.1',
        'filter.hours.from',
        'filter.notBefore',
      ]),
    );
  });

  it('refuses unknown keys (strict) and unknown providers', () => {
    expect(issues({ name: 'a', provider: 'clicrdv', url: CLICRDV_URL, days: 3 }).join('\n')).toMatch(/days/);
    expect(issues({ name: 'a', provider: 'doctolib' })[0]).toMatch(/^provider: .*clicrdv.*calcom/);
  });

  it('refuses a reversed date range and equal hours; takes v1 without an API key', () => {
    expect(issues({ name: 'a', provider: 'calcom', eventTypeId: 1, filter: { notBefore: '2026-03-10', notAfter: '2026-03-01' } })).toEqual([
      'filter.notAfter: must not be before notBefore',
    ]);
    expect(issues({ name: 'a', provider: 'calcom', eventTypeId: 1, filter: { hours: { from: '09:00', to: '09:00' } } })[0]).toMatch(/^filter\.hours\.to:/);
    // v1 is served by v2, which needs no key for public event types.
    expect(slotWatcherSchema.safeParse({ name: 'a', provider: 'calcom', eventTypeId: 1, apiVersion: 'v1' }).success).toBe(true);
    expect(issues({ name: 'a', provider: 'calcom', eventTypeId: 1.5 })[0]).toMatch(/^eventTypeId:/);
  });
});

describe('slotsSchema', () => {
  it('refuses two watchers with the same name, at the second one', () => {
    const w = { name: 'dup', provider: 'calcom', eventTypeId: 1 };
    expect(issues([w, { ...w, eventTypeId: 2 }], slotsSchema)).toEqual(['1.name: another slot watcher is already named "dup"']);
    expect(slotsSchema.parse([w, { ...w, name: 'other' }])).toHaveLength(2);
  });
});

describe('watcherSecrets', () => {
  it('lists the ClicRDV apikey from the URL', () => {
    expect(watcherSecrets(slotWatcherSchema.parse({ name: 'a', provider: 'clicrdv', url: CLICRDV_URL }))).toEqual(['SECRET_KEY_123']);
    expect(watcherSecrets(slotWatcherSchema.parse({ name: 'a', provider: 'clicrdv', url: 'https://x.test/api?from={date}' }))).toEqual([]);
  });

  it('lists the Cal.com apiKey and token', () => {
    expect(watcherSecrets(slotWatcherSchema.parse({ name: 'a', provider: 'calcom', eventTypeId: 1, apiKey: 'cal_live_k', token: 'tok_t' }))).toEqual([
      'cal_live_k',
      'tok_t',
    ]);
  });
});

describe('calcomV1Warnings', () => {
  const cal = (extra: object): CalcomWatcherConfig =>
    slotWatcherSchema.parse({ name: 'a', provider: 'calcom', eventTypeId: 1, ...extra }) as CalcomWatcherConfig;
  it('warns about each watcher still asking for API v1 (shut down, served by v2), and only those', () => {
    expect(calcomV1Warnings([cal({ apiKey: 'k', apiVersion: 'v1' }), cal({ apiKey: 'k' }), cal({ token: 't', apiVersion: 'v2' })])).toEqual([
      expect.stringMatching(/^slot watcher "a": apiVersion v1: Cal\.com shut API v1 down on 2026-04-08/),
    ]);
    expect(calcomV1Warnings([cal({})])).toEqual([]);
  });
});

describe('parseDuration', () => {
  it('reads minutes, hours, days and combinations', () => {
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('6h')).toBe(6 * 3_600_000);
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
    expect(parseDuration('1d12h')).toBe(36 * 3_600_000);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('6 hours')).toBeUndefined();
    expect(parseDuration('h')).toBeUndefined();
  });

  it('gives realertAfter in ms with the 24 h default', () => {
    expect(realertAfterMs(slotWatcherSchema.parse({ name: 'a', provider: 'calcom', eventTypeId: 1 }))).toBe(86_400_000);
  });
});
