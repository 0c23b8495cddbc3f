import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { configDir, dataDir, displayPath, instanceDataDir, instanceNameFromFile, isValidInstanceName, MAX_INSTANCE_NAME_LENGTH } from './paths.js';

describe('isValidInstanceName', () => {
  it('accepts lower-case names with digits, - and _', () => {
    for (const name of ['alice', 'config1', '2025-bts_sio', 'a']) expect(isValidInstanceName(name)).toBe(true);
  });
  it('rejects upper case, spaces, dots, path tricks and a leading - or _', () => {
    for (const name of ['', 'Alice', 'alice smith', 'alice.bak', '../etc', 'a/b', '-alice', '_alice', 'élodie']) {
      expect(isValidInstanceName(name)).toBe(false);
    }
  });
  it('caps the length', () => {
    expect(isValidInstanceName('a'.repeat(MAX_INSTANCE_NAME_LENGTH))).toBe(true);
    expect(isValidInstanceName('a'.repeat(MAX_INSTANCE_NAME_LENGTH + 1))).toBe(false);
  });
});

describe('instanceNameFromFile', () => {
  it('takes the stem of .yml and .yaml files', () => {
    expect(instanceNameFromFile('/srv/configs/alice.yml')).toBe('alice');
    expect(instanceNameFromFile('configs/bob.yaml')).toBe('bob');
    expect(instanceNameFromFile('configs/x.y.yml')).toBe('x.y');
  });
});

describe('configDir / dataDir', () => {
  it('default to configs/ and data/ under the working directory, absolute', () => {
    expect(configDir({})).toBe(path.join(process.cwd(), 'configs'));
    expect(dataDir({})).toBe(path.join(process.cwd(), 'data'));
  });
  it('follow CAMPUS_SYNC_CONFIG_DIR and CAMPUS_SYNC_DATA_DIR, made absolute', () => {
    expect(configDir({ CAMPUS_SYNC_CONFIG_DIR: '/etc/campus-sync' })).toBe('/etc/campus-sync');
    expect(dataDir({ CAMPUS_SYNC_DATA_DIR: 'var/data' })).toBe(path.join(process.cwd(), 'var/data'));
  });
  it('treat an empty variable as unset', () => {
    expect(configDir({ CAMPUS_SYNC_CONFIG_DIR: '' })).toBe(path.join(process.cwd(), 'configs'));
  });
});

describe('instanceDataDir', () => {
  it('is dataDir/<name>', () => {
    expect(instanceDataDir('alice', { CAMPUS_SYNC_DATA_DIR: '/var/lib/cs' })).toBe('/var/lib/cs/alice');
  });
  it('refuses a name that could leave the data directory', () => {
    expect(() => instanceDataDir('../alice', {})).toThrow(ConfigError);
  });
});

describe('displayPath', () => {
  it('is relative inside the working directory and absolute outside it', () => {
    expect(displayPath('/work/x/configs/a.yml', '/work/x')).toBe('configs/a.yml');
    expect(displayPath('/tmp/a.yml', '/work/x')).toBe('/tmp/a.yml');
    expect(displayPath('/work/xy/a.yml', '/work/x')).toBe('/work/xy/a.yml');
  });
});
