import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInstanceFile, describeDamage, jsonDamage, setAsideName, textDamage } from './damaged-file.js';

const NOW = new Date('2026-12-06T13:35:00.123Z');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'campus-sync-damage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('damaged files', () => {
  it('names the damage: empty, NUL bytes, not UTF-8, cut short, wrong shape', () => {
    const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    expect(textDamage(Buffer.alloc(0))).toBe('empty');
    expect(textDamage(Buffer.alloc(10))).toBe('NUL bytes');
    expect(textDamage(Buffer.from([0x61, 0xff]))).toBe('not UTF-8');
    expect(jsonDamage(Buffer.from('{"a": 1'), isObj)).toBe('truncated or not JSON');
    expect(jsonDamage(Buffer.from('[1]'), isObj)).toBe('valid JSON of the wrong shape');
    expect(jsonDamage(Buffer.from('{"a": 1}'), isObj)).toBeUndefined();
    expect(setAsideName('/d/state.json', NOW)).toBe('/d/state.json.damaged-20261206T133500.123Z');
  });

  it('sets a damaged JSON file aside (renamed, bytes kept) and leaves a sound or missing one alone', async () => {
    const file = join(dir, 'state.json');
    expect(await checkInstanceFile(file, { name: 'state.json', kind: 'json', valid: () => true }, NOW)).toBeUndefined();
    await writeFile(file, Buffer.alloc(64));
    const report = await checkInstanceFile(file, { name: 'state.json', kind: 'json', valid: () => true }, NOW);
    expect(report).toEqual({ file, setAsideAs: `${file}.damaged-20261206T133500.123Z`, damage: 'NUL bytes' });
    expect(await readFile(report!.setAsideAs)).toEqual(Buffer.alloc(64));
    expect(describeDamage(report!)).toBe(`${file} was damaged (NUL bytes): set aside as state.json.damaged-20261206T133500.123Z, rebuilt by this run`);
    await writeFile(file, '{}');
    expect(await checkInstanceFile(file, { name: 'state.json', kind: 'json', valid: () => true }, NOW)).toBeUndefined();
  });

  it('a history keeps its good lines, sets the whole damaged file aside, and ends on a newline', async () => {
    const file = join(dir, 'runs.jsonl');
    const rule = { name: 'runs.jsonl', kind: 'lines' as const, goodLine: (l: string) => l.startsWith('{') && l.endsWith('}') };
    await writeFile(file, '{"n":1}\n{"n":2}\n{"n":3');
    const later = new Date(NOW.getTime() + 1);
    const report = await checkInstanceFile(file, rule, later);
    expect(report?.damage).toBe('1 damaged line (kept 2)');
    expect(await readFile(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    expect(await readFile(report!.setAsideAs, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":3');
    // Cut right after a record: nothing lost, nothing set aside, the newline added.
    await writeFile(file, '{"n":1}\n{"n":2}');
    expect(await checkInstanceFile(file, rule, later)).toBeUndefined();
    expect(await readFile(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
    expect((await readdir(dir)).filter((f) => f.startsWith('runs.jsonl.damaged-'))).toHaveLength(1);
  });
});
