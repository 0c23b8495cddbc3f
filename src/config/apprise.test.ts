/**
 * The Apprise corpus: URLs from Apprise's README (caronc/apprise at cf17bc9, README.md, line given per case) and
 * plugin headers, each with what Apprise makes of it, read from the plugin's parse_url/__init__ (file named per
 * case). README placeholders that Apprise itself cannot use (`:port`, `bottoken`) are written as real values.
 */
import { describe, expect, it } from 'vitest';
import { channelsSchema } from './notify-schema.js';
import { AppriseUrlError, parseAppriseUrl } from './apprise.js';
import { renderText } from '../lib/index.js';
import { textOfZodIssue } from './messages.js';

const parse = (url: string) => {
  const r = channelsSchema.safeParse([url]);
  if (!r.success) throw new Error(r.error.issues.map((i) => i.message).join('; '));
  return r.data[0];
};

const DISCORD_TOKEN = 'JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjCiOAF7711o33MyqU344Qpgv7YTpadV_js';
const TG = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const PO_USER = 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG';
const PO_TOKEN = 'azGDORePK8gMaC0QOYAMyEEuzJnyUi';

describe('Apprise corpus: email (README 230-231, 271, 502; apprise/plugins/email/base.py and templates.py)', () => {
  it.each([
    // mailto:// means plain SMTP on 25 (SecureMailMode.INSECURE, SECURE_MODES default_port 25).
    [
      'mailto://userid:pass@domain.com',
      {
        smtp: { host: 'domain.com', port: 25, mode: 'insecure', secure: false, user: 'userid', password: 'pass' },
        from: 'userid@domain.com',
        to: 'userid@domain.com',
      },
    ],
    [
      'mailto://domain.com?user=userid&pass=password',
      { smtp: { host: 'domain.com', port: 25, mode: 'insecure', user: 'userid', password: 'password' }, from: 'userid@domain.com' },
    ],
    ['mailto://domain.com:2525?user=userid&pass=password', { smtp: { host: 'domain.com', port: 2525, mode: 'insecure', user: 'userid' } }],
    [
      'mailto://mySendingUsername:mySendingPassword@example.com?to=receivingAddress@example.com',
      {
        smtp: { host: 'example.com', port: 25, user: 'mySendingUsername', password: 'mySendingPassword' },
        from: 'mySendingUsername@example.com',
        to: 'receivingAddress@example.com',
      },
    ],
    [
      'mailto://userid:password@example.com?smtp=mail.example.com&from=noreply@example.com&name=no%20reply',
      {
        smtp: { host: 'mail.example.com', port: 25, mode: 'insecure', user: 'userid' },
        from: 'noreply@example.com',
        fromName: 'no reply',
        to: 'noreply@example.com',
      },
    ],
    // mailtos:// defaults to STARTTLS on 587; a written port is kept with the mode.
    ['mailtos://userid:pass@domain.com', { smtp: { host: 'domain.com', port: 587, mode: 'starttls', secure: false, user: 'userid' } }],
    ['mailtos://domain.com:465?user=userid&pass=password', { smtp: { host: 'domain.com', port: 465, mode: 'starttls' } }],
    [
      'mailtos://userid:password@example.com?smtp=mail.example.com&from=noreply@example.com&name=no%20reply',
      { smtp: { host: 'mail.example.com', port: 587, mode: 'starttls' }, fromName: 'no reply' },
    ],
    // Templates: Google Mail (login as the address), Hotmail, Outlook, Yahoo and Fast Mail (SSL 465), Yandex (user id login).
    [
      'mailto://myemail:mypass@gmail.com',
      {
        smtp: { host: 'smtp.gmail.com', port: 587, mode: 'starttls', user: 'myemail@gmail.com', password: 'mypass' },
        from: 'myemail@gmail.com',
        to: 'myemail@gmail.com',
      },
    ],
    [
      'mailto://myuser:mypass@hotmail.com',
      { smtp: { host: 'smtp-mail.outlook.com', port: 587, mode: 'starttls', user: 'myuser@hotmail.com' }, from: 'myuser@hotmail.com' },
    ],
    ['mailto://me:pw@outlook.com', { smtp: { host: 'smtp.outlook.com', port: 587, mode: 'starttls', user: 'me@outlook.com' } }],
    ['mailto://me:pw@yahoo.com', { smtp: { host: 'smtp.mail.yahoo.com', port: 465, mode: 'ssl', secure: true, user: 'me@yahoo.com' } }],
    ['mailto://me:pw@fastmail.com', { smtp: { host: 'smtp.fastmail.com', port: 465, mode: 'ssl', user: 'me@fastmail.com' } }],
    ['mailto://me:pw@sent.com', { smtp: { host: 'smtp.fastmail.com', port: 465, mode: 'ssl' } }],
    ['mailto://me:pw@yandex.ru', { smtp: { host: 'smtp.yandex.ru', port: 465, mode: 'ssl', user: 'me' }, from: 'me@yandex.ru' }],
    // A written port or mode wins over the template's; ?smtp= turns templates off.
    ['mailtos://me:pw@gmail.com:2525', { smtp: { host: 'smtp.gmail.com', port: 2525, mode: 'starttls' } }],
    ['mailto://me:pw@gmail.com?smtp=relay.example.net', { smtp: { host: 'relay.example.net', port: 25, mode: 'insecure', user: 'me' }, from: 'me@gmail.com' }],
    // Recipients in the path and to=, cc, bcc, from=Name <addr>, headers with +.
    [
      'mailtos://bot:pw@example.com/a@example.org/b@example.org?to=c@example.org&cc=d@example.org,e@example.org&bcc=f@example.org&from=Campus%20Bot%20<bot@example.com>&+X-Tag=alerts',
      {
        to: ['a@example.org', 'b@example.org', 'c@example.org'],
        cc: ['d@example.org', 'e@example.org'],
        bcc: ['f@example.org'],
        from: 'bot@example.com',
        fromName: 'Campus Bot',
        headers: { 'X-Tag': 'alerts' },
      },
    ],
    // The local server template: root@localhost when no user.
    ['mailto://localhost?to=me@example.com', { smtp: { host: 'localhost', port: 25, mode: 'insecure' }, from: 'root@localhost', to: 'me@example.com' }],
    ['mailtos://u:p@smtp.example.com?mode=ssl&to=x@example.com', { smtp: { port: 465, mode: 'ssl', secure: true } }],
  ])('%s', (url, expected) => {
    expect(parse(url)).toMatchObject({ type: 'email', ...expected });
  });

  it('refuses what Apprise cannot send either: the README typo "…@gmail.com&pass=" leaves no sender (base.py "Invalid ~From~")', () => {
    expect(() => parseAppriseUrl('mailto://user@gmail.com&pass=password')).toThrow(/mailto:\/\/ URL: no sender address/);
    expect(() => parseAppriseUrl('mailtos://user@hotmail.com&pass=password')).toThrow(/no sender address/);
  });
});

describe('Apprise corpus: json/form/xml (README 239-241; apprise/plugins/custom_json.py, custom_form.py, custom_xml.py)', () => {
  it.each(['json', 'form', 'xml'] as const)('%s:// forms', (kind) => {
    expect(parse(`${kind}://hostname`)).toMatchObject({ type: 'webhook', format: kind, method: 'POST', url: 'http://hostname/' });
    expect(parse(`${kind}://user@hostname`)).toMatchObject({ url: 'http://user@hostname/' });
    expect(parse(`${kind}://user:password@hostname:8080`)).toMatchObject({ url: 'http://user:password@hostname:8080/' });
    expect(parse(`${kind}://hostname/a/path/to/post/to`)).toMatchObject({ url: 'http://hostname/a/path/to/post/to' });
    expect(parse(`${kind}s://hostname`)).toMatchObject({ url: 'https://hostname/' });
  });

  it('+ is a header, - a query parameter, : a payload field, method= the HTTP method; none is forwarded as a query item', () => {
    const c = parse('jsons://hooks.example.org:8443/in?+X-Token=abc%2B1&+Authorization=Bearer%20tk&-key=v1&:message=text&:type=&method=put');
    expect(c).toEqual(
      expect.objectContaining({
        url: 'https://hooks.example.org:8443/in',
        method: 'PUT',
        headers: { 'X-Token': 'abc+1', Authorization: 'Bearer tk' },
        params: { key: 'v1' },
        payload: { message: 'text', type: '' },
      }),
    );
    // parse_qsd keeps a + inside a value (plus_to_space is off).
    expect(parse('json://h/?+X-Key=a+b')).toMatchObject({ headers: { 'X-Key': 'a+b' } });
  });
});

describe('Apprise corpus: Discord (README 72, 281; apprise/plugins/discord.py)', () => {
  const url = `https://discord.com/api/webhooks/417429632418316298/${DISCORD_TOKEN}`;
  it.each([
    [`discord://417429632418316298/${DISCORD_TOKEN}`, { url, format: 'text', footer: false, avatar: true, tts: false }],
    [`discord://avatar@417429632418316298/${DISCORD_TOKEN}`, { url, botname: 'avatar' }],
    [`discord:///417429632418316298/${DISCORD_TOKEN}`, { url }],
    // The native URL (parse_native_url), also the legacy discordapp.com host.
    [url, { url }],
    [`https://discordapp.com/api/webhooks/417429632418316298/${DISCORD_TOKEN}?footer=yes`, { url, footer: true }],
    // A thread or a link switches to markdown (embeds), as parse_url does.
    [`discord://417429632418316298/${DISCORD_TOKEN}?thread=1234567890123`, { thread: '1234567890123', format: 'markdown' }],
    [
      `discord://417429632418316298/${DISCORD_TOKEN}?avatar=no&tts=yes&footer=yes&botname=Campus&avatar_url=https://example.org/a.png&format=markdown&ping=<@123456>,everyone&url=https://example.org`,
      {
        avatar: false,
        tts: true,
        footer: true,
        botname: 'Campus',
        avatarUrl: 'https://example.org/a.png',
        format: 'markdown',
        ping: ['123456', 'everyone'],
        href: 'https://example.org',
      },
    ],
  ])('%s', (u, expected) => {
    expect(parse(u)).toMatchObject({ type: 'discord-webhook', ...expected });
  });
});

describe('Apprise corpus: Slack (README 149; apprise/plugins/slack.py)', () => {
  const hook = 'https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7';
  it.each([
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/', { url: hook }],
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/Channel', { url: hook, channels: ['Channel'] }],
    ['slack://botname@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/Channel', { url: hook, botname: 'botname', channels: ['Channel'] }],
    ['slack://user@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/Channel1/Channel2/ChannelN', { channels: ['Channel1', 'Channel2', 'ChannelN'] }],
    // url_to_dict reads "/#" as "/%23": the # stays on the channel.
    ['slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7/#general', { channels: ['#general'] }],
    [
      'slack://xoxb-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d/#general/@jane',
      { token: 'xoxb-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d', channels: ['#general', '@jane'] },
    ],
    [hook, { url: hook }],
    [`${hook}?to=%23alerts`, { url: hook, channels: ['#alerts'] }],
  ])('%s', (u, expected) => {
    expect(parse(u)).toMatchObject({ type: 'slack', ...expected });
  });
});

describe('Apprise corpus: phone push (README 82, 102, 112, 129, 159)', () => {
  it.each([
    // ntfy.py: a lone token is a topic on ntfy.sh (cloud mode); a host and a topic is a server of one's own.
    ['ntfy://topic/', { type: 'ntfy', url: 'https://ntfy.sh', topics: ['topic'] }],
    ['ntfys://topic/', { type: 'ntfy', url: 'https://ntfy.sh', topics: ['topic'] }],
    [
      'ntfy://ntfy.example.org/alerts/urgent?priority=high&tags=warning,skull&click=https://example.org',
      { url: 'http://ntfy.example.org', topics: ['alerts', 'urgent'], priority: 'high', tags: ['warning', 'skull'], click: 'https://example.org' },
    ],
    ['ntfys://user:pass@ntfy.example.org:8443/alerts', { url: 'https://ntfy.example.org:8443', user: 'user', password: 'pass' }],
    ['ntfys://tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2@ntfy.example.org/alerts?priority=5', { token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2', priority: 'max' }],
    [
      'ntfy://alerts?priority=min&attach=https://example.org/a.png',
      { url: 'https://ntfy.sh', topics: ['alerts'], priority: 'min', attach: 'https://example.org/a.png' },
    ],
    // gotify.py: the last path token is the application token; names map to Gotify's 0-10.
    ['gotify://hostname/AbCdEf123', { type: 'gotify', url: 'http://hostname/', token: 'AbCdEf123' }],
    ['gotifys://hostname/AbCdEf123?priority=high', { type: 'gotify', url: 'https://hostname/', token: 'AbCdEf123', priority: 8 }],
    ['gotifys://example.org:8443/gotify/AbCdEf123?format=markdown', { url: 'https://example.org:8443/gotify/', markdown: true }],
    // telegram.py: the token's ":" is read before the grammar; chat ids follow; thread is an alias of topic.
    [`tgram://${TG}/-1001234567890`, { type: 'telegram', token: TG, chatIds: ['-1001234567890'], format: 'html' }],
    [`tgram://${TG}/12345/67890`, { chatIds: ['12345', '67890'] }],
    [`tgram://bot${TG}/12345?thread=42&silent=yes&format=markdown`, { token: TG, topic: 42, silent: true, format: 'markdown' }],
    // pushover.py: user key before "@", app token after, devices in the path; priority names.
    [`pover://${PO_USER}@${PO_TOKEN}`, { type: 'pushover', user: PO_USER, token: PO_TOKEN }],
    [`pover://${PO_USER}@${PO_TOKEN}/DEVICE`, { devices: ['DEVICE'] }],
    [
      `pover://${PO_USER}@${PO_TOKEN}/DEVICE1/DEVICE2/DEVICEN?priority=high&sound=siren`,
      { devices: ['DEVICE1', 'DEVICE2', 'DEVICEN'], priority: 1, sound: 'siren' },
    ],
    [`pover://${PO_USER}@${PO_TOKEN}?priority=emergency`, { priority: 2, retry: 900, expire: 3600 }],
    // matrix/base.py: no password and no room is a t2bot webhook (its id where the host goes).
    ['matrix://hostname', { type: 'matrix', mode: 't2bot', token: 'hostname' }],
    ['matrix://user@hostname', { type: 'matrix', mode: 't2bot', token: 'hostname' }],
    ['matrixs://user:pass@hostname:8448/#room_alias', { mode: 'login', url: 'https://hostname:8448', user: 'user', password: 'pass', rooms: ['#room_alias'] }],
    ['matrixs://user:pass@hostname:8448/!room_id', { rooms: ['!room_id'] }],
    ['matrixs://user:pass@hostname:8448/#room_alias/!room_id/#room2', { rooms: ['#room_alias', '!room_id', '#room2'] }],
    ['matrixs://syt_token@hostname/#room:hostname', { mode: 'token', token: 'syt_token', rooms: ['#room:hostname'] }],
  ])('%s', (u, expected) => {
    expect(parse(u)).toMatchObject(expected);
  });
});

describe('refusing loudly', () => {
  it.each([
    ['pushbullet://accesstoken', /unsupported notification URL scheme "pushbullet:\/\/"; supported: discord:\/\/, slack:\/\//],
    ['https://example.org/hook', /"https:\/\/".*json:\/\//],
    ['not a url', /not a notification URL/],
    // README 102's ?webhook= is no option of matrix/base.py: refused, not read as a t2bot id.
    ['matrixs://token@hostname:8448/?webhook=matrix', /option "webhook" is not supported by campus-sync for Matrix/],
    [
      `discord://417429632418316298/${DISCORD_TOKEN}?batch=no&template=x`,
      /options "batch", "template" are not supported by campus-sync for Discord \(supported: botname, avatar/,
    ],
    ['ntfy://topic?actions=view', /option "actions"/],
    ['mailto://u:p@example.com?mode=tls', /mode must be insecure, starttls or ssl/],
    ['mailto://u:p@example.com?to=nobody', /recipient "nobody" is not an email address/],
    ['mailto://u:p@example.com:99999', /port "99999"/],
    ['mailto://u:p:q@example.com', /more than one ":"/],
    ['mailto://u@x@example.com', /more than one "@"/],
    ['json://', /needs a host/],
    ['json://h/?:x=1&+X-Y=2&foo=bar', /option "foo"/],
    ['discord://123456789', /needs the webhook token/],
    ['slack://T1/B2', /three webhook tokens/],
    ['slack://xoxb-1234-abcd', /bot token needs at least one channel/],
    [`tgram://${TG}`, /needs a chat id/],
    ['tgram://notatoken/123', /bot token/],
    ['pover://token', /user key/],
    ['gotify://hostname', /application token/],
    ['ntfy://topic?priority=urgent', /priority "urgent"/],
    ['matrix://u:p@host/#room?mode=slack', /mode "slack" is not supported/],
  ])('%s', (url, message) => {
    const r = channelsSchema.safeParse([url]);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });

  it('names channels by position and never echoes a secret in an error', () => {
    expect(parseAppriseUrl('ntfy://topic', 2).name).toBe('ntfy-3');
    for (const url of ['mailto://user:hunter2hunter2@example.com?bogus=1', 'jsons://u:hunter2hunter2@h/?nope=1', 'matrixs://u:hunter2hunter2@h/#r?mode=x']) {
      let message = '';
      try {
        parseAppriseUrl(url);
      } catch (err) {
        expect(err).toBeInstanceOf(AppriseUrlError);
        message = String(err);
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('hunter2hunter2');
    }
  });
});

describe('refusing in the reader’s language', () => {
  const refusal = (url: string): AppriseUrlError => {
    try {
      parseAppriseUrl(url);
    } catch (err) {
      if (err instanceof AppriseUrlError) return err;
      throw err;
    }
    throw new Error(`${url} was accepted`);
  };

  it('says what a URL lacks in French, the scheme, options and example as written, the English message unchanged', () => {
    const noSender = refusal('mailto://user@gmail.com&pass=password');
    expect(noSender.message).toMatch(/^mailto:\/\/ URL: no sender address: give user@domain/);
    expect(renderText(noSender.text, 'fr')).toMatch(/^URL mailto:\/\/ : pas d’adresse d’expéditeur : donnez utilisateur@domaine.*\(attendu : mailto/);
    const options = refusal('discord://123456/abcdefghijklmnop?bogus=1&other=2');
    expect(options.message).toMatch(/options "bogus", "other" are not supported by campus-sync for Discord/);
    expect(renderText(options.text, 'fr')).toMatch(
      /les options "bogus", "other" ne sont pas prises en charge par campus-sync pour Discord \(prises en charge : /,
    );
    const scheme = refusal('foo://x');
    expect(renderText(scheme.text, 'fr')).toMatch(/^schéma d’URL de notification non pris en charge "foo:\/\/" ; pris en charge : /);
    expect(renderText(refusal('json://host:99999').text, 'fr')).toBe('URL json:// : le port "99999" n’est pas un nombre de 1 à 65535');
  });

  it('reaches a config error in French through the channel list', () => {
    const refused = channelsSchema.safeParse(['mailto://user@gmail.com&pass=password']).error?.issues[0];
    expect(refused && renderText(textOfZodIssue(refused), 'fr')).toMatch(/^URL mailto:\/\/ : pas d’adresse d’expéditeur/);
    expect(refused?.message).toMatch(/^mailto:\/\/ URL: no sender address/);
    // A URL the parser reads but whose channel the schema refuses: each problem with its key, in French too.
    const checked = channelsSchema.safeParse(['ntfy://']).error?.issues[0];
    expect(checked && renderText(textOfZodIssue(checked), 'fr')).toBe('topics.0: un sujet ntfy : lettres, chiffres, "-" et "_" (64 au plus)');
    expect(checked?.message).toBe('topics.0: an ntfy topic: letters, digits, "-" and "_" (max 64)');
  });
});
