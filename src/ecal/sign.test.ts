import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecalSign, signedQuery } from './sign.js';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

describe('ecalSign', () => {
  it('matches the reference GET vector', () => {
    const params = { apiKey: '123123123', xxx: 'Orange', aaa: 'Green' };
    expect(ecalSign('API-SECRET', params)).toBe('3683a3c00c16724dbe3f2efb1561bb13');
    // Same thing spelled out: secret, then key+value sorted by key, no separators.
    expect(md5('API-SECRETaaaGreenapiKey123123123xxxOrange')).toBe('3683a3c00c16724dbe3f2efb1561bb13');
  });

  it('appends the raw JSON body for POST (hand-computed, md5sum of the concatenation)', () => {
    const body = '{"name":"Maths","location":"Salle 101"}';
    // printf 's3cr3tapiKeyk-1{"name":"Maths","location":"Salle 101"}' | md5sum
    expect(ecalSign('s3cr3t', { apiKey: 'k-1' }, body)).toBe('e70927bc4f43d10027d3a1b245c7adce');
  });

  it('hashes non-ASCII bodies as UTF-8 bytes', () => {
    // printf 's3cr3tapiKeyk-1{"name":"Mathématiques ✓"}' | md5sum
    expect(ecalSign('s3cr3t', { apiKey: 'k-1' }, '{"name":"Mathématiques ✓"}')).toBe('b0ab2a1f16c5586a61efe25bb54bf451');
  });

  it('leaves apiSign out of what it signs', () => {
    expect(ecalSign('API-SECRET', { apiKey: '123', apiSign: 'whatever' })).toBe(md5('API-SECRETapiKey123'));
  });

  it('is case-sensitive and sorts keys by bytes (uppercase before lowercase)', () => {
    expect(ecalSign('S', { b: '1', B: '2', a: '3' })).toBe(md5('SB2a3b1'));
    expect(ecalSign('S', { k: 'Value' })).not.toBe(ecalSign('S', { k: 'value' }));
  });

  it('sorts by UTF-8 bytes, not UTF-16 code units, beyond the BMP', () => {
    // UTF-16 puts the emoji (D83D…) before U+FF01; UTF-8 puts it after (F0… > EF…), as PHP does.
    const emoji = '\u{1F600}';
    const fullwidth = '\uFF01';
    expect(ecalSign('S', { [emoji]: 'x', [fullwidth]: 'y' })).toBe(md5(`S${fullwidth}y${emoji}x`));
  });

  it('changes when any signed byte changes', () => {
    const base = ecalSign('S', { apiKey: 'k' }, '{"a":1}');
    expect(ecalSign('S', { apiKey: 'k' }, '{"a":2}')).not.toBe(base);
    expect(ecalSign('T', { apiKey: 'k' }, '{"a":1}')).not.toBe(base);
    expect(ecalSign('S', { apiKey: 'k', page: '1' }, '{"a":1}')).not.toBe(base);
  });
});

describe('signedQuery', () => {
  it('puts the parameters in signing order, then apiSign', () => {
    const q = signedQuery('API-SECRET', { apiKey: '123123123', xxx: 'Orange', aaa: 'Green' });
    expect(q).toBe('aaa=Green&apiKey=123123123&xxx=Orange&apiSign=3683a3c00c16724dbe3f2efb1561bb13');
  });

  it('URL-encodes values that a server decodes back to what was signed', () => {
    const params = { apiKey: 'k+/=', q: 'a b&c=d é', startDate: '2025-03-01' };
    const q = signedQuery('sec', params);
    expect(q).not.toContain(' ');
    expect(q).toContain('q=a%20b%26c%3Dd%20%C3%A9');
    const decoded = new URLSearchParams(q);
    expect(decoded.get('apiKey')).toBe('k+/=');
    expect(decoded.get('q')).toBe('a b&c=d é');
    const { apiSign, ...rest } = Object.fromEntries(decoded);
    expect(rest).toEqual(params);
    expect(apiSign).toBe(ecalSign('sec', params));
  });

  it('signs the body too', () => {
    const q = signedQuery('s3cr3t', { apiKey: 'k-1' }, '{"name":"Maths","location":"Salle 101"}');
    expect(q).toBe('apiKey=k-1&apiSign=e70927bc4f43d10027d3a1b245c7adce');
  });

  it('replaces a stale apiSign rather than sending two', () => {
    const q = signedQuery('API-SECRET', { apiKey: '123', apiSign: 'stale' });
    expect(new URLSearchParams(q).getAll('apiSign')).toEqual([md5('API-SECRETapiKey123')]);
  });
});
