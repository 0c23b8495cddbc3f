import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { configFileSchema, isCalendarDate, knownKeysAt, legacyConfigFileSchema, toDateString } from './schema.js';

const base = { moncampus: { username: 'u', password: 'p' } };

describe('configFileSchema', () => {
  it('gives the raw file type through z.infer (optional keys stay optional)', () => {
    const raw: z.infer<typeof configFileSchema> = { moncampus: { username: 'u', passwordFile: '/run/secrets/p' } };
    expect(configFileSchema.safeParse(raw).success).toBe(true);
  });

  it('accepts window dates as strings or Date objects', () => {
    const ok = (window: unknown) => configFileSchema.safeParse({ moncampus: { ...base.moncampus, window } }).success;
    expect(ok({ from: '2025-09-01', to: '2026-07-31' })).toBe(true);
    expect(ok({ from: new Date('2025-09-01T00:00:00Z'), to: '2026-07-31' })).toBe(true);
    expect(ok({ from: '2025-02-30', to: '2026-07-31' })).toBe(false);
    expect(ok({ from: '2026-07-31', to: '2025-09-01' })).toBe(false);
    expect(ok({ from: '2025-09-01' })).toBe(false);
    expect(ok({ from: '2025-09-01', to: '2026-07-31', pastDays: 3 })).toBe(false);
    expect(ok({ futureDays: 30 })).toBe(true);
    expect(ok({ pastDays: -1 })).toBe(false);
    expect(ok({ pastDays: 1.5 })).toBe(false);
  });

  it('bounds ecal numbers', () => {
    const ecal = { apiKey: 'k', apiSecret: 's', calendarId: 'a'.repeat(24) };
    const ok = (extra: object) => configFileSchema.safeParse({ ...base, ecal: { ...ecal, ...extra } }).success;
    expect(ok({})).toBe(true);
    expect(ok({ maxDeleteShare: 1.2 })).toBe(false);
    expect(ok({ concurrency: 0 })).toBe(false);
    expect(ok({ concurrency: 17 })).toBe(false);
    expect(ok({ alert: '15 minutes' })).toBe(false);
    expect(ok({ alert: '1D' })).toBe(true);
    expect(ok({ url: 'ftp://api.ecal.com' })).toBe(false);
  });
});

describe('legacyConfigFileSchema', () => {
  it('wants all three ecal keys or none', () => {
    const l = { moncampus_username: 'u', moncampus_password: 'p' };
    expect(legacyConfigFileSchema.safeParse(l).success).toBe(true);
    expect(legacyConfigFileSchema.safeParse({ ...l, ecal_api_key: 'k' }).success).toBe(false);
  });
});

describe('dates', () => {
  it('checks real calendar days', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2025-02-29')).toBe(false);
    expect(isCalendarDate('2025-9-1')).toBe(false);
  });
  it('turns a YAML Date (UTC midnight) into its day', () => {
    expect(toDateString(new Date('2025-09-01T00:00:00Z'))).toBe('2025-09-01');
    expect(toDateString('2025-09-01')).toBe('2025-09-01');
  });
});

describe('knownKeysAt', () => {
  it('lists the keys a section accepts', () => {
    expect(knownKeysAt(configFileSchema, ['moncampus'])).toContain('passwordFile');
    expect(knownKeysAt(configFileSchema, ['ecal'])).toContain('calendarId');
    expect(knownKeysAt(configFileSchema, [])).toContain('timezone');
    expect(knownKeysAt(configFileSchema, ['timezone'])).toEqual([]);
  });
});
