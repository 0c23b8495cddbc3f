import { describe, expect, it } from 'vitest';
import { invitationLink } from './link.js';

describe('invitationLink', () => {
  it('puts the token after /invite/ on the public base, without a double slash', () => {
    expect(invitationLink('https://pi.example.org/', 'abc_-')).toBe('https://pi.example.org/invite/abc_-');
    expect(invitationLink('http://127.0.0.1:8080', 'T')).toBe('http://127.0.0.1:8080/invite/T');
  });
});
