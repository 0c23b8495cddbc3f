import { describe, it, expect } from 'vitest';
import { createCookieJar, originOf, parseSetCookie } from './cookie-jar.js';

describe('parseSetCookie', () => {
  const now = Date.parse('2025-03-31T08:00:00Z');
  it('reads name and value (values may contain =) and ignores attributes', () => {
    expect(parseSetCookie('_DotNetCasClientAuth=AB=C=; path=/; HttpOnly', now)).toEqual({
      name: '_DotNetCasClientAuth',
      value: 'AB=C=',
      deleted: false,
    });
    expect(parseSetCookie('q="quoted"', now)?.value).toBe('quoted');
    expect(parseSetCookie('novalue', now)).toBeNull();
    expect(parseSetCookie('=x', now)).toBeNull();
  });

  it('honours Max-Age=0 and past Expires as deletion, Max-Age first', () => {
    expect(parseSetCookie('TGC=; Max-Age=0; Path=/cas', now)?.deleted).toBe(true);
    expect(parseSetCookie('TGC=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now)?.deleted).toBe(true);
    expect(parseSetCookie('TGC=x; Expires=Wed, 01 Apr 2026 00:00:00 GMT', now)?.deleted).toBe(false);
    expect(parseSetCookie('TGC=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=3600', now)?.deleted).toBe(false);
  });
});

describe('createCookieJar', () => {
  it('keeps one jar per origin, port included', () => {
    const jar = createCookieJar();
    jar.store('http://127.0.0.1:4001/cas/login?service=x', ['TGC=tgt-1; Path=/cas', 'JSESSIONID=s1']);
    jar.store('http://127.0.0.1:4002/Home/Get', 'ASP.NET_SessionId=asp-1; path=/');
    expect(jar.header('http://127.0.0.1:4001/anything')).toBe('TGC=tgt-1; JSESSIONID=s1');
    expect(jar.header('http://127.0.0.1:4002/Home/Get?x')).toBe('ASP.NET_SessionId=asp-1');
    expect(jar.header('http://127.0.0.1:4003/')).toBeUndefined();
    expect(jar.state()).toEqual({
      'http://127.0.0.1:4001': { TGC: 'tgt-1', JSESSIONID: 's1' },
      'http://127.0.0.1:4002': { 'ASP.NET_SessionId': 'asp-1' },
    });
  });

  it('replaces and deletes cookies, and forgets an origin left empty', () => {
    const jar = createCookieJar({ 'https://cas-p.wigorservices.net': { TGC: 'old' } });
    expect(jar.has('https://cas-p.wigorservices.net/cas/login')).toBe(true);
    jar.store('https://cas-p.wigorservices.net/cas/login', 'TGC=new');
    expect(jar.header('https://cas-p.wigorservices.net:443/x')).toBe('TGC=new');
    jar.store('https://cas-p.wigorservices.net/cas/logout', 'TGC=; Max-Age=0');
    expect(jar.has('https://cas-p.wigorservices.net/')).toBe(false);
    expect(jar.state()).toEqual({});
  });

  it('starts from saved state without sharing it, and clears one origin or all', () => {
    const saved = { 'http://a.test': { x: '1' }, 'http://b.test': { y: '2' } };
    const jar = createCookieJar(saved);
    jar.store('http://a.test/', 'x=changed');
    expect(saved['http://a.test'].x).toBe('1');
    const snapshot = jar.state();
    jar.clear('http://a.test/path');
    expect(snapshot['http://a.test']).toEqual({ x: 'changed' });
    expect(jar.state()).toEqual({ 'http://b.test': { y: '2' } });
    jar.clear();
    expect(jar.state()).toEqual({});
  });

  it('names origins the way URL does (default port omitted)', () => {
    expect(originOf('https://ws-edt-igs.wigorservices.net:443/Home/Get')).toBe('https://ws-edt-igs.wigorservices.net');
    expect(originOf('http://127.0.0.1:4567/x')).toBe('http://127.0.0.1:4567');
  });
});
