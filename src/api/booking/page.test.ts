import { describe, expect, it } from 'vitest';
import type { BookingTypeConfig } from '../../config/index.js';
import { escapeHtml, pageSettings, renderBookingPage, renderIndexPage, renderNotFoundPage, PROPOSAL_ROWS } from './page.js';

const TYPE: BookingTypeConfig = {
  type: 'appel',
  title: 'Appel </script><b>',
  description: 'Un "appel" & plus',
  provider: 'calcom',
  eventTypeId: 2283473,
  token: 'cal_secret',
  apiVersion: 'v2',
  url: 'https://api.cal.com',
  timezone: 'Europe/Paris',
  rangeDays: 14,
  datesOffered: 4,
  timesPerDate: 2,
};
const html = renderBookingPage(TYPE, pageSettings(TYPE, '2025-05-26', '2025-08-24'));
const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1] as string);

describe('renderBookingPage', () => {
  it('escapes the config text everywhere, the settings block included', () => {
    expect(html).toContain('<h1>Appel &lt;/script&gt;&lt;b&gt;</h1>');
    expect(html).toContain('Un &quot;appel&quot; &amp; plus');
    const block = /<script type="application\/json" id="booking-settings">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
    expect(block).not.toContain('<');
    expect(JSON.parse(block).title).toBe('Appel </script><b>');
  });

  it('holds no secret and nothing the visitor does not need (no event type id, no API URL)', () => {
    for (const s of ['cal_secret', '2283473', 'api.cal.com']) expect(html).not.toContain(s);
  });

  it('gives every field a label and an error slot it is described by; ids are unique', () => {
    expect(new Set(ids).size).toBe(ids.length);
    const fields = [...html.matchAll(/<(input|textarea)\s[^>]*id="([^"]+)"[^>]*>/g)];
    expect(fields.length).toBe(3 + 3 + PROPOSAL_ROWS * 3);
    for (const [tag, , id] of fields) {
      expect(html, id).toContain(`<label for="${id}">`);
      const described = /aria-describedby="([^"]+)"/.exec(tag)?.[1]?.split(' ') ?? [];
      expect(described, id).toContain(`${id}-error`);
      for (const ref of described) expect(ids, `${id} → ${ref}`).toContain(ref);
    }
  });

  it('uses real buttons for every action, none of them submitting by accident', () => {
    const buttons = [...html.matchAll(/<button\s([^>]*)>/g)].map((m) => m[1] as string);
    expect(buttons.length).toBeGreaterThanOrEqual(8);
    for (const b of buttons) expect(b).toMatch(/type="(button|submit)"/);
    expect(buttons.filter((b) => b.includes('type="submit"'))).toHaveLength(2);
    expect(html).not.toMatch(/<a [^>]*href="#"|<div[^>]*onclick|tabindex="[1-9]/);
  });

  it('leaves out the description paragraph when there is none', () => {
    const { description: _d, ...rest } = TYPE;
    expect(renderBookingPage(rest, pageSettings(rest, '2025-05-26', '2025-08-24'))).not.toContain('class="lead">Un');
  });
});

describe('the page in each language', () => {
  const fr = renderBookingPage(TYPE, pageSettings(TYPE, '2025-05-26', '2025-08-24', 'fr'), 'fr');
  const en = renderBookingPage(TYPE, pageSettings(TYPE, '2025-05-26', '2025-08-24', 'en'), 'en');
  const settingsOf = (page: string) => JSON.parse(/id="booking-settings">(.*?)<\/script>/s.exec(page)?.[1] ?? '{}');

  it('is French by default, <html lang> matching its text, the switch offering English', () => {
    expect(html).toBe(fr);
    expect(fr).toContain('<html lang="fr">');
    expect(fr).toContain('<h2 id="h-date" tabindex="-1">Choisissez une date</h2>');
    expect(fr).toContain('<label for="p-r1-date">Date 2 (facultatif)</label>');
    expect(fr).toContain('<a href="/book/appel?lang=en" lang="en" hreflang="en" class="lang-link">English</a>');
    expect(fr).not.toMatch(/Choose a date|Your name|Confirm booking/);
    expect(settingsOf(fr)).toMatchObject({ intlLocale: 'fr-FR', words: { when: '{date} à {time} ({zone})', confirm: 'Confirmer le rendez-vous' } });
  });

  it('is English on request, with the switch back to French', () => {
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('Choose a date');
    expect(en).toContain('Times are in <strong>Europe/Paris</strong>.');
    expect(en).toContain('<a href="/book/appel?lang=fr" lang="fr" hreflang="fr" class="lang-link">Français</a>');
    expect(en).not.toMatch(/Choisissez|Votre nom/);
    expect(settingsOf(en)).toMatchObject({ intlLocale: 'en-GB', words: { when: '{date} at {time} ({zone})' } });
  });
});

describe('the other pages', () => {
  it('/book lists the types with escaped titles; an empty list says so', () => {
    expect(renderIndexPage([{ type: 'appel', title: 'A & B' }])).toContain('<a href="/book/appel">A &amp; B</a>');
    expect(renderIndexPage([], 'en')).toContain('No meeting can be booked here yet.');
    expect(renderIndexPage([])).toContain('Aucun rendez-vous ne peut encore être pris ici.');
  });

  it("marks the owner's words with their config's language when the page speaks another (WCAG 3.1.2)", () => {
    const settings = pageSettings(TYPE, '2025-05-26', '2025-08-24', 'en');
    const en = renderBookingPage(TYPE, settings, 'en', 'fr');
    expect(en).toContain('<h1 lang="fr">Appel &lt;/script&gt;&lt;b&gt;</h1>');
    expect(en).toContain('<p class="lead" lang="fr">Un &quot;appel&quot; &amp; plus</p>');
    expect(renderBookingPage(TYPE, settings, 'fr', 'fr')).toContain('<h1>Appel');
    expect(renderIndexPage([{ type: 'appel', title: 'Appel', description: 'Vingt minutes', textLocale: 'fr' }], 'en')).toContain(
      '<li lang="fr"><a href="/book/appel">Appel</a><p>Vingt minutes</p></li>',
    );
    expect(renderIndexPage([{ type: 'appel', title: 'Appel', textLocale: 'fr' }], 'fr')).toContain('<li><a href="/book/appel">');
  });

  it('the not-found page escapes its message and links back to the list', () => {
    const page = renderNotFoundPage('no "<x>"');
    expect(page).toContain('no &quot;&lt;x&gt;&quot;');
    expect(page).toContain('<a href="/book">');
  });

  it('escapeHtml covers the five characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});
