import { describe, expect, it } from 'vitest';
import { DEFAULT_EVENTS, holdsDuringQuietHours, inQuietHours, routeAlert, wantsAlert } from './router.js';

describe('routing', () => {
  it('by default sends every kind but sync.done', () => {
    expect(DEFAULT_EVENTS).not.toContain('sync.done');
    expect(wantsAlert({}, { kind: 'sync.failed', severity: 'warning' })).toBe(true);
    expect(wantsAlert({}, { kind: 'sync.done', severity: 'info' })).toBe(false);
    expect(wantsAlert({ events: ['sync.done'] }, { kind: 'sync.done', severity: 'info' })).toBe(true);
  });

  it('filters by events and minimum severity, keeping channel order', () => {
    const channels = [
      { name: 'all' },
      { name: 'slots', events: ['slot.new' as const] },
      { name: 'critical', minSeverity: 'critical' as const },
      { name: 'warn', minSeverity: 'warning' as const },
    ];
    const names = (kind: 'slot.new' | 'sync.failed' | 'auth.failed', severity: 'info' | 'warning' | 'critical') =>
      routeAlert({ kind, severity }, channels).map((c) => c.name);
    expect(names('slot.new', 'info')).toEqual(['all', 'slots']);
    expect(names('sync.failed', 'warning')).toEqual(['all', 'warn']);
    expect(names('auth.failed', 'critical')).toEqual(['all', 'critical', 'warn']);
  });

  it("a 'test' alert reaches every channel whatever its filters", () => {
    expect(wantsAlert({ events: ['slot.new'], minSeverity: 'critical' }, { kind: 'test', severity: 'info' })).toBe(true);
  });
});

describe('quiet hours', () => {
  const night = { from: '22:00', to: '07:00', timezone: 'Europe/Paris' };
  it('span midnight on the wall clock of their zone, from inclusive, to exclusive', () => {
    // 20:00Z = 22:00 in Paris (summer, +2).
    expect(inQuietHours(night, new Date('2025-06-01T20:00:00Z'))).toBe(true);
    expect(inQuietHours(night, new Date('2025-06-01T19:59:00Z'))).toBe(false);
    expect(inQuietHours(night, new Date('2025-06-02T04:59:00Z'))).toBe(true);
    expect(inQuietHours(night, new Date('2025-06-02T05:00:00Z'))).toBe(false);
    // Winter: +1.
    expect(inQuietHours(night, new Date('2025-01-10T21:30:00Z'))).toBe(true);
  });

  it('use the default zone when none is given, and a daytime period works too', () => {
    expect(inQuietHours({ from: '12:00', to: '14:00' }, new Date('2025-06-01T12:30:00Z'))).toBe(true);
    expect(inQuietHours({ from: '12:00', to: '14:00' }, new Date('2025-06-01T12:30:00Z'), 'Asia/Tokyo')).toBe(false);
    expect(inQuietHours(undefined, new Date())).toBe(false);
  });

  it('critical alerts go through, others are held', () => {
    expect(holdsDuringQuietHours({ severity: 'critical' })).toBe(false);
    expect(holdsDuringQuietHours({ severity: 'warning' })).toBe(true);
  });
});
