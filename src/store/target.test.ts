import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { ConfigError } from '../lib/index.js';
import { redactDatabaseUrl, resolveStoreTarget } from './target.js';

describe('resolveStoreTarget', () => {
  it('defaults to campus-sync.db under the data dir', () => {
    for (const url of [undefined, '', '  ']) {
      expect(resolveStoreTarget(url, 'data')).toEqual({ kind: 'sqlite', path: join('data', 'campus-sync.db'), description: 'SQLite data/campus-sync.db' });
    }
  });

  it('reads sqlite: URLs the SQLAlchemy way, file: URLs and bare paths', () => {
    const path = (u: string) => {
      const t = resolveStoreTarget(u, 'data');
      return t.kind === 'sqlite' ? t.path : 'not sqlite';
    };
    expect(path('sqlite:///./discord_messages.db')).toBe('./discord_messages.db');
    expect(path('sqlite:////var/lib/x.db')).toBe('/var/lib/x.db');
    expect(path('sqlite:rel/x.db')).toBe('rel/x.db');
    expect(path('sqlite::memory:')).toBe(':memory:');
    expect(path('file:///var/lib/x.db')).toBe('/var/lib/x.db');
    expect(path('file:./x.db')).toBe('./x.db');
    expect(path('/srv/cs.db')).toBe('/srv/cs.db');
  });

  it('recognises both PostgreSQL schemes and describes them without the password', () => {
    for (const scheme of ['postgres', 'postgresql', 'POSTGRES']) {
      const t = resolveStoreTarget(`${scheme}://cs:s3cr%2Ft@db.local:6432/reports`, 'data');
      expect(t.kind).toBe('postgres');
      expect(t.description).toBe('PostgreSQL reports@db.local:6432');
      if (t.kind === 'postgres') expect(t.secrets).toContain('s3cr/t');
    }
    expect(resolveStoreTarget('postgres://u@h/d', 'x').description).toBe('PostgreSQL d@h:5432');
  });

  it('refuses other schemes with a ConfigError that hides the password', () => {
    expect(() => resolveStoreTarget('mysql://u:hunter22@h/db', 'data')).toThrow(ConfigError);
    expect(() => resolveStoreTarget('mysql://u:hunter22@h/db', 'data')).toThrow(/unsupported scheme "mysql:"/);
    expect(() => resolveStoreTarget('postgress://u:hunter22@h/db', 'data')).not.toThrow(/hunter22/);
    expect(() => resolveStoreTarget('sqlite://host/x.db', 'data')).toThrow(ConfigError);
  });
});

describe('redactDatabaseUrl', () => {
  it('hides the password wherever the URL carries it', () => {
    expect(redactDatabaseUrl('postgres://cs:hunter22@h:5432/db')).toBe('postgres://cs:***@h:5432/db');
    expect(redactDatabaseUrl('postgres://cs@h/db?password=hunter22&sslmode=require')).not.toContain('hunter22');
    expect(redactDatabaseUrl('postgres://cs:p%40ss%2Fword@h/db')).not.toMatch(/p%40ss|p@ss/);
    expect(redactDatabaseUrl('not a url ://cs:hunter22@h')).not.toContain('hunter22');
    expect(redactDatabaseUrl('postgres://h/db')).toBe('postgres://h/db');
  });
});
