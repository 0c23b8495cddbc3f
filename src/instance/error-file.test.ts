import { mkdir, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../lib/index.js';
import { createErrorFile, ERROR_CODES, parseErrorLine, reportOrLog, tailErrorFile } from './error-file.js';
import { CATALOGUES, LOCALES } from '../lib/index.js';

const dirOf = () => mkdtemp(join(tmpdir(), 'cs-errors-'));

describe('the error file', () => {
  it('appends one timestamped line per problem, keeps earlier lines, and redacts secrets', async () => {
    const path = join(await dirOf(), 'errors.log');
    const file = createErrorFile({ path, redact: makeRedactor(['s3cret-pw']) });
    await file.report('login', 'login.refused', 'bob (password s3cret-pw)', new Date('2025-01-01T10:00:00Z'));
    await file.report('push', 'push.failed', 'first line\nsecond line', new Date('2025-01-01T11:00:00Z'));
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      '2025-01-01T10:00:00.000Z login [login.refused] MonCampus refuse la connexion (identifiant ou mot de passe) : bob (password [REDACTED])\n' +
        '2025-01-01T11:00:00.000Z push [push.failed] une modification ECAL a échoué : first line | second line\n',
    );
    expect(await tailErrorFile(path, 1)).toEqual(['2025-01-01T11:00:00.000Z push [push.failed] une modification ECAL a échoué : first line | second line']);
  });

  it('writes the sentence in the config locale and the same English code in every language', async () => {
    const dir = await dirOf();
    const at = new Date('2025-01-01T10:00:00Z');
    await createErrorFile({ path: join(dir, 'fr.log'), redact: (t) => t, locale: 'fr' }).report(
      'state',
      'run.refused',
      'zoe: a run is already in progress',
      at,
    );
    await createErrorFile({ path: join(dir, 'en.log'), redact: (t) => t, locale: 'en' }).report(
      'state',
      'run.refused',
      'zoe: a run is already in progress',
      at,
    );
    const fr = parseErrorLine((await tailErrorFile(join(dir, 'fr.log'), 1))[0] as string);
    const en = parseErrorLine((await tailErrorFile(join(dir, 'en.log'), 1))[0] as string);
    expect(fr).toEqual({
      at: '2025-01-01T10:00:00.000Z',
      phase: 'state',
      code: 'run.refused',
      message: 'synchronisation refusée : zoe: a run is already in progress',
    });
    expect(en).toEqual({ at: '2025-01-01T10:00:00.000Z', phase: 'state', code: 'run.refused', message: 'run refused: zoe: a run is already in progress' });
  });

  it('has a sentence for every code in every catalogue, and reads lines written before codes', () => {
    for (const locale of LOCALES) {
      for (const code of ERROR_CODES) {
        const [group, key] = code.split('.') as [string, string];
        const sentences = (CATALOGUES[locale] as { errorsLog: Record<string, Record<string, string>> }).errorsLog;
        expect(sentences[group]?.[key], `${locale} ${code}`).toContain('{{detail}}');
      }
    }
    expect(parseErrorLine('2025-01-01T10:00:00.000Z fetch MonCampus did not answer')).toEqual({
      at: '2025-01-01T10:00:00.000Z',
      phase: 'fetch',
      code: null,
      message: 'MonCampus did not answer',
    });
    expect(parseErrorLine('an old free-form line')).toEqual({ at: null, phase: null, code: null, message: 'an old free-form line' });
  });

  it('rotates by size, keeping a bounded number of old files', async () => {
    const dir = await dirOf();
    const path = join(dir, 'errors.log');
    const file = createErrorFile({ path, redact: (t) => t, maxBytes: 200, keep: 2 });
    for (let i = 0; i < 30; i++) await file.report('fetch', 'sync.failed', `problem number ${i} `.padEnd(40, '.'));
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['errors.log', 'errors.log.1', 'errors.log.2']);
    const newest = await readFile(path, 'utf8');
    expect(newest).toContain('problem number 29');
    expect(Buffer.byteLength(newest)).toBeLessThanOrEqual(200);
  });

  it('tail of a missing file is empty', async () => {
    expect(await tailErrorFile(join(await dirOf(), 'nope.log'))).toEqual([]);
  });
});

describe('reportOrLog', () => {
  it('writes the coded line, and when errors.log cannot be written says so in the log instead of failing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-report-'));
    const said: string[] = [];
    const logger = { error: (m: string) => void said.push(m) };
    const good = createErrorFile({ path: join(dir, 'errors.log'), redact: (t) => t, locale: 'en' });
    await reportOrLog(good, logger, 'slots', 'slots.failed', 'cabinet: 503', new Date('2026-01-05T08:00:00Z'));
    expect(await readFile(join(dir, 'errors.log'), 'utf8')).toMatch(/^2026-01-05T08:00:00\.000Z slots \[slots\.failed\] .*cabinet: 503\n$/);
    // A directory where the file should be: appendFile fails (as on a full disk), the promise still resolves.
    await mkdir(join(dir, 'blocked', 'errors.log'), { recursive: true });
    const blocked = createErrorFile({ path: join(dir, 'blocked', 'errors.log'), redact: (t) => t });
    await expect(reportOrLog(blocked, logger, 'state', 'run.refused', 'locked')).resolves.toBeUndefined();
    expect(said).toEqual([expect.stringMatching(/^cannot write errors\.log: /)]);
  });
});
