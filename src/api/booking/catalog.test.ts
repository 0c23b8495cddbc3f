import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogger, tempDirs, type TempDirs } from '../test-support.test-helper.js';
import { createBookingCatalog } from './catalog.js';

const type = (slug: string, extra = '') => `  - type: ${slug}\n    title: T ${slug}\n    provider: calcom\n    eventTypeId: 1\n${extra}`;

let dirs: TempDirs;
beforeAll(async () => {
  dirs = await tempDirs('campus-sync-catalog-');
  await writeFile(join(dirs.configDir, 'alice.yml'), `timezone: Asia/Tokyo\nbooking:\n${type('appel', '    token: ${CAL_TOKEN}\n')}${type('visio')}`);
  await writeFile(join(dirs.configDir, 'bob.yml'), `booking:\n${type('visio')}${type('conseil')}`);
  await writeFile(join(dirs.configDir, 'broken.yml'), `booking:\n${type('Bad Slug')}`);
});
afterAll(() => dirs.cleanup());

describe('createBookingCatalog', () => {
  it('finds a type in whichever config declares it, with that config and its secrets', async () => {
    const log = captureLogger();
    const catalog = createBookingCatalog({ configDir: dirs.configDir, logger: log.logger, env: { CAL_TOKEN: 'tok-123' } });
    const appel = await catalog.find('appel');
    expect('found' in appel && appel.found.instance.name).toBe('alice');
    expect('found' in appel && appel.found.type).toMatchObject({ type: 'appel', token: 'tok-123', timezone: 'Asia/Tokyo' });
    expect(await catalog.find('nope')).toEqual({ missing: true });
    expect(await catalog.secrets()).toContain('tok-123');
  });

  it('serves neither config a slug both declare, and skips an invalid config, saying so once', async () => {
    const log = captureLogger();
    const catalog = createBookingCatalog({ configDir: dirs.configDir, logger: log.logger, env: { CAL_TOKEN: 't' } });
    expect(await catalog.find('visio')).toEqual({ conflict: ['alice', 'bob'] });
    expect((await catalog.all()).map((e) => `${e.instance.name}/${e.type.type}`)).toEqual(['alice/appel', 'bob/conseil']);
    await catalog.find('visio');
    const warnings = log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/config broken is invalid/);
    expect(warnings.join('\n')).toMatch(/type "visio" is declared by alice and bob/);
  });

  it('sees a config change at once (the files are stat-ed on each lookup)', async () => {
    let t = 0;
    const catalog = createBookingCatalog({ configDir: dirs.configDir, logger: captureLogger().logger, env: { CAL_TOKEN: 't' }, now: () => t });
    expect(await catalog.find('rdv')).toEqual({ missing: true });
    const file = join(dirs.configDir, 'carol.yml');
    await writeFile(file, `booking:\n${type('rdv')}`);
    t += 1;
    expect('found' in (await catalog.find('rdv'))).toBe(true);
    await rm(file);
    expect(await catalog.find('rdv')).toEqual({ missing: true });
  });
});
