import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createConfigSource } from './config-source.js';
import { tempDirs, writeConfig } from './test-support.test-helper.js';

describe('createConfigSource', () => {
  it('loads every config once per change, invalid ones with an error that carries no secret of the valid ones', async () => {
    const dirs = await tempDirs();
    await writeConfig(dirs.configDir, 'alice', 'S3cret-pw');
    // The same password pasted into a broken file: its error must not show it.
    await writeFile(join(dirs.configDir, 'broken.yml'), 'moncampus:\n  username: x\n  password: "S3cret-pw"\n  nope: 1\n');
    const source = createConfigSource(dirs.configDir);
    const first = await source.load();
    expect(first.entries.map((e) => [e.name, 'config' in e])).toEqual([
      ['alice', true],
      ['broken', false],
    ]);
    expect(JSON.stringify(first.entries.filter((e) => !('config' in e)))).not.toContain('S3cret-pw');
    expect(first.redact('pw S3cret-pw')).not.toContain('S3cret-pw');
    expect(await source.load()).toBe(first);
    await writeConfig(dirs.configDir, 'alice', 'Other-pw-22');
    expect(await source.load()).not.toBe(first);
    expect(await source.names()).toEqual(['alice', 'broken']);
  });
});
