import { describe, expect, it } from 'vitest';
import { channelsSchema } from '../config/index.js';
import { describeChannel, mask } from './describe.js';

const plan = (url: string) => describeChannel(channelsSchema.parse([url])[0]!);

describe('describeChannel (notify test --dry-run)', () => {
  it('email: the template server, port, TLS mode and login; the password masked', () => {
    const p = plan('mailto://student:app-pass-1234@gmail.com?cc=prof@example.org&+X-Tag=cs');
    expect(p).toMatchObject({
      service: 'Email (SMTP)',
      endpoint: 'smtp://smtp.gmail.com:587',
      host: 'smtp.gmail.com',
      port: 587,
      tls: 'starttls (required)',
      login: 'student@gmail.com',
    });
    expect(p.targets).toEqual(['to student@gmail.com', 'cc prof@example.org']);
    expect(p.headers).toEqual({ 'X-Tag': 'cs' });
    expect(JSON.stringify(p)).not.toContain('app-pass-1234');
    expect(plan('mailto://u:p@mail.example.org').tls).toMatch(/^insecure/);
  });

  it('json: method, URL with its query items, headers with secret-looking values masked, basic auth named not shown', () => {
    const p = plan('jsons://bob:hunter2hunter2@hooks.example.org:8443/in?+X-Token=supersecret99&+X-Source=cs&-k=v&method=PUT');
    expect(p).toMatchObject({
      service: 'JSON webhook',
      host: 'hooks.example.org',
      port: 8443,
      tls: 'https',
      login: 'bob',
      endpoint: 'PUT https://hooks.example.org:8443/in?k=v',
    });
    expect(p.headers).toEqual({ 'X-Token': 'su****', 'X-Source': 'cs', Authorization: 'Basic cr**** (bob)' });
    expect(JSON.stringify(p)).not.toMatch(/hunter2|supersecret99/);
  });

  it('Discord, Telegram, ntfy, Pushover and Matrix: targets and options, tokens masked', () => {
    const d = plan('discord://417429632418316298/JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjC?thread=123456789&botname=Campus');
    expect(d.endpoint).toBe('POST https://discord.com/api/v10/webhooks/417429632418316298/JH****?thread_id=123456789');
    expect(d.options).toMatchObject({ botname: 'Campus', thread: '123456789', format: 'markdown' });
    const t = plan('tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100123?topic=7');
    expect(t).toMatchObject({ host: 'api.telegram.org', port: 443, targets: ['chat -100123 topic 7'] });
    expect(JSON.stringify(t)).not.toContain('AAHdqTcv');
    expect(plan('ntfys://tk_abcdefgh123@ntfy.example.org/alerts').headers).toEqual({ Authorization: 'Bearer tk****' });
    expect(plan('pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi/phone').login).toBe('user key uQ****, token az****');
    expect(plan('matrixs://bot:pw-123456@matrix.example.org/#alerts')).toMatchObject({ login: 'bot', targets: ['room #alerts'], tls: 'https' });
    expect(mask('abc')).toBe('****');
  });
});
