import { describe, expect, it } from 'vitest';
import {
  clearedSessionCookie,
  createSessions,
  MAX_SESSIONS,
  csrfAllows,
  identify,
  parseCookies,
  requestOrigin,
  SESSION_COOKIE,
  sessionCookie,
} from './auth.js';

const KEY = 'k3y-for-the-dashboard-0123456789';
const keyMatches = (k: string | string[] | undefined): boolean => k === KEY;
const now = new Date('2025-03-20T12:00:00Z');

describe('login sessions', () => {
  it('a cookie issued for an accepted key is recognised, and holds nothing of the key', () => {
    const s = createSessions();
    const value = s.issue(KEY, now);
    expect(value).not.toContain(KEY);
    expect(value).not.toContain(Buffer.from(KEY).toString('base64url').slice(0, 12));
    expect(s.verify(value, now)).toBe(true);
  });

  it('expires, and refuses tampering, garbage and other processes’ cookies', () => {
    const s = createSessions({ maxAgeS: 60 });
    const value = s.issue(KEY, now);
    expect(value).toMatch(/^\d+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(s.verify(value, new Date(now.getTime() + 59_000))).toBe(true);
    expect(s.verify(value, new Date(now.getTime() + 60_000))).toBe(false);
    const [expiry, id, mac] = value.split('.') as [string, string, string];
    // A later expiry with the same MAC: the MAC binds the expiry.
    expect(s.verify(`${Number(expiry) + 3600}.${id}.${mac}`, now)).toBe(false);
    // Another id with the same MAC: the MAC binds the id.
    expect(s.verify(`${expiry}.${id[0] === 'A' ? 'B' : 'A'}${id.slice(1)}.${mac}`, now)).toBe(false);
    const flipped = `${expiry}.${id}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    expect(s.verify(flipped, now)).toBe(false);
    for (const bad of [undefined, '', 'x', `${expiry}.`, `${expiry}.${mac}`, `${value}.x`, KEY]) expect(s.verify(bad, now)).toBe(false);
    // Another process (another random secret) does not recognise it: a restart logs people out.
    expect(createSessions().verify(value, now)).toBe(false);
  });

  it('a revoked session (logout) is refused from then on, others stay', () => {
    const s = createSessions();
    const phone = s.issue(KEY, now);
    const laptop = s.issue(KEY, now);
    expect(phone).not.toBe(laptop);
    s.revoke(phone);
    expect(s.verify(phone, now)).toBe(false);
    expect(s.verify(laptop, now)).toBe(true);
    s.revoke('garbage');
    s.revoke(undefined);
    expect(s.verify(laptop, now)).toBe(true);
  });

  it('remembers at most MAX_SESSIONS, the oldest going first', () => {
    const s = createSessions();
    const first = s.issue(KEY, now);
    for (let i = 0; i < MAX_SESSIONS; i++) s.issue(KEY, now);
    expect(s.verify(first, now)).toBe(false);
  });

  it('recognises nothing before a login (no key tag known yet)', () => {
    const secret = Buffer.alloc(32, 7);
    const value = createSessions({ secret }).issue(KEY, now);
    expect(createSessions({ secret }).verify(value, now)).toBe(false);
  });
});

describe('cookies', () => {
  it('Set-Cookie is HttpOnly, SameSite=Strict, site-wide, Secure only over https', () => {
    const c = sessionCookie('v', { secure: false, maxAgeS: 100 });
    expect(c).toBe(`${SESSION_COOKIE}=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=100`);
    expect(sessionCookie('v', { secure: true })).toMatch(/; Secure$/);
    expect(clearedSessionCookie({ secure: false })).toContain(`${SESSION_COOKIE}=; `);
    expect(clearedSessionCookie({ secure: false })).toContain('Max-Age=0');
  });

  it('parses a Cookie header, first of a name winning', () => {
    expect(parseCookies('a=1; b="two"; a=3; c=%7Bx%7D; junk')).toEqual({ a: '1', b: 'two', c: '{x}' });
    expect(parseCookies(undefined)).toEqual({});
  });
});

describe('who is asking, and from where', () => {
  it('x-api-key or a valid cookie identify the caller; anything else is nobody', () => {
    const sessions = createSessions();
    const cookie = `${SESSION_COOKIE}=${sessions.issue(KEY, now)}`;
    expect(identify({ 'x-api-key': KEY }, { keyMatches, sessions, now })).toEqual({ by: 'key' });
    expect(identify({ cookie }, { keyMatches, sessions, now })).toEqual({ by: 'cookie' });
    expect(identify({ 'x-api-key': 'wrong', cookie: `${SESSION_COOKIE}=1.abc` }, { keyMatches, sessions, now })).toBeNull();
    expect(identify({}, { keyMatches, sessions, now })).toBeNull();
  });

  it('Sec-Fetch-Site first, then Origin against Host', () => {
    expect(requestOrigin({ 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' })).toBe('same');
    expect(requestOrigin({ 'sec-fetch-site': 'same-site', host: 'a.example' })).toBe('cross');
    expect(requestOrigin({ 'sec-fetch-site': 'cross-site' })).toBe('cross');
    expect(requestOrigin({ origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080' })).toBe('same');
    expect(requestOrigin({ origin: 'http://127.0.0.1:9999', host: '127.0.0.1:8080' })).toBe('cross');
    expect(requestOrigin({ origin: 'null', host: '127.0.0.1:8080' })).toBe('cross');
    expect(requestOrigin({ host: '127.0.0.1:8080' })).toBe('unknown');
  });

  it('a POST passes the CSRF check only from this site, or from a non-browser with the key header', () => {
    const cookie = { by: 'cookie' } as const;
    const key = { by: 'key' } as const;
    expect(csrfAllows(cookie, { 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(csrfAllows(cookie, { 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(csrfAllows(cookie, { origin: 'http://evil.example', host: 'me:8080' })).toBe(false);
    expect(csrfAllows(cookie, {})).toBe(false);
    expect(csrfAllows(key, {})).toBe(true);
    expect(csrfAllows(key, { 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(csrfAllows(null, { 'sec-fetch-site': 'same-origin' })).toBe(false);
  });
});
