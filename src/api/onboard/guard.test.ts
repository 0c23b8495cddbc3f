import { describe, expect, it } from 'vitest';
import { createSessions, SESSION_COOKIE } from '../dashboard/auth.js';
import { createGuard, CSRF_HEADER } from './guard.js';

const KEY = 'k'.repeat(43);

describe('the form’s guard', () => {
  const sessions = createSessions();
  const guard = createGuard({ sessions, keyMatches: (k) => k === KEY });
  const now = new Date();
  const cookie = sessions.issue(KEY, now);
  const ownerHeaders = { cookie: `${SESSION_COOKIE}=${cookie}`, 'sec-fetch-site': 'same-origin' };

  it('knows the owner by the dashboard’s session or key, nobody else', () => {
    expect(guard.owner(ownerHeaders, now)).toEqual({ by: 'cookie' });
    expect(guard.owner({ 'x-api-key': KEY }, now)).toEqual({ by: 'key' });
    expect(guard.owner({ cookie: `${SESSION_COOKIE}=forged` }, now)).toBeNull();
  });

  it('lets a post through only with its page’s token, and never from another site', () => {
    const subject = guard.ownerSubject(ownerHeaders);
    const token = guard.csrfFor(subject);
    expect(guard.allows({ ...ownerHeaders, [CSRF_HEADER]: token }, subject, { by: 'cookie' })).toBe(true);
    expect(guard.allows(ownerHeaders, subject, { by: 'cookie' })).toBe(false);
    expect(guard.allows({ ...ownerHeaders, 'sec-fetch-site': 'cross-site', [CSRF_HEADER]: token }, subject, { by: 'cookie' })).toBe(false);
    // One invitation's token opens no other's posts.
    const a = guard.csrfFor('invite:a');
    expect(guard.allows({ [CSRF_HEADER]: a }, 'invite:a')).toBe(true);
    expect(guard.allows({ [CSRF_HEADER]: a }, 'invite:b')).toBe(false);
    // Another process (another secret) made a different token.
    expect(createGuard({ sessions, keyMatches: () => false }).csrfFor('invite:a')).not.toBe(a);
    // The owner's key from a script needs no page token; from another site it is refused all the same.
    expect(guard.allows({ 'x-api-key': KEY }, 'owner:', { by: 'key' })).toBe(true);
    expect(guard.allows({ 'x-api-key': KEY, 'sec-fetch-site': 'cross-site' }, 'owner:', { by: 'key' })).toBe(false);
  });
});
