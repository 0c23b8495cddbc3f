import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelsSchema, inviteePolicy, mayContact, notifySecrets, type ChannelConfig } from '../config/index.js';
// Test-only import: the simulators follow reference/, not this code.
import { startGotifySim, startNtfySim, type GotifySim, type NtfySim } from '../sim/index.js';
import { channelServerUrl, sendTestMessages, testAlert } from './test-message.js';

let ntfy: NtfySim;
let gotify: GotifySim;
beforeAll(async () => {
  ntfy = await startNtfySim({ protected: { alerts: { user: 'bob', password: 'ntfy-pass-1' } } });
  gotify = await startGotifySim();
});
afterAll(async () => {
  await ntfy.close();
  await gotify.close();
});

const hostOf = (url: string): string => new URL(url).host;
const channels = (...urls: string[]): ChannelConfig[] => channelsSchema.parse(urls) as ChannelConfig[];

describe('sendTestMessages', () => {
  it('sends one test message per channel in the reader’s language and reports each', async () => {
    const cs = channels(`ntfy://bob:ntfy-pass-1@${hostOf(ntfy.url)}/alerts`, `ntfy://bob:wrong-pass@${hostOf(ntfy.url)}/alerts`);
    cs[1]!.name = 'second';
    const results = await sendTestMessages({ channels: cs, alert: testAlert('lea', 'fr'), secrets: notifySecrets(cs), locale: 'fr' });
    expect(results[0]).toMatchObject({ ok: true, type: 'ntfy', detail: '', message: `${cs[0]!.name} : message de test envoyé` });
    expect(ntfy.messages().at(-1)).toMatchObject({
      topic: 'alerts',
      title: 'campus-sync : notification de test',
      message: 'Ce canal recevra les alertes de lea.',
    });
    expect(results[1]).toMatchObject({ ok: false, reason: 'failed', channel: 'second' });
    expect(JSON.stringify(results)).not.toContain('wrong-pass');
    expect(JSON.stringify(results)).not.toContain('ntfy-pass-1');
  });

  it('refuses, before sending anything, an invitee’s channel on a server of their own', async () => {
    const before = ntfy.messages().length;
    const app = gotify.createApp();
    const cs = channels(`ntfy://bob:ntfy-pass-1@${hostOf(ntfy.url)}/alerts`, `gotify://${hostOf(gotify.url)}/${app}`);
    const policy = inviteePolicy({ school: 'cd', env: {} });
    const results = await sendTestMessages({ channels: cs, alert: testAlert('lea', 'en'), secrets: notifySecrets(cs), locale: 'en', policy });
    expect(results.map((r) => [r.ok, r.reason])).toEqual([
      [false, 'refused-host'],
      [false, 'refused-host'],
    ]);
    expect(results[0]!.detail).toBe(`${hostOf(ntfy.url)} is an IP address: an invitation cannot use one`);
    expect(ntfy.messages()).toHaveLength(before);
    // The owner's own allowance (the simulators standing in for ntfy.sh) lets the same channel through.
    const owned = inviteePolicy({ school: 'cd', env: {}, ownerOrigins: [ntfy.url] });
    const sent = await sendTestMessages({ channels: cs.slice(0, 1), alert: testAlert('lea', 'en'), secrets: notifySecrets(cs), locale: 'en', policy: owned });
    expect(sent[0]).toMatchObject({ ok: true, message: `${cs[0]!.name}: test message sent` });
  });
});

describe('channelServerUrl', () => {
  it('names the server each channel calls, which the invitee policy then judges', () => {
    const policy = inviteePolicy({ school: 'igensia', env: {} });
    const [discord, ntfyCloud, ntfyOwn, mail, slack] = channels(
      'discord://123456789012/tokentoken',
      'ntfy://my-topic',
      'ntfys://ntfy.example.org/topic',
      'mailto://user:pw@gmail.com',
      'slack://T1234/B1234/abcdefghijklmnopqrstuvwx',
    );
    expect(channelServerUrl(discord!)).toBe('https://discord.com:443');
    expect(mayContact(policy, channelServerUrl(discord!))).toEqual({ ok: true });
    expect(mayContact(policy, channelServerUrl(ntfyCloud!))).toEqual({ ok: true });
    expect(mayContact(policy, channelServerUrl(slack!))).toEqual({ ok: true });
    expect(mayContact(policy, channelServerUrl(ntfyOwn!))).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(channelServerUrl(mail!)).toMatch(/^smtp:\/\//);
    expect(mayContact(policy, channelServerUrl(mail!))).toMatchObject({ ok: false });
  });
});
