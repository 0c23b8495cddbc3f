import { mkdtemp, readdir, readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeyPath, dashboardUrl, ensureApiKey, keyFromText, keysGivenByEnv, readApiKey } from './api-key.js';

describe('the generated API key', () => {
  it('is made once, private, and the same afterwards', async () => {
    const data = await mkdtemp(join(tmpdir(), 'cs-key-'));
    expect(await readApiKey(data)).toBeNull();
    const first = await ensureApiKey(data);
    expect(first.created).toBe(true);
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(apiKeyPath(data))).mode & 0o777).toBe(0o600);
    const again = await ensureApiKey(data);
    expect(again).toEqual({ key: first.key, path: first.path, created: false });
    expect(await readApiKey(data)).toBe(first.key);
    // The API reads the file as API_KEYS_FILE: one key per line, # comments.
    expect((await readFile(first.path, 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([first.key]);
  });

  it('sets a damaged file aside and makes a new key', async () => {
    const data = await mkdtemp(join(tmpdir(), 'cs-key-'));
    await mkdir(join(data, '.supervisor'));
    await writeFile(apiKeyPath(data), '\0'.repeat(40));
    const made = await ensureApiKey(data);
    expect(made.created).toBe(true);
    expect(made.setAside).toMatch(/api-key\.damaged-/);
    expect((await readdir(join(data, '.supervisor'))).sort()).toEqual(['api-key', made.setAside!.split('/').pop()!].sort());
    expect(keyFromText('# c\n\nshort\n')).toBeNull();
  });

  it('is not wanted when the environment names keys', () => {
    expect(keysGivenByEnv({})).toBe(false);
    expect(keysGivenByEnv({ API_KEY: ' ' })).toBe(false);
    expect(keysGivenByEnv({ API_KEY: 'k' })).toBe(true);
    expect(keysGivenByEnv({ API_KEYS_FILE: '/run/secrets/keys' })).toBe(true);
  });

  it('names the URL to open: loopback by default, the LAN address with CAMPUS_SYNC_API_BIND=0.0.0.0', () => {
    expect(dashboardUrl({})).toEqual({ url: 'http://127.0.0.1:8080/', network: false });
    expect(dashboardUrl({ CAMPUS_SYNC_API_BIND: '0.0.0.0', CAMPUS_SYNC_PORT: '8090', CAMPUS_SYNC_LAN_ADDRESS: '192.168.1.20', PORT: '8080' })).toEqual({
      url: 'http://192.168.1.20:8090/',
      network: true,
    });
    expect(dashboardUrl({ CAMPUS_SYNC_API_BIND: '0.0.0.0' }).url).toBe("http://<this machine's address>:8080/");
  });
});
