import { describe, expect, it } from 'vitest';
import { renderFormPage, renderRefusedPage } from './page.js';

describe('the guided form’s page', () => {
  it('labels every field and gives each one a place for its error, described by it', () => {
    const html = renderFormPage({ role: 'owner', locale: 'en', path: '/dashboard/configs/new', csrf: 'c' });
    const inputs = [...html.matchAll(/<(?:input|select) id="([^"]+)"/g)].map((m) => m[1] as string);
    expect(inputs).toEqual(
      expect.arrayContaining(['name', 'school', 'moncampusUrl', 'username', 'password', 'ecalApiKey', 'ecalCalendarId', 'notify', 'locale']),
    );
    for (const id of inputs) {
      expect(html, id).toContain(`<label for="${id}">`);
      if (id !== 'ics') expect(html, id).toContain(`id="${id}-error"`);
    }
    expect(html).toContain('<html lang="en">');
    expect(html).not.toMatch(/<script>(?!<)/);
  });

  it('keeps the settings block from closing the script early, and offers no "other" school to an invitee', () => {
    const html = renderFormPage({ role: 'invitee', locale: 'fr', path: '/invite/x', csrf: '</script><b>', invite: 'tok' });
    expect(html).not.toContain('</script><b>');
    expect(html).not.toContain('value="other"');
    expect(html).not.toContain('id="name"');
    expect(renderRefusedPage('used', 'en', '/invite/x')).toContain('This invitation was already used');
  });
});
