import { describe, expect, it } from 'vitest';
import { channelsSchema } from '../../config/index.js';
import { channelFingerprint, createChannel } from './create.js';

describe('createChannel', () => {
  it('builds each type and carries routing, quiet hours and a fingerprint that follows the config', () => {
    const configs = channelsSchema.parse([
      { name: 'dw', type: 'discord-webhook', url: 'https://discord.com/api/webhooks/1/tok', events: ['slot.new'], quietHours: { from: '22:00', to: '07:00' } },
      { name: 'bot', type: 'discord-bot', token: 'bot-token-123456', channelId: '123456789', minSeverity: 'warning' },
      { name: 'sl', type: 'slack', url: 'https://hooks.slack.com/services/T1/B2/X' },
      { name: 'mail', type: 'email', smtp: { host: 'h' }, from: 'a@b.c', to: 'd@e.f' },
      { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/x' },
    ]);
    const channels = configs.map((c) => createChannel(c));
    expect(channels.map((c) => c.type)).toEqual(['discord-webhook', 'discord-bot', 'slack', 'email', 'webhook']);
    expect(channels[0]).toMatchObject({ events: ['slot.new'], quietHours: { from: '22:00', to: '07:00' } });
    expect(channels[1]).toMatchObject({ minSeverity: 'warning' });
    const [a] = configs;
    expect(channelFingerprint(a!)).toBe(channelFingerprint({ ...a! }));
    expect(channelFingerprint({ ...a!, url: 'https://discord.com/api/webhooks/1/other' } as typeof a & object)).not.toBe(channelFingerprint(a!));
  });
});
