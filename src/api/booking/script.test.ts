import { describe, expect, it } from 'vitest';
import type { BookingTypeConfig } from '../../config/index.js';
import { pageSettings, renderBookingPage } from './page.js';
import { TUNNEL_JS } from './script.js';
import { TUNNEL_CSS } from './style.js';

const TYPE: BookingTypeConfig = {
  type: 'appel',
  title: 'Appel',
  provider: 'calcom',
  eventTypeId: 1,
  apiVersion: 'v2',
  url: 'https://api.cal.com',
  timezone: 'Europe/Paris',
  rangeDays: 14,
  datesOffered: 4,
  timesPerDate: 2,
};
const html = renderBookingPage(TYPE, pageSettings(TYPE, '2025-05-26', '2025-08-24'));

describe('the tunnel script', () => {
  it('is valid JavaScript on its own (the offer functions are served with it, no import left)', () => {
    expect(() => new Function(TUNNEL_JS)).not.toThrow();
    expect(TUNNEL_JS).not.toMatch(/\bimport\b|\brequire\(|__name\(/);
    for (const fn of ['function spreadPick', 'function addDays', 'function daysBetween', 'function weekBounds', 'function buildOffer']) expect(TUNNEL_JS).toContain(fn);
  });

  it('only looks up elements the page has', () => {
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const used = [...TUNNEL_JS.matchAll(/\$\('([^']+)'\)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(20);
    for (const id of used) expect(ids, id).toContain(id);
    for (const id of [...TUNNEL_JS.matchAll(/show\('([^']+)'/g)].map((m) => m[1] as string)) expect(ids, id).toContain(id);
  });

  it('posts only to this server, as JSON', () => {
    expect(TUNNEL_JS).not.toMatch(/https?:\/\//);
    expect(TUNNEL_JS).toContain("'content-type': 'application/json'");
  });
});

describe('the stylesheet', () => {
  it('styles every class the page and the script use', () => {
    const classes = new Set<string>();
    for (const m of html.matchAll(/class="([^"]+)"/g)) for (const c of (m[1] as string).split(/\s+/)) classes.add(c);
    for (const c of ['choice', 'time', 'dow', 'day', 'mon', 'error', 'done', 'secondary', 'ghost']) classes.add(c);
    for (const c of classes) expect(TUNNEL_CSS, c).toMatch(new RegExp(`\\.${c}\\b`));
  });

  it('shows keyboard focus on everything that takes it', () => {
    const rule = /([^{}]+)\{[^}]*outline:\s*3px solid[^}]*box-shadow[^}]*\}/.exec(TUNNEL_CSS)?.[1] ?? '';
    for (const el of ['a', 'button', 'input', 'textarea']) expect(rule).toContain(`${el}:focus-visible`);
    expect(TUNNEL_CSS).not.toMatch(/(?<!h2):focus\s*\{\s*outline:\s*(none|0)/);
  });
});
