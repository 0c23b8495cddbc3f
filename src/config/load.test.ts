import { mkdir, mkdtemp, rm, writeFile, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { listConfigFiles, loadConfigFile, parseConfig } from './load.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'campus-sync-config-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The error a config text gives when read as `configs/alice.yml` (relative, as people see it). */
async function errorOf(text: string, opts: { file?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ConfigError> {
  try {
    await parseConfig(text, { file: opts.file ?? 'configs/alice.yml', env: opts.env ?? {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const CAL = '0123456789abcdef01234567';
const MINIMAL = `
moncampus:
  username: alice.martin
  password: s3cret-pass
`;

describe('parseConfig, nested form', () => {
  it('loads a full config as written', async () => {
    const text = `
timezone: America/Montreal
schedule: "*/30 7-19 * * 1-5"
runOnStart: false
moncampus:
  url: https://ws-edt-cd.wigorservices.net/
  casUrl: https://cas.example.test/cas/login
  username: alice.martin
  password: s3cret-pass
  window:
    from: 2025-09-01
    to: "2026-07-31"
ecal:
  url: http://127.0.0.1:8080/
  apiKey: key-1234
  apiSecret: secret-5678
  calendarId: 0123456789ABCDEF01234567
  alert: 1H
  maxDeleteShare: 0.2
  concurrency: 3
  verifyEvery: 90m
ics:
  enabled: false
`;
    const c = await parseConfig(text, { file: path.join(tmp, 'alice.yml'), env: {} });
    expect(c).toEqual({
      name: 'alice',
      file: path.join(tmp, 'alice.yml'),
      timezone: 'America/Montreal',
      schedule: '*/30 7-19 * * 1-5',
      runOnStart: false,
      moncampus: {
        url: 'https://ws-edt-cd.wigorservices.net',
        casUrl: 'https://cas.example.test/cas/login',
        username: 'alice.martin',
        password: 's3cret-pass',
        window: { from: '2025-09-01', to: '2026-07-31' },
      },
      ecal: {
        url: 'http://127.0.0.1:8080',
        apiKey: 'key-1234',
        apiSecret: 'secret-5678',
        calendarId: CAL,
        alert: '1H',
        maxDeleteShare: 0.2,
        concurrency: 3,
        verifyEveryMs: 90 * 60_000,
      },
      ics: { enabled: false },
      locale: 'fr',
      changes: { horizonDays: 7 },
      slots: [],
      notify: [],
      booking: [],
      legacy: false,
      warnings: [],
      secrets: ['s3cret-pass', 'key-1234', 'secret-5678'],
    });
  });

  it('fills every default for a minimal config', async () => {
    const c = await parseConfig(`${MINIMAL}ecal:\n  apiKey: k-12345\n  apiSecret: s-12345\n  calendarId: ${CAL}\n`, {
      file: 'configs/bob.yaml',
      env: {},
    });
    expect(c.name).toBe('bob');
    expect(c.file).toBe(path.resolve('configs/bob.yaml'));
    expect(c.timezone).toBe('Europe/Paris');
    expect(c.schedule).toBe('46 6-18 * * *');
    expect(c.runOnStart).toBe(true);
    expect(c.moncampus?.url).toBe('https://ws-edt-igs.wigorservices.net');
    // No CAS by default: the worker discovers it from the timetable host.
    expect(c.moncampus && 'casUrl' in c.moncampus).toBe(false);
    expect(c.moncampus?.window).toEqual({ pastDays: 7, futureDays: 120 });
    expect(c.ecal).toEqual({
      url: 'https://api.ecal.com',
      apiKey: 'k-12345',
      apiSecret: 's-12345',
      calendarId: CAL,
      alert: '15M',
      maxDeleteShare: 0.5,
      concurrency: 8,
      verifyEveryMs: 6 * 3600_000,
    });
    expect(c.ics).toEqual({ enabled: true });
    expect(c.legacy).toBe(false);
    expect(c.warnings).toEqual([]);
  });

  it('without ecal, writes only the ICS file; with ICS off too there is nothing to do', async () => {
    const c = await parseConfig(MINIMAL, { file: 'configs/alice.yml', env: {} });
    expect(c.ecal).toBeUndefined();
    expect('ecal' in c).toBe(false);
    expect(c.ics.enabled).toBe(true);
    expect(c.secrets).toEqual(['s3cret-pass']);
    const err = await errorOf(`${MINIMAL}ics:\n  enabled: false\n`);
    expect(err.message).toMatch(/^configs\/alice\.yml: nothing to do/);
  });

  it('holds only slot watchers and channels, as the ClicRDV watcher of the seed does', async () => {
    const slotsOnly = [
      'slots:',
      '  - name: consulat',
      '    provider: clicrdv',
      '    url: http://127.0.0.1:9/api/v2/availabletimeslots?from={date}',
      'notify:',
      '  - name: team',
      '    type: discord-webhook',
      '    url: http://127.0.0.1:9/api/webhooks/1/tok-en',
      '',
    ].join('\n');
    const c = await parseConfig(slotsOnly, { file: 'configs/consulat.yml', env: {} });
    expect(c.moncampus).toBeUndefined();
    expect(c.ics.enabled).toBe(false);
    expect(c.slots.map((w) => w.name)).toEqual(['consulat']);
    expect(c.warnings).toEqual([]);

    const alone = await parseConfig(slotsOnly.split('notify:')[0]!, { file: 'configs/consulat.yml', env: {} });
    expect(alone.warnings.join('\n')).toMatch(/no notify channel/);

    expect((await errorOf(`ecal:\n  apiKey: k\n  apiSecret: s\n  calendarId: ${CAL}\n${slotsOnly}`)).message).toMatch(/moncampus: required with ecal/);
    expect((await errorOf(`${slotsOnly}ics:\n  enabled: true\n`)).message).toMatch(/ics\.enabled: needs a moncampus section/);
    expect((await errorOf('timezone: Europe/Paris\n')).message).toMatch(/nothing to do: add a moncampus section .*, slots .* or booking/);
  });

  it('holds only booking types and channels: secrets from ${VAR} and *File, the config zone, redacted like the rest', async () => {
    const dir = path.join(tmp, 'booking');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'cal.token'), 'cal_token_from_file\n');
    const text = [
      'timezone: America/Montreal',
      'booking:',
      '  - type: appel',
      '    title: Appel téléphonique',
      '    provider: calcom',
      '    eventTypeId: 2283473',
      '    apiKey: ${CAL_KEY}',
      '    apiVersion: v1',
      '  - type: "2024"',
      '    title: Visio',
      '    provider: calcom',
      '    eventTypeId: 7',
      '    tokenFile: cal.token',
      '    timezone: Europe/Paris',
      '    datesOffered: 3',
      'notify:',
      '  - name: team',
      '    type: slack',
      '    url: http://127.0.0.1:9/services/T1/B1/X1',
      '',
    ].join('\n');
    const c = await parseConfig(text, { file: path.join(dir, 'cabinet.yml'), env: { CAL_KEY: 'cal_live_from_env' } });
    expect(c.moncampus).toBeUndefined();
    expect(c.slots).toEqual([]);
    expect(c.booking).toEqual([
      {
        type: 'appel',
        title: 'Appel téléphonique',
        provider: 'calcom',
        eventTypeId: 2283473,
        apiKey: 'cal_live_from_env',
        apiVersion: 'v1',
        url: 'https://api.cal.com',
        timezone: 'America/Montreal',
        rangeDays: 14,
        datesOffered: 4,
        timesPerDate: 2,
      },
      {
        type: '2024',
        title: 'Visio',
        provider: 'calcom',
        eventTypeId: 7,
        token: 'cal_token_from_file',
        apiVersion: 'v2',
        url: 'https://api.cal.com',
        timezone: 'Europe/Paris',
        rangeDays: 14,
        datesOffered: 3,
        timesPerDate: 2,
      },
    ]);
    expect(c.secrets).toEqual(expect.arrayContaining(['cal_live_from_env', 'cal_token_from_file']));
    // Cal.com shut v1 down (410): the type still works, served by v2, and the file's owner is told.
    expect(c.warnings).toEqual([expect.stringMatching(/^booking type "appel": apiVersion v1: Cal\.com shut API v1 down on 2026-04-08 .*served by v2/)]);

    const alone = await parseConfig(text.split('notify:')[0]!, { file: path.join(dir, 'cabinet.yml'), env: { CAL_KEY: 'k' } });
    expect(alone.warnings.join('\n')).toMatch(/booking pages are served but there is no notify channel/);
  });

  it('names the booking key that is wrong, and a token file that cannot be read', async () => {
    const base = 'booking:\n  - type: appel\n    title: Appel\n    provider: calcom\n    eventTypeId: 1\n';
    expect((await errorOf(`${base}    datesOffered: 9\n`)).message).toBe('configs/alice.yml: booking[0].datesOffered: expected 3 to 4 dates, got 9');
    expect((await errorOf(`${base}    tokenFile: /nonexistent/cal.token\n`)).message).toMatch(
      /^configs\/alice\.yml: booking\[0\]\.tokenFile: cannot read .*ENOENT/,
    );
    expect((await errorOf(`${base}${base.slice('booking:\n'.length)}`)).message).toMatch(/booking\[1\]\.type: another booking type is already named "appel"/);
  });

  it('fills one missing side of a rolling window', async () => {
    const c = await parseConfig(`${MINIMAL}  window:\n    futureDays: 30\n`, { file: 'configs/alice.yml', env: {} });
    expect(c.moncampus?.window).toEqual({ pastDays: 7, futureDays: 30 });
  });

  it('keeps text values that look like numbers as written', async () => {
    const c = await parseConfig(
      `moncampus:\n  username: 20231234\n  password: 0123\necal:\n  apiKey: 1e5\n  apiSecret: 0x1F\n  calendarId: 123456789012345678901234\n`,
      { file: 'configs/alice.yml', env: {} },
    );
    expect(c.moncampus?.username).toBe('20231234');
    expect(c.moncampus?.password).toBe('0123');
    expect(c.ecal?.apiKey).toBe('1e5');
    expect(c.ecal?.apiSecret).toBe('0x1F');
    expect(c.ecal?.calendarId).toBe('123456789012345678901234');
  });
});

describe('parseConfig, invalid input names the file, the key and what was expected', () => {
  it('bad cron', async () => {
    const err = await errorOf(`schedule: "61 * * * *"${MINIMAL}`);
    expect(err.message).toBe(
      'configs/alice.yml: schedule: expected a cron expression such as "46 6-18 * * *" (minute hour day month weekday), got "61 * * * *"',
    );
  });

  it('bad time zone', async () => {
    const err = await errorOf(`timezone: Europe/Pariss${MINIMAL}`);
    expect(err.message).toBe('configs/alice.yml: timezone: expected an IANA time zone such as "Europe/Paris", got "Europe/Pariss"');
  });

  it('bad calendar id', async () => {
    const err = await errorOf(`${MINIMAL}ecal:\n  apiKey: k-12345\n  apiSecret: s-12345\n  calendarId: abc\n`);
    expect(err.message).toBe('configs/alice.yml: ecal.calendarId: expected 24 hexadecimal characters, got "abc"');
  });

  it('missing password', async () => {
    const err = await errorOf('moncampus:\n  username: alice\n');
    expect(err.message).toMatch(/^configs\/alice\.yml: moncampus\.password: required\b/);
  });

  it('missing section', async () => {
    const err = await errorOf('timezone: UTC\n');
    expect(err.message).toBe(
      'configs/alice.yml: nothing to do: add a moncampus section (timetable sync), slots (availability watchers) or booking (booking pages)',
    );
  });

  it('unknown key (a typo), with a hint', async () => {
    const err = await errorOf(`${MINIMAL}  pasword: x\nshedule: "* * * * *"\n`);
    expect(err.message.split('\n').sort()).toEqual([
      'configs/alice.yml: moncampus.pasword: unknown key (did you mean password?)',
      'configs/alice.yml: shedule: unknown key (did you mean schedule?)',
    ]);
  });

  it('wrong type', async () => {
    const err = await errorOf(`runOnStart: "yes"${MINIMAL}`);
    expect(err.message).toBe('configs/alice.yml: runOnStart: expected true or false, got "yes"');
    const err2 = await errorOf(`${MINIMAL}ecal:\n  apiKey: k\n  apiSecret: s\n  calendarId: ${CAL}\n  concurrency: many\n`);
    expect(err2.message).toBe('configs/alice.yml: ecal.concurrency: expected a number, got "many"');
  });

  it('ecal.verifyEvery: a duration of at most a week, or 0', async () => {
    const ecal = (v: string) => `${MINIMAL}ecal:\n  apiKey: k\n  apiSecret: s\n  calendarId: ${CAL}\n  verifyEvery: "${v}"\n`;
    for (const bad of ['6', '1d', '200h', 'soon']) {
      const err = await errorOf(ecal(bad));
      expect(err.message, bad).toMatch(/^configs\/alice\.yml: ecal\.verifyEvery: expected a duration of at most 168h/);
    }
    expect((await parseConfig(ecal('0'), { file: '/x/alice.yml' })).ecal?.verifyEveryMs).toBe(0);
    expect((await parseConfig(ecal('1h30m'), { file: '/x/alice.yml' })).ecal?.verifyEveryMs).toBe(90 * 60_000);
  });

  it('one line per issue', async () => {
    const err = await errorOf('timezone: Nowhere\nschedule: bad\nmoncampus:\n  username: a\n  password: b\n');
    expect(err.message.split('\n')).toHaveLength(2);
    expect(err.message.split('\n').every((l) => l.startsWith('configs/alice.yml: '))).toBe(true);
  });

  it('bad YAML syntax gives file and line', async () => {
    const err = await errorOf('moncampus:\n  username: alice\n  password: [oops\nschedule: x\n');
    expect(err.message).toMatch(/^configs\/alice\.yml:\d+:\d+: invalid YAML: /);
    const dup = await errorOf('moncampus:\n  username: a\n  username: b\n  password: c\n');
    expect(dup.message).toMatch(/^configs\/alice\.yml:3:3: invalid YAML: /);
  });

  it('an empty file or a file that is not a mapping', async () => {
    expect((await errorOf('# only a comment\n')).message).toBe('configs/alice.yml: the file is empty');
    expect((await errorOf('- a\n- b\n')).message).toMatch(/^configs\/alice\.yml: expected a mapping/);
  });

  it('bad file stem', async () => {
    const err = await errorOf(MINIMAL, { file: 'configs/Alice Smith.yml' });
    expect(err.message).toMatch(/^configs\/Alice Smith\.yml: .*"Alice Smith" is not a valid name/);
  });

  it('shows an absolute path for files outside the working directory', async () => {
    const file = path.join(tmp, 'carol.yml');
    const err = await errorOf('moncampus:\n  username: a\n', { file });
    expect(err.message.startsWith(`${file}: moncampus.password: required`)).toBe(true);
  });
});

describe('legacy flat keys of the Python original', () => {
  const legacy = (start: string, end: string) => `# Configuration pour config1
moncampus_username: alice.martin
moncampus_password: s3cret-pass
moncampus_start_date: ${start}
moncampus_end_date: ${end}
ecal_api_key: key-1234
ecal_api_secret: secret-5678
ecal_calendar_id: ${CAL}
error_file_path: /app/errors_config1.txt
instance_name: config1
`;

  it('loads unquoted dates', async () => {
    const c = await parseConfig(legacy('2025-01-01', '2025-12-31'), { file: 'configs/config1.yml', env: {} });
    expect(c.legacy).toBe(true);
    expect(c.moncampus).toEqual({
      url: 'https://ws-edt-igs.wigorservices.net',
      username: 'alice.martin',
      password: 's3cret-pass',
      window: { from: '2025-01-01', to: '2025-12-31' },
    });
    expect(c.ecal).toEqual({
      url: 'https://api.ecal.com',
      apiKey: 'key-1234',
      apiSecret: 'secret-5678',
      calendarId: CAL,
      alert: '15M',
      maxDeleteShare: 0.5,
      concurrency: 8,
      verifyEveryMs: 6 * 3600_000,
    });
    expect(c.timezone).toBe('Europe/Paris');
    expect(c.schedule).toBe('46 6-18 * * *');
    expect(c.secrets).toEqual(['s3cret-pass', 'key-1234', 'secret-5678']);
    expect(c.warnings).toEqual(['error_file_path is ignored: errors go to data/config1/errors.log']);
  });

  it('loads quoted dates the same way', async () => {
    const c = await parseConfig(legacy('"2025-01-01"', "'2025-12-31'"), { file: 'configs/config1.yml', env: {} });
    expect(c.moncampus?.window).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('loads dates that a YAML 1.1 parse turns into Date objects', async () => {
    const c = await parseConfig(`%YAML 1.1\n---\n${legacy('2025-01-01', '2025-12-31')}`, {
      file: 'configs/config1.yml',
      env: {},
    });
    expect(c.moncampus?.window).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('warns when instance_name differs from the file stem', async () => {
    const c = await parseConfig(legacy('2025-01-01', '2025-12-31'), { file: 'configs/alice.yml', env: {} });
    expect(c.name).toBe('alice');
    expect(c.warnings).toContain('instance_name "config1" is ignored: the instance is named after its file ("alice")');
  });

  it('refuses a file mixing flat and nested keys', async () => {
    const err = await errorOf(`${legacy('2025-01-01', '2025-12-31')}timezone: UTC\n`);
    expect(err.message).toMatch(/^configs\/alice\.yml: mixes the Python original's flat keys .* with nested keys \(timezone\)/);
  });

  it('reports a bad legacy value by its flat key', async () => {
    const err = await errorOf(legacy('2025-01-01', 'someday'));
    expect(err.message).toBe('configs/alice.yml: moncampus_end_date: expected a date written YYYY-MM-DD, got "someday"');
    const err2 = await errorOf('moncampus_username: a\n');
    expect(err2.message).toBe('configs/alice.yml: moncampus_password: required');
  });
});

describe('${ENV} interpolation', () => {
  const withPassword = (value: string) => `moncampus:\n  username: alice\n  password: ${value}\n`;

  it('takes a set variable', async () => {
    const c = await parseConfig(withPassword('${MC_PASSWORD}'), { file: 'configs/a.yml', env: { MC_PASSWORD: 'from-env' } });
    expect(c.moncampus?.password).toBe('from-env');
    expect(c.secrets).toEqual(['from-env']);
  });

  it('falls back to the default', async () => {
    const c = await parseConfig(`timezone: \${TZ_NAME:-UTC}\n${withPassword('x-${NOPE:-dflt}')}`, {
      file: 'configs/a.yml',
      env: {},
    });
    expect(c.timezone).toBe('UTC');
    expect(c.moncampus?.password).toBe('x-dflt');
  });

  it('reports a missing variable with the key and the variable', async () => {
    const err = await errorOf(withPassword('${MC_PASSWORD}'));
    expect(err.message).toBe('configs/alice.yml: moncampus.password: environment variable MC_PASSWORD is not set');
  });

  it('defaults to process.env', async () => {
    process.env.CAMPUS_SYNC_TEST_PW = 'process-env-pw';
    try {
      const c = await parseConfig(withPassword('${CAMPUS_SYNC_TEST_PW}'), { file: 'configs/a.yml' });
      expect(c.moncampus?.password).toBe('process-env-pw');
    } finally {
      delete process.env.CAMPUS_SYNC_TEST_PW;
    }
  });
});

describe('*File secrets', () => {
  it('reads secrets from files, relative to the config, trailing newline trimmed', async () => {
    const dir = await mkdtemp(path.join(tmp, 'secrets-'));
    await mkdir(path.join(dir, 'secrets'));
    await writeFile(path.join(dir, 'secrets', 'mc'), 'pw from file\n');
    await writeFile(path.join(dir, 'key'), 'api-key-x\r\n');
    await writeFile(path.join(tmp, 'abs-secret'), 'api-secret-y');
    const text = `moncampus:
  username: alice
  passwordFile: secrets/mc
ecal:
  apiKeyFile: ./key
  apiSecretFile: \${SECRET_PATH}
  calendarId: ${CAL}
`;
    const c = await parseConfig(text, { file: path.join(dir, 'alice.yml'), env: { SECRET_PATH: path.join(tmp, 'abs-secret') } });
    expect(c.moncampus?.password).toBe('pw from file');
    expect(c.ecal?.apiKey).toBe('api-key-x');
    expect(c.ecal?.apiSecret).toBe('api-secret-y');
    expect(c.secrets).toEqual(['pw from file', 'api-key-x', 'api-secret-y']);
  });

  it('refuses both forms of one secret', async () => {
    const err = await errorOf('moncampus:\n  username: a\n  password: p\n  passwordFile: /run/secrets/p\n');
    expect(err.message).toBe('configs/alice.yml: moncampus.passwordFile: give either password or passwordFile, not both');
  });

  it('names the key and the path of an unreadable file', async () => {
    const missing = path.join(tmp, 'nope', 'secret');
    const err = await errorOf(`moncampus:\n  username: a\n  passwordFile: ${missing}\n`);
    expect(err.message).toBe(`configs/alice.yml: moncampus.passwordFile: cannot read ${missing} (ENOENT)`);
  });

  it('refuses an empty secret file', async () => {
    const empty = path.join(tmp, 'empty-secret');
    await writeFile(empty, '\n');
    const err = await errorOf(`moncampus:\n  username: a\n  passwordFile: ${empty}\n`);
    expect(err.message).toBe(`configs/alice.yml: moncampus.passwordFile: ${empty} is empty`);
  });
});

describe('secrets never appear in error messages', () => {
  const SECRET = 'Hunter2-TopSecret';
  const cases: [string, string][] = [
    ['a YAML error on the secret line', `moncampus:\n  username: a\n  password: "${SECRET}\n`],
    ['a YAML error after it', `moncampus:\n  username: a\n  password: ${SECRET}\n  bad: [x\n`],
    ['a secret of the wrong type', `moncampus:\n  username: a\n  password: [${SECRET}]\n`],
    ['a secret in a mapping', `moncampus:\n  username: a\n  password:\n    x: ${SECRET}\n`],
    ['a malformed reference in a secret', `moncampus:\n  username: a\n  password: ${SECRET}\${bad ref}\n`],
    ['a secret given twice', `moncampus:\n  username: a\n  password: ${SECRET}\n  passwordFile: /x\n`],
    ['a secret under a misspelt key', `moncampus:\n  username: a\n  pasword: ${SECRET}\n`],
    ['a secret with another error', `timezone: nowhere\nmoncampus:\n  username: a\n  password: ${SECRET}\n`],
    ['an empty API key next to a secret', `moncampus:\n  username: a\n  password: ${SECRET}\necal:\n  apiKey: ""\n  apiSecret: ${SECRET}\n  calendarId: x\n`],
    ['a legacy secret of the wrong type', `moncampus_username: a\nmoncampus_password: {x: ${SECRET}}\n`],
    ['a legacy secret and a bad key', `moncampus_username: a\nmoncampus_password: ${SECRET}\necal_api_key: ${SECRET}\n`],
  ];
  for (const [what, text] of cases) {
    it(what, async () => {
      const err = await errorOf(text);
      expect(err.message).not.toContain(SECRET);
      expect(err.message).not.toContain('Hunter2');
    });
  }
});

describe('loadConfigFile', () => {
  it('reads and parses a file', async () => {
    const file = path.join(tmp, 'dave.yml');
    await writeFile(file, MINIMAL);
    const c = await loadConfigFile(file, { env: {} });
    expect(c.name).toBe('dave');
    expect(c.file).toBe(file);
  });

  it('says which file it cannot read', async () => {
    const file = path.join(tmp, 'missing.yml');
    await expect(loadConfigFile(file)).rejects.toThrow(new ConfigError(`${file}: cannot read the config file (ENOENT)`));
  });
});

describe('listConfigFiles', () => {
  it('lists *.yml and *.yaml sorted, skipping junk', async () => {
    const dir = await mkdtemp(path.join(tmp, 'configs-'));
    const files = [
      'zoe.yml',
      'alice.yaml',
      'bob.yml',
      '.hidden.yml',
      'bob.yml~',
      '.bob.yml.swp',
      'bob.yml.swp',
      '#bob.yml#',
      'notes.txt',
      'README.md',
      'bob.yml.bak',
    ];
    for (const f of files) await writeFile(path.join(dir, f), MINIMAL);
    await mkdir(path.join(dir, 'folder.yml'));
    await symlink(path.join(dir, 'bob.yml'), path.join(dir, 'linked.yml'));
    expect(await listConfigFiles(dir)).toEqual([
      { name: 'alice', file: path.join(dir, 'alice.yaml') },
      { name: 'bob', file: path.join(dir, 'bob.yml') },
      { name: 'linked', file: path.join(dir, 'linked.yml') },
      { name: 'zoe', file: path.join(dir, 'zoe.yml') },
    ]);
  });

  it('gives [] for a missing directory', async () => {
    expect(await listConfigFiles(path.join(tmp, 'does-not-exist'))).toEqual([]);
  });
});

describe('service address defaults', () => {
  it('env moves the defaults, a URL in the file still wins', async () => {
    const { serviceDefaults } = await import('./load.js');
    expect(serviceDefaults({})).toEqual({
      moncampusUrl: 'https://ws-edt-igs.wigorservices.net',
      casUrl: undefined,
      ecalUrl: 'https://api.ecal.com',
    });
    const env = {
      CAMPUS_SYNC_MONCAMPUS_URL: 'http://127.0.0.1:1',
      CAMPUS_SYNC_CAS_URL: 'http://127.0.0.1:2/cas/login',
      CAMPUS_SYNC_ECAL_URL: 'http://127.0.0.1:3',
    };
    expect(serviceDefaults(env)).toEqual({ moncampusUrl: 'http://127.0.0.1:1', casUrl: 'http://127.0.0.1:2/cas/login', ecalUrl: 'http://127.0.0.1:3' });
  });
});

describe('resolveConfigText (for workers that do not share the environment)', () => {
  it('fills ${VAR} in, keeps literal ${ escaped, and reads back to the same config', async () => {
    const { resolveConfigText, usesEnv } = await import('./load.js');
    const text = 'moncampus:\n  username: alice\n  password: "${PW}"\nics:\n  enabled: true\n# note: $${NOT_A_VAR}\n';
    const env = { PW: 'pa$${ss-word' };
    expect(usesEnv(text)).toBe(true);
    expect(usesEnv('password: "$${literal}"')).toBe(false);
    const resolved = resolveConfigText(text, { file: '/tmp/alice.yml', env });
    expect(resolved).not.toContain('${PW}');
    const direct = await parseConfig(text, { file: '/tmp/alice.yml', env });
    const again = await parseConfig(resolved, { file: '/tmp/alice.yml', env: {} });
    expect(again.moncampus?.password).toBe(direct.moncampus?.password);
    expect(again.moncampus?.password).toBe('pa$${ss-word');
  });

  it('names the missing variable, as parseConfig does', async () => {
    const { resolveConfigText } = await import('./load.js');
    expect(() => resolveConfigText('moncampus:\n  password: "${NOPE}"\n', { file: '/tmp/bob.yml', env: {} })).toThrow(/NOPE/);
  });
});

describe('slots: and notify: sections', () => {
  it('load with their defaults, and their secrets join the redaction list', async () => {
    const text = [
      'moncampus:',
      '  username: alice',
      '  password: "pw-alice-1234"',
      'slots:',
      '  - name: consulat',
      '    provider: clicrdv',
      '    url: "https://www.clicrdv.com/api/v2/availabletimeslots?group_id=1&appointments[0][intervention_id]=2&from={date}&apikey=clic-secret-key"',
      '  - name: docteur',
      '    provider: calcom',
      '    eventTypeId: 42',
      '    token: cal-secret-token',
      'notify:',
      '  - discord://123456/discord-webhook-token',
      '  - name: mail',
      '    type: email',
      '    smtp: { host: smtp.example.org, user: me, password: smtp-secret-pw }',
      '    from: me@example.org',
      '    to: you@example.org',
      '',
    ].join('\n');
    const c = await parseConfig(text, { file: '/tmp/alice.yml', env: {} });
    expect(c.slots.map((s) => s.name)).toEqual(['consulat', 'docteur']);
    expect(c.notify.map((n) => n.type)).toEqual(['discord-webhook', 'email']);
    for (const secret of ['clic-secret-key', 'cal-secret-token', 'discord-webhook-token', 'smtp-secret-pw']) {
      expect(c.secrets.some((s) => s.includes(secret))).toBe(true);
    }
  });

  it('name the bad key inside a watcher', async () => {
    const text = 'moncampus:\n  username: a\n  password: "pw-a-1234"\nslots:\n  - name: x\n    provider: calcom\n    eventTypeId: nope\n';
    await expect(parseConfig(text, { file: '/tmp/a.yml', env: {} })).rejects.toThrow(/slots\[0\]\.eventTypeId: expected a number/);
  });
});

describe('locale and changes', () => {
  const base = 'timezone: Europe/Paris\nmoncampus:\n  username: a\n  password: secret-pw\n';
  it('default to French and a week ahead, and take what the file says', async () => {
    const d = await parseConfig(base, { file: '/x/lea.yml' });
    expect(d).toMatchObject({ locale: 'fr', changes: { horizonDays: 7 } });
    expect(await parseConfig(`${base}locale: en\nchanges:\n  horizonDays: 14\n`, { file: '/x/lea.yml' })).toMatchObject({
      locale: 'en',
      changes: { horizonDays: 14 },
    });
  });

  it('refuse an unknown language (listing the allowed ones) and a horizon out of range', async () => {
    await expect(parseConfig(`${base}locale: de\n`, { file: '/x/lea.yml' })).rejects.toThrow(/locale: expected one of "fr", "en", got "de"/);
    await expect(parseConfig(`${base}changes:\n  horizonDays: 0\n`, { file: '/x/lea.yml' })).rejects.toThrow(/changes\.horizonDays/);
    await expect(parseConfig(`${base}changes:\n  horizon: 3\n`, { file: '/x/lea.yml' })).rejects.toThrow(/changes\.horizon/);
  });

  it('take a digest time "HH:MM" and refuse anything else, naming the key', async () => {
    expect((await parseConfig(base, { file: '/x/lea.yml' })).changes.digest).toBeUndefined();
    expect(await parseConfig(`${base}changes:\n  digest: "20:00"\n`, { file: '/x/lea.yml' })).toMatchObject({ changes: { horizonDays: 7, digest: '20:00' } });
    await expect(parseConfig(`${base}changes:\n  digest: "8pm"\n`, { file: '/x/lea.yml' })).rejects.toThrow(/changes\.digest.*HH:MM/);
    await expect(parseConfig(`${base}changes:\n  digest: "24:00"\n`, { file: '/x/lea.yml' })).rejects.toThrow(/changes\.digest/);
  });
});
