import { describe, expect, it } from 'vitest';
import { AppriseUrlError, parseAppriseParts, parseBool, splitPath } from './apprise-url.js';

describe('parseAppriseParts (Apprise grammar: apprise/utils/parse.py parse_url, parse_qsd; apprise/url.py)', () => {
  it('splits schema, user, password, host, port, path and options, decoding each', () => {
    const p = parseAppriseParts('JSONS://us%40er:p%3Ass@Host.example:8443//a//b%2Fc/?Method=PUT&+X-Token=a+b&-q=1&:msg=x;flag');
    expect(p).toMatchObject({ schema: 'jsons', secure: true, user: 'us@er', password: 'p:ss', host: 'Host.example', port: 8443, fullpath: '/a/b/c/' });
    expect(p.path).toEqual(['a', 'b', 'c']);
    expect(p.qsd).toMatchObject({ method: 'PUT', '+x-token': 'a+b', '-q': '1', ':msg': 'x', flag: '' });
    expect(p.add).toEqual({ 'X-Token': 'a+b' });
    expect(p.del).toEqual({ q: '1' });
    expect(p.colon).toEqual({ msg: 'x' });
  });

  it('a "+" in an option name after its first character is a space; a decoded leading space is a header too', () => {
    expect(parseAppriseParts('json://h?a+b=1').qsd).toEqual({ 'a b': '1' });
    expect(parseAppriseParts('json://h?%20X-A=1').add).toEqual({ 'X-A': '1' });
  });

  it('?user= ?pass= ?password= ?port= override; with ?user= alone the URL user becomes the password (url.py)', () => {
    expect(parseAppriseParts('mailtos://example.com?user=me&pass=pw&port=2525')).toMatchObject({ user: 'me', password: 'pw', port: 2525 });
    expect(parseAppriseParts('mailtos://SECRET@example.com?user=me@example.com')).toMatchObject({ user: 'me@example.com', password: 'SECRET' });
  });

  it('reads "/#" as "/%23" (plugins/__init__.py url_to_dict) and any other "#" is refused', () => {
    expect(parseAppriseParts('slack://a/b/c/#chan').path).toEqual(['b', 'c', '#chan']);
    expect(() => parseAppriseParts('mailto://u:pa#ss@example.com')).toThrow(/write it as %23/);
  });

  it.each([
    ['nothing', /not a notification URL/],
    ['x://h:port', /port "port"/],
    ['x://h:0', /port "0"/],
  ])('refuses %s', (url, message) => {
    expect(() => parseAppriseParts(url)).toThrow(AppriseUrlError);
    expect(() => parseAppriseParts(url)).toThrow(message);
  });

  it('splitPath and parseBool follow split_path and parse_bool', () => {
    expect(splitPath('/a, b\\c//d%20e')).toEqual(['a', 'b', 'c', 'd e']);
    expect(['yes', 'Y', 'true', 'on', '1', 'always', 'enable'].map((v) => parseBool(v, false))).toEqual(Array(7).fill(true));
    expect(['no', 'N', 'false', 'off', '0', 'never', 'disable', 'deny'].map((v) => parseBool(v, true))).toEqual(Array(8).fill(false));
    expect(parseBool('maybe', true)).toBe(true);
    expect(parseBool(undefined, false)).toBe(false);
  });
});
