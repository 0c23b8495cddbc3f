import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { cachingDatabase } from './connect.js';

describe('cachingDatabase', () => {
  it('prepares a text once, and drops the least recently used beyond its size', () => {
    const raw = new Database(':memory:');
    const db = cachingDatabase(raw, 2);
    const a = db.prepare('SELECT 1');
    expect(db.prepare('SELECT 1')).toBe(a);
    const b = db.prepare('SELECT 2');
    db.prepare('SELECT 1'); // now 'SELECT 2' is the least recently used
    db.prepare('SELECT 3');
    expect(db.prepare('SELECT 1')).toBe(a);
    expect(db.prepare('SELECT 2')).not.toBe(b);
    expect(db.prepare('SELECT 2').all([])).toEqual([{ 2: 2 }]);
    db.close();
    expect(raw.open).toBe(false);
  });
});
