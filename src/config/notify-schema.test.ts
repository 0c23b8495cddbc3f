import { describe, expect, it } from 'vitest';
import { channelsSchema, notifySchema, notifySecrets } from './notify-schema.js';

describe('notifySchema', () => {
  it('accepts every channel type, fills defaults, and parses Apprise strings named by position', () => {
    const cfg = notifySchema.parse({
      channels: [
        { name: 'dw', type: 'discord-webhook', url: 'https://discord.com/api/webhooks/123456/tok-en_123', events: ['slot.new'], minSeverity: 'info' },
        { name: 'bot', type: 'discord-bot', token: 'bot-token-123456', channelId: '123456789' },
        { name: 'sl', type: 'slack', url: 'https://hooks.slack.com/services/T1/B2/XYZ', quietHours: { from: '22:00', to: '07:00', timezone: 'Europe/Paris' } },
        { name: 'mail', type: 'email', smtp: { host: 'smtp.example.com', user: 'u', password: 'pw-secret' }, from: 'a@example.com', to: ['b@example.com'] },
        { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/x' },
        'discord://123456789012/abcdefghijklmnop',
      ],
    });
    expect(cfg.channels.map((c) => c.name)).toEqual(['dw', 'bot', 'sl', 'mail', 'hook', 'discord-6']);
    expect(cfg.channels[1]).toMatchObject({ apiUrl: 'https://discord.com/api' });
    expect(cfg.channels[3]).toMatchObject({ smtp: { port: 587, secure: false } });
    expect(notifySchema.parse({}).channels).toEqual([]);
  });

  it.each([
    [{ name: 'x', type: 'slack', url: 'https://h/x', extra: 1 }, /extra|Unrecognized/i],
    [{ name: 'x', type: 'sms', url: 'https://h/x' }, /type|Invalid/i],
    [{ name: 'x', type: 'slack', url: 'ftp://h/x' }, /http\(s\)/],
    [{ name: 'x', type: 'discord-webhook', url: 'https://discord.com/api/other' }, /webhooks\/<id>\/<token>/],
    [{ name: 'x', type: 'slack', url: 'https://h/x', events: ['slot.gone'] }, /events/],
    [{ name: 'x', type: 'slack', url: 'https://h/x', quietHours: { from: '25:00', to: '07:00' } }, /HH:MM/],
    [{ name: 'x', type: 'slack', url: 'https://h/x', quietHours: { from: '22:00', to: '07:00', timezone: 'Mars/Base' } }, /IANA/],
    [{ name: 'x', type: 'slack', url: 'https://h/x', quietHours: { from: '22:00', to: '22:00' } }, /differ/],
    [{ name: 'x', type: 'email', smtp: { host: 'h', password: 'p' }, from: 'a@b.c', to: 'd@e.f' }, /without user/],
    ['slack://T1/B2', /three webhook tokens/],
  ])('rejects %j', (entry, message) => {
    const r = channelsSchema.safeParse([entry]);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(message);
  });

  it('rejects duplicate names', () => {
    const r = channelsSchema.safeParse([
      { name: 'a', type: 'webhook', url: 'http://h/1' },
      { name: 'a', type: 'webhook', url: 'http://h/2' },
    ]);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('duplicate channel name');
  });
});

describe('notifySecrets', () => {
  it('lists tokens, webhook URLs and their token parts, SMTP and URL passwords', () => {
    const channels = channelsSchema.parse([
      { name: 'dw', type: 'discord-webhook', url: 'https://discord.com/api/webhooks/123456/DiscordTok_en' },
      { name: 'bot', type: 'discord-bot', token: 'bot-token-123456', channelId: '123456789' },
      { name: 'sl', type: 'slack', url: 'https://hooks.slack.com/services/T1/B2/SlackTokenXYZ' },
      { name: 'mail', type: 'email', smtp: { host: 'smtp.example.com', user: 'u', password: 'pw-secret' }, from: 'a@example.com', to: 'b@example.com' },
      { name: 'hook', type: 'webhook', url: 'http://user:hookpass@127.0.0.1:9/x?token=querytoken1' },
    ]);
    const s = notifySecrets(channels);
    for (const expected of [
      'https://discord.com/api/webhooks/123456/DiscordTok_en',
      'DiscordTok_en',
      'bot-token-123456',
      'https://hooks.slack.com/services/T1/B2/SlackTokenXYZ',
      'SlackTokenXYZ',
      'pw-secret',
      'hookpass',
      'querytoken1',
    ]) {
      expect(s).toContain(expected);
    }
  });
});
