import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listConfigFiles, loadConfigFile, resolveWindow } from './index.js';

const CONFIGS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../configs/examples');

describe('the example configs shipped in configs/examples/', () => {
  it('example.yml loads (nested form, password from the environment)', async () => {
    const c = await loadConfigFile(path.join(CONFIGS, 'example.yml'), { env: { MONCAMPUS_PASSWORD: 'example-pw' } });
    expect(c.name).toBe('example');
    expect(c.legacy).toBe(false);
    expect(c.moncampus?.password).toBe('example-pw');
    expect(c.ecal?.calendarId).toMatch(/^[0-9a-f]{24}$/);
    expect(c.secrets).toContain('example-pw');
    expect(resolveWindow(c.moncampus!.window, c.timezone, new Date('2025-03-29T12:00:00Z')).from).toBe('2025-03-22T00:00:00+01:00');
  });

  it('example.yml needs MONCAMPUS_PASSWORD', async () => {
    await expect(loadConfigFile(path.join(CONFIGS, 'example.yml'), { env: {} })).rejects.toThrow(
      /moncampus\.password: environment variable MONCAMPUS_PASSWORD is not set/,
    );
  });

  it('legacy-example.yml loads (flat keys, unquoted dates)', async () => {
    const c = await loadConfigFile(path.join(CONFIGS, 'legacy-example.yml'), { env: {} });
    expect(c.name).toBe('legacy-example');
    expect(c.legacy).toBe(true);
    expect(c.moncampus?.window).toEqual({ from: '2025-09-01', to: '2026-07-31' });
    expect(c.warnings).toHaveLength(2);
  });

  it('both are listed', async () => {
    const names = (await listConfigFiles(CONFIGS)).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['example', 'legacy-example']));
  });
});
