import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BookingTypeConfig } from '../../config/index.js';
import { webAssets } from '../assets.js';
import { pageSettings, renderBookingPage } from './page.js';

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
/** What the browser runs (the bundle) and what was written (the source, for the ids it names). */
const bundle = webAssets().get('booking/tunnel.js').body.toString('utf8');
const source = readFileSync(new URL('./browser/tunnel.ts', import.meta.url), 'utf8');
const css = webAssets().get('booking/tunnel.css').body.toString('utf8');

describe('the tunnel script', () => {
  it('is one classic script with the offer functions bundled in: no import or require left', () => {
    expect(() => new Function(bundle)).not.toThrow();
    expect(bundle).not.toMatch(/\bimport\b|\brequire\(|__name\(/);
    expect(source).toMatch(/import \{[^}]*buildOffer[^}]*\} from '\.\.\/offer\.js'/);
    // The source map is not served, and no comment of ours (minified).
    expect(bundle).not.toMatch(/sourceMappingURL|\/\*\*/);
  });

  it('only looks up elements the page has', () => {
    const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
    const used = [...source.matchAll(/\$\('([^']+)'\)/g)].map((m) => m[1] as string);
    expect(used.length).toBeGreaterThan(20);
    for (const id of used) expect(ids, id).toContain(id);
    for (const id of [...source.matchAll(/show\('([^']+)'/g)].map((m) => m[1] as string)) expect(ids, id).toContain(id);
  });

  it('posts only to this server, as JSON', () => {
    expect(bundle).not.toMatch(/https?:\/\//);
    expect(bundle).toContain('"content-type":"application/json"');
  });
});

describe('the stylesheet', () => {
  it('styles every class the page and the script use', () => {
    const classes = new Set<string>();
    for (const m of html.matchAll(/class="([^"]+)"/g)) for (const c of (m[1] as string).split(/\s+/)) classes.add(c);
    for (const c of ['choice', 'time', 'dow', 'day', 'mon', 'error', 'done', 'secondary', 'ghost']) classes.add(c);
    for (const c of classes) expect(css, c).toMatch(new RegExp(`\\.${c}\\b`));
  });

  it('shows keyboard focus on everything that takes it', () => {
    const rule = /([^{}]+)\{[^}]*outline:\s*3px solid[^}]*box-shadow[^}]*\}/.exec(css)?.[1] ?? '';
    for (const el of ['a', 'button', 'input', 'textarea']) expect(rule).toContain(`${el}:focus-visible`);
    expect(css).not.toMatch(/(?<!h2):focus\s*\{\s*outline:\s*(none|0)/);
  });
});
