import { describe, expect, it } from 'vitest';
import { makeRedactor, REDACTED } from './redact.js';

describe('makeRedactor', () => {
  it('hides every secret, raw and URL-encoded, longest first', () => {
    const redact = makeRedactor(['p@ss word!', 'p@ss']);
    expect(redact('login p@ss word! failed')).toBe(`login ${REDACTED} failed`);
    expect(redact('?password=p%40ss%20word!')).toBe(`?password=${REDACTED}`);
    expect(redact('?password=p%40ss+word%21')).toBe(`?password=${REDACTED}`);
    expect(redact('just p@ss')).toBe(`just ${REDACTED}`);
  });

  it('ignores values too short to be secrets', () => {
    expect(makeRedactor(['1', ''])('version 1')).toBe('version 1');
  });

  it('hides the HTML-escaped form a page or an upstream HTML answer shows', () => {
    const secret = `Tr0ub<4>dor&"3'`;
    const redact = makeRedactor([secret]);
    for (const shown of ['Tr0ub&lt;4&gt;dor&amp;&quot;3&#39;', 'Tr0ub&lt;4&gt;dor&amp;&quot;3&#x27;']) {
      expect(redact(`<p>${shown}</p>`)).toBe(`<p>${REDACTED}</p>`);
    }
  });

  it('hides a secret inside base64 at any alignment (a Basic header quoted in an error)', () => {
    const password = 'Corr3ct-Horse-Battery';
    const redact = makeRedactor([password]);
    for (const user of ['a', 'ab', 'abc', 'alice.martin']) {
      for (const enc of ['base64', 'base64url'] as const) {
        const header = `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString(enc)}`;
        const shown = redact(header);
        expect(shown, `${user} ${enc}`).toContain(REDACTED);
        // What is left of the base64 no longer decodes to the password, nor to any 8 characters of it.
        const left = shown.slice('Authorization: Basic '.length).split(REDACTED).join('');
        expect(Buffer.from(left, enc).toString('latin1')).not.toContain(password.slice(4, 12));
      }
    }
  });
});
