import { describe, expect, it } from 'vitest';
import { assetPath } from './assets.js';
import { jsonInHtml, pageShell } from './page-shell.js';

describe('pageShell', () => {
  it('puts the language, the escaped title and the named assets in the head', () => {
    const html = pageShell({ title: 'A <b> & "c"', body: '<main>x</main>', locale: 'fr', css: 'onboard/form.css', js: 'onboard/form.js' });
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<title>A &lt;b&gt; &amp; &quot;c&quot;</title>');
    expect(html).toContain(`<link rel="stylesheet" href="${assetPath('onboard/form.css')}">`);
    expect(html).toContain(`<script src="${assetPath('onboard/form.js')}" defer></script>`);
    expect(html).toContain('<body>\n<main>x</main>\n</body>');
  });

  it('loads no script when none is named', () => {
    const html = pageShell({ title: 't', body: '', locale: 'en', css: 'booking/tunnel.css' });
    expect(html).not.toContain('<script');
  });
});

describe('jsonInHtml', () => {
  it('cannot end its script element early and parses back to the same value', () => {
    const value = { s: '</script><!-- & -->' };
    const out = jsonInHtml(value);
    expect(out).not.toMatch(/[<>&]/);
    expect(JSON.parse(out)).toEqual(value);
  });
});
