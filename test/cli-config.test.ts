import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { answerOnTerminal, CALENDAR_ID, CLI, makeWorkspace, runCli, type Workspace } from './helpers.js';

/** A test here is a chain of `node dist/cli.js` processes: a few seconds alone, 35 s in CI beside the other files. */
const CLI_CHAIN_TIMEOUT_MS = 150_000;

describe('add-config and generate-compose', { timeout: CLI_CHAIN_TIMEOUT_MS }, () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await makeWorkspace();
  });

  it('add-config with flags writes a valid, private config and refuses an existing name', async () => {
    const args = [
      'add-config',
      'gina',
      '--no-input',
      '--username',
      'gina.l',
      '--password',
      'Gina-Secret-1',
      '--calendar-id',
      CALENDAR_ID,
      '--api-key',
      'k-123456',
      '--api-secret',
      's-123456',
      '--from',
      '2025-09-01',
      '--to',
      '2026-07-31',
    ];
    const r = await runCli(args, ws.env);
    expect(r.code, r.stderr).toBe(0);
    const file = join(ws.configs, 'gina.yml');
    expect((await stat(file)).mode & 0o077).toBe(0);
    const doc = parse(await readFile(file, 'utf8')) as { moncampus: { username: string; window: unknown }; ecal: { calendarId: string } };
    expect(doc.moncampus.username).toBe('gina.l');
    expect(doc.ecal.calendarId).toBe(CALENDAR_ID);
    expect((await runCli(['validate', file], ws.env)).code).toBe(0);
    const again = await runCli(args, ws.env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('add-config asks on a terminal, re-asks after a bad answer, never shows a secret, and writes what was answered', async () => {
    // Each answer is typed once its question is on the screen, as a person does: the terminal's echo is
    // then what the CLI chose (secrets: off).
    const dialogue: [RegExp, string][] = [
      [/Config name[^\n]*: $/, 'Not A Name'],
      [/Config name[^\n]*: $/, 'iris'],
      [/School[^\n]*: $/, 'Sorbonne'],
      [/School[^\n]*: $/, 'EPSI'],
      [/MonCampus username[^\n]*: $/, 'iris.p'],
      [/MonCampus password[^\n]*: $/, 'Iris-Secret-9'],
      [/ECAL calendar id[^\n]*: $/, CALENDAR_ID],
      [/ECAL API key[^\n]*: $/, 'key-iris-1'],
      [/ECAL API secret[^\n]*: $/, 'secret-iris-1'],
      [/Time zone[^\n]*: $/, ''],
      [/Schedule[^\n]*: $/, ''],
    ];
    const { code, text } = await answerOnTerminal(`${process.execPath} ${CLI} add-config`, dialogue, { env: ws.env });
    expect(code, text).toBe(0);
    expect(text).toMatch(/use lower case letters/);
    expect(text).toMatch(/Time zone \[Europe\/Paris\]/);
    expect(text).toMatch(/"Sorbonne" is not a school group: answer igensia/);
    // What was typed for the username is echoed; the secrets are not.
    expect(text).toContain('iris.p');
    for (const secret of ['Iris-Secret-9', 'key-iris-1', 'secret-iris-1']) expect(text).not.toContain(secret);
    const doc = parse(await readFile(join(ws.configs, 'iris.yml'), 'utf8')) as {
      timezone: string;
      moncampus: { username: string; password: string };
      ecal: { apiSecret: string };
    };
    // EPSI is a C&D school: the C&D timetable host (reference/moncampus.md "Hosts").
    expect(doc).toMatchObject({
      timezone: 'Europe/Paris',
      moncampus: { url: 'https://ws-edt-cd.wigorservices.net', username: 'iris.p', password: 'Iris-Secret-9' },
      ecal: { apiSecret: 'secret-iris-1' },
    });
  });

  it('add-config by flags covers what the terminal asks: the school (group, school or URL), and the CAS and ECAL addresses', async () => {
    const base = ['--no-input', '--username', 'jo', '--password', 'Jo-Secret-1', '--calendar-id', CALENDAR_ID, '--api-key', 'k-jo-1', '--api-secret', 's-jo-1'];
    const read = async (name: string): Promise<{ moncampus: Record<string, unknown>; ecal: Record<string, unknown> }> =>
      parse(await readFile(join(ws.configs, `${name}.yml`), 'utf8')) as { moncampus: Record<string, unknown>; ecal: Record<string, unknown> };
    // A C&D school by name; nothing else given: the CAS is discovered, ECAL is ECAL's.
    expect((await runCli(['add-config', 'jo-cd', '--school', 'idrac', ...base], ws.env)).code).toBe(0);
    const cd = await read('jo-cd');
    expect(cd.moncampus.url).toBe('https://ws-edt-cd.wigorservices.net');
    expect(cd.moncampus).not.toHaveProperty('casUrl');
    expect(cd.ecal).not.toHaveProperty('url');
    // IGENSIA, the default: no url key written (the loader's default is that host).
    expect((await runCli(['add-config', 'jo-igs', '--school', 'igensia', ...base], ws.env)).code).toBe(0);
    expect((await read('jo-igs')).moncampus).not.toHaveProperty('url');
    // Every address given, as a test against the simulators does; the file validates.
    const full = await runCli(
      [
        'add-config',
        'jo-sim',
        '--moncampus-url',
        'http://127.0.0.1:4567/',
        '--cas-url',
        'http://127.0.0.1:4568/sso/cas',
        '--ecal-url',
        'http://127.0.0.1:4569',
        ...base,
      ],
      ws.env,
    );
    expect(full.code, full.stderr).toBe(0);
    expect(await read('jo-sim')).toMatchObject({
      moncampus: { url: 'http://127.0.0.1:4567', casUrl: 'http://127.0.0.1:4568/sso/cas' },
      ecal: { url: 'http://127.0.0.1:4569' },
    });
    expect((await runCli(['validate', join(ws.configs, 'jo-sim.yml')], ws.env)).code).toBe(0);
    // Bad input is named, and nothing is written.
    const bad: [string[], RegExp][] = [
      [['--school', 'sorbonne'], /--school: "sorbonne" is not a school group/],
      [['--school', 'cd', '--moncampus-url', 'https://ws-edt-cd.wigorservices.net'], /--school or --moncampus-url, not both/],
      [['--cas-url', 'ftp://cas'], /moncampus\.casUrl/],
    ];
    for (const [flags, message] of bad) {
      const r = await runCli(['add-config', 'jo-bad', ...flags, ...base], ws.env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const noCalendar = await runCli(
      ['add-config', 'jo-bad', '--no-input', '--username', 'jo', '--password', 'Jo-Secret-1', '--ecal-url', 'http://127.0.0.1:4569'],
      ws.env,
    );
    expect(noCalendar.code).toBe(2);
    expect(noCalendar.stderr).toMatch(/--ecal-url goes with --calendar-id/);
    await expect(stat(join(ws.configs, 'jo-bad.yml'))).rejects.toThrow();
    // The workspace is shared with the tests below, which count its configs.
    for (const name of ['jo-cd', 'jo-igs', 'jo-sim']) await rm(join(ws.configs, `${name}.yml`));
  });

  it('add-config refuses what the schema refuses, naming the key, and writes nothing', async () => {
    const r = await runCli(
      ['add-config', 'hugo', '--no-input', '--username', 'hugo', '--password', 'pw-hugo-1', '--calendar-id', 'nope', '--api-key', 'k', '--api-secret', 's'],
      ws.env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ecal\.calendarId/);
    await expect(stat(join(ws.configs, 'hugo.yml'))).rejects.toThrow();
  });

  it('generate-compose --static renders one service per valid config from the template', async () => {
    const out = join(ws.root, 'compose.static.yml');
    const r = await runCli(['generate-compose', '--static', '-o', out], { ...ws.env, CAMPUS_SYNC_IMAGE: 'campus-sync:test-static' });
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(await readFile(out, 'utf8')) as {
      services: Record<string, { image: string; labels: Record<string, string> | string[]; read_only: boolean }>;
    };
    expect(Object.keys(doc.services).sort()).toEqual(['gina', 'iris']);
    const svc = doc.services.gina!;
    expect(svc.image).toBe('campus-sync:test-static');
    expect(svc.read_only).toBe(true);
    expect(JSON.stringify(svc.labels)).toMatch(/campus-sync\.config-hash/);
  });
});
