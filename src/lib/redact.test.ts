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
});
