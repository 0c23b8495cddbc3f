import { describe, expect, it } from 'vitest';
import { inviteePolicy, inviteeTimetableUrl, mayContact, OWNER_POLICY, PUBLIC_NOTIFY_ORIGINS } from './invitee-hosts.js';
import { isSchoolGroup } from './schools.js';

const cd = inviteePolicy({ school: 'cd', env: {} });
const verdict = (url: string) => mayContact(cd, url);

describe('an invitee’s checks', () => {
  it('reach the chosen school’s timetable host, the CAS servers, ECAL and the public notification hosts', () => {
    for (const url of [
      'https://ws-edt-cd.wigorservices.net/Home/Get?dateDebut=2026-01-01',
      'https://cas-p.wigorservices.net/cas/login?service=x',
      'https://moncampus.igensia-education.fr/cas/login',
      'https://api.ecal.com/apiv2/calendar/?apiKey=k',
      'https://discord.com/api/webhooks/1/abc',
      'https://hooks.slack.com/services/T/B/C',
      'https://ntfy.sh/my-topic',
      'https://api.telegram.org/bot1:x/sendMessage',
      'https://api.pushover.net/1/messages.json',
      'https://DISCORD.com:443/api/webhooks/1/abc',
    ]) {
      expect(verdict(url), url).toEqual({ ok: true });
    }
    expect(PUBLIC_NOTIFY_ORIGINS).toContain('https://ntfy.sh');
  });

  it('do not reach the other school group’s host, nor plain http of an allowed one', () => {
    expect(verdict('https://ws-edt-igs.wigorservices.net/Home/Get')).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(verdict('http://ws-edt-cd.wigorservices.net/Home/Get')).toMatchObject({ ok: false });
    expect(verdict('https://ntfy.sh:8443/topic')).toMatchObject({ ok: false });
  });

  it('refuse IP literals in every spelling, IPv6 included', () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://0177.0.0.1/',
      'http://127.1/',
      'http://192.168.1.1:8123/',
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fe80::1]/',
      'https://[2606:4700::1111]/',
      'smtp://2130706433:25',
    ]) {
      expect(verdict(url), url).toMatchObject({ ok: false, reason: 'ip-literal' });
    }
  });

  it('refuse local names, userinfo tricks, trailing dots, look-alikes and punycode', () => {
    expect(verdict('http://localhost:8080/')).toMatchObject({ ok: false, reason: 'local-name' });
    expect(verdict('http://api.localhost/')).toMatchObject({ ok: false, reason: 'local-name' });
    expect(verdict('http://homeassistant.local:8123/')).toMatchObject({ ok: false, reason: 'local-name' });
    expect(verdict('http://router/')).toMatchObject({ ok: false, reason: 'local-name' });
    expect(verdict('https://nas.home.arpa/')).toMatchObject({ ok: false, reason: 'local-name' });
    expect(verdict('https://discord.com@evil.example/')).toMatchObject({ ok: false, reason: 'userinfo' });
    expect(verdict('https://user:pw@ntfy.sh/topic')).toMatchObject({ ok: false, reason: 'userinfo' });
    expect(verdict('https://ntfy.sh./topic')).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(verdict('https://ntfy.sh.evil.example/topic')).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(verdict('https://evil.example/ntfy.sh')).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(verdict('https://dіscord.com/api/webhooks/1/a')).toMatchObject({ ok: false, reason: 'not-allowed' }); // Cyrillic і
    expect(verdict('https://xn--dscord-pvf.com/')).toMatchObject({ ok: false, reason: 'not-allowed', host: 'xn--dscord-pvf.com' });
    expect(verdict('https://xn--dscord-6ve.com/')).toMatchObject({ ok: false, reason: 'not-a-url' }); // invalid punycode
    expect(verdict('https://ntfy.example.org/topic')).toMatchObject({ ok: false, reason: 'not-allowed' });
  });

  it('refuse what is not a URL, or hides characters the parser would drop', () => {
    expect(verdict('ntfy.sh/topic')).toMatchObject({ ok: false, reason: 'not-a-url' });
    expect(verdict('https://nt\nfy.sh/topic')).toMatchObject({ ok: false, reason: 'not-a-url' });
    expect(verdict('https://ntfy.sh/to\tpic')).toMatchObject({ ok: false, reason: 'not-a-url' });
    expect(verdict(' https://ntfy.sh/')).toMatchObject({ ok: false, reason: 'not-a-url' });
    expect(verdict('file:///etc/passwd')).toMatchObject({ ok: false, reason: 'not-a-url' });
    expect(verdict('https:\\\\evil.example\\x')).toMatchObject({ ok: false, reason: 'not-allowed' });
  });

  it('follow the services the owner moved (a proxy, the simulators), and origins the owner adds', () => {
    const env = { CAMPUS_SYNC_MONCAMPUS_URL: 'http://127.0.0.1:4567', CAMPUS_SYNC_ECAL_URL: 'http://127.0.0.1:4568' };
    const p = inviteePolicy({ school: 'igensia', env, ownerOrigins: ['http://127.0.0.1:4569/hook'] });
    expect(inviteeTimetableUrl('igensia', env)).toBe('http://127.0.0.1:4567');
    expect(mayContact(p, 'http://127.0.0.1:4567/Home/Get')).toEqual({ ok: true });
    expect(mayContact(p, 'http://127.0.0.1:4568/apiv2/calendar/')).toEqual({ ok: true });
    expect(mayContact(p, 'http://127.0.0.1:4569/anything')).toEqual({ ok: true });
    expect(mayContact(p, 'http://127.0.0.1:4570/')).toMatchObject({ ok: false, reason: 'ip-literal' });
    expect(mayContact(p, 'https://api.ecal.com/apiv2/')).toMatchObject({ ok: false });
  });
});

describe('the owner’s checks', () => {
  it('are not restricted', () => {
    expect(mayContact(OWNER_POLICY, 'http://192.168.1.10:8123/')).toEqual({ ok: true });
    expect(mayContact(OWNER_POLICY, 'http://localhost/')).toEqual({ ok: true });
  });
});

describe('isSchoolGroup', () => {
  it('knows the two groups and nothing inherited', () => {
    expect(isSchoolGroup('cd')).toBe(true);
    expect(isSchoolGroup('igensia')).toBe(true);
    expect(isSchoolGroup('toString')).toBe(false);
    expect(isSchoolGroup('other')).toBe(false);
  });
});
