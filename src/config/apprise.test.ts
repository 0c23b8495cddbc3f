import { describe, expect, it } from 'vitest';
import { AppriseUrlError, parseAppriseUrl } from './apprise.js';

describe('parseAppriseUrl', () => {
  it('discord://id/token → a Discord webhook', () => {
    expect(parseAppriseUrl('discord://123456789012345678/AbC-def_ghi123456', 0)).toEqual({
      name: 'discord-1',
      type: 'discord-webhook',
      url: 'https://discord.com/api/webhooks/123456789012345678/AbC-def_ghi123456',
    });
    expect(parseAppriseUrl('discord://botname@123456789012345678/AbC-def_ghi123456', 2).name).toBe('discord-3');
  });

  it('slack://T/B/X → a Slack incoming webhook', () => {
    expect(parseAppriseUrl('slack://T0000AAAA/B0000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX', 1)).toEqual({
      name: 'slack-2',
      type: 'slack',
      url: 'https://hooks.slack.com/services/T0000AAAA/B0000BBBB/XXXXXXXXXXXXXXXXXXXXXXXX',
    });
  });

  it('mailto:// → STARTTLS on 587 with credentials, recipients and sender', () => {
    expect(parseAppriseUrl('mailto://bot:p%40ss@smtp.example.com?to=a@example.com,b@example.com&from=bot@example.com')).toEqual({
      name: 'mailto-1',
      type: 'email',
      smtp: { host: 'smtp.example.com', port: 587, secure: false, user: 'bot', password: 'p@ss' },
      from: 'bot@example.com',
      to: ['a@example.com', 'b@example.com'],
    });
    // Without to/from, the account's own address (user@host) is both, as in Apprise.
    expect(parseAppriseUrl('mailto://me:pw@mail.example.org:2525')).toMatchObject({
      smtp: { port: 2525, secure: false },
      from: 'me@mail.example.org',
      to: 'me@mail.example.org',
    });
  });

  it('mailtos:// → STARTTLS on 587 as Apprise does, implicit TLS on 465 with mode=ssl', () => {
    expect(parseAppriseUrl('mailtos://u:p@smtp.example.com?to=x@example.com')).toMatchObject({ smtp: { port: 587, secure: false } });
    expect(parseAppriseUrl('mailtos://u:p@smtp.example.com?to=x@example.com&mode=ssl')).toMatchObject({ smtp: { port: 465, secure: true } });
  });

  it('json:// and jsons:// → a JSON webhook over http / https, path, port and credentials kept', () => {
    expect(parseAppriseUrl('json://hooks.local:8080/alerts/in?x=1', 4)).toEqual({ name: 'json-5', type: 'webhook', url: 'http://hooks.local:8080/alerts/in?x=1' });
    expect(parseAppriseUrl('jsons://u:pw@example.com')).toMatchObject({ url: 'https://u:pw@example.com/' });
  });

  it.each([
    ['https://discord.com/api/webhooks/1/2', /unsupported notification URL scheme "https:\/\/"/],
    ['not a url', /not a channel URL/],
    ['discord://123456789', /webhook id and a webhook token, got 1/],
    ['discord://abc/AbCdefghijkl', /webhook id must be digits/],
    ['slack://T1/B2', /three tokens, got 2/],
    ['slack://T1/B2/XYZ/#general', /channel overrides are not supported/],
    ['slack://X1/B2/XYZ', /starts with T/],
    ['mailto://smtp.example.com', /no sender/],
    ['mailto://u:p@smtp.example.com:99999?to=a@b.c', /port 99999 is out of range/],
    ['mailto://u:p@smtp.example.com?to=a@b.c&cc=x@y.z', /unknown option "cc"/],
    ['mailto://u:p@smtp.example.com?to=nobody', /"nobody" is not an email address/],
    ['mailto://u:p@smtp.example.com?to=a@b.c&mode=tls', /mode must be "ssl" or "starttls"/],
    ['json://', /missing host/],
  ])('rejects %s clearly', (url, message) => {
    expect(() => parseAppriseUrl(url)).toThrow(AppriseUrlError);
    expect(() => parseAppriseUrl(url)).toThrow(message);
  });

  it('never echoes a secret in its errors', () => {
    try {
      parseAppriseUrl('mailto://user:hunter2hunter2@smtp.example.com?to=a@b.c&bogus=1');
      expect.unreachable();
    } catch (err) {
      expect(String(err)).not.toContain('hunter2hunter2');
    }
  });
});
