import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../lib/index.js';
import { loadConfigFile, parseConfig } from './load.js';
import { MAX_CONFIG_FILE_BYTES, MAX_TEXT_LENGTH, MAX_YAML_DEPTH, MAX_YAML_ALIASES, decodeConfigBytes } from './limits.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'campus-sync-limits-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function messageOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}
const parse = (text: string) => () => parseConfig(text, { file: 'configs/alice.yml', env: {} });

describe('config limits', () => {
  it('refuses a file over the size limit before reading it, naming the file', async () => {
    const file = path.join(tmp, 'big.yml');
    await writeFile(file, `moncampus:\n  username: ${'x'.repeat(MAX_CONFIG_FILE_BYTES)}\n  password: p\n`);
    // Grown to 64 GiB without using the disk (a sparse file): a loader that read it before checking would not get
    // an answer, let alone this one.
    await truncate(file, 64 * 1024 ** 3);
    const msg = await messageOf(() => loadConfigFile(file));
    expect(msg).toMatch(/big\.yml: the file is 68719476736 bytes, over the 262144-byte limit/);
  });

  it('names file, line and key of an invalid UTF-8 byte', () => {
    const bytes = Buffer.concat([Buffer.from('moncampus:\n  password: p\n  username: ab'), Buffer.from([0xff]), Buffer.from('cd\n')]);
    expect(() => decodeConfigBytes(bytes, 'configs/alice.yml')).toThrow(
      'configs/alice.yml:3: moncampus.username: invalid UTF-8 (byte 0xff): save the file as UTF-8',
    );
    expect(decodeConfigBytes(Buffer.from('a: é\n'), 'x.yml')).toBe('a: é\n');
  });

  it('refuses control characters in values and keys, never echoing the value', async () => {
    const msg = await messageOf(parse('moncampus:\n  username: "al\\0ice"\n  password: "s3\\x1bcret"\n  url: "http://h\\x01ost"\n'));
    expect(msg).toContain('configs/alice.yml:2: moncampus.username: holds a control character (U+0000)');
    expect(msg).toContain('configs/alice.yml:3: moncampus.password: holds a control character (U+001B)');
    expect(msg).toContain('configs/alice.yml:4: moncampus.url: holds a control character (U+0001)');
    expect(msg).not.toContain('s3');
    const key = await messageOf(parse('moncampus:\n  "user\\x07name": x\n'));
    expect(key).toContain('configs/alice.yml:2: moncampus: the key "user\\u0007name" holds a control character (U+0007)');
  });

  it('caps every text value, secrets included, without echoing it', async () => {
    const long = 'y'.repeat(MAX_TEXT_LENGTH + 1);
    const msg = await messageOf(parse(`moncampus:\n  username: ${long}\n  password: ${'z'.repeat(9000)}\n`));
    expect(msg).toContain(`configs/alice.yml:2: moncampus.username: ${MAX_TEXT_LENGTH + 1} characters long, expected at most ${MAX_TEXT_LENGTH}`);
    expect(msg).toContain('configs/alice.yml:3: moncampus.password: 9000 characters long, expected at most 8192');
    expect(msg).not.toContain('yyyy');
    expect(msg).not.toContain('zzzz');
  });

  it('names the file and line of an alias with no anchor, too many aliases, and an alias bomb', async () => {
    expect(await messageOf(parse('moncampus:\n  username: *nope\n'))).toBe(
      'configs/alice.yml:2: moncampus.username: the alias *nope names no anchor (&nope) set before it',
    );
    const many = `a: &a 1\nb: [${Array.from({ length: MAX_YAML_ALIASES + 1 }, () => '*a').join(', ')}]\n`;
    expect(await messageOf(parse(many))).toMatch(new RegExp(`^configs/alice\\.yml:2: b\\[${MAX_YAML_ALIASES}\\]: more than ${MAX_YAML_ALIASES} YAML aliases`));
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(await messageOf(parse(bomb))).toMatch(/^configs\/alice\.yml:2: b\[0\]: invalid YAML: Excessive alias count/);
  });

  it('refuses nesting past the depth limit and reports at most 20 lines plus a count', async () => {
    const deep = `x: ${'['.repeat(MAX_YAML_DEPTH + 2)}${']'.repeat(MAX_YAML_DEPTH + 2)}\n`;
    expect(await messageOf(parse(deep))).toMatch(new RegExp(`^configs/alice\\.yml:1: x(\\[0\\])+: nested more than ${MAX_YAML_DEPTH} levels deep$`));
    const unknown = `moncampus: {username: u, password: p}\n${Array.from({ length: 500 }, (_, i) => `k${i}: 1`).join('\n')}\n`;
    const lines = (await messageOf(parse(unknown))).split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe('configs/alice.yml: … and 480 more problems');
  });

  it("says what was expected: the channel types, an enum's values, the forms of a union", async () => {
    const base = 'moncampus: {username: u, password: p}\nnotify:\n';
    expect(await messageOf(parse(`${base}  - {type: pigeon, name: x}\n`))).toBe(
      'configs/alice.yml: notify[0].type: expected one of discord-webhook, discord-bot, slack, email, webhook, ntfy, gotify, telegram, pushover, matrix, got "pigeon"',
    );
    expect(await messageOf(parse(`${base}  - {type: slack, url: "http://127.0.0.1/x", name: a, minSeverity: huge}\n`))).toBe(
      'configs/alice.yml: notify[0].minSeverity: expected one of "info", "warning", "critical", got "huge"',
    );
    expect(await messageOf(parse(`${base}  - 3\n`))).toBe('configs/alice.yml: notify[0]: expected text or a mapping (indented keys), got 3');
  });

  it('reads a secret file only when it is a small regular file', async () => {
    const fifo = path.join(tmp, 'pass.fifo');
    execFileSync('mkfifo', [fifo]);
    const big = path.join(tmp, 'pass.big');
    await writeFile(big, 'p'.repeat(100_000));
    const link = path.join(tmp, 'pass.link');
    await symlink('/dev/zero', link);
    const cfg = (f: string) => `moncampus:\n  username: u\n  passwordFile: ${f}\n`;
    expect(await messageOf(() => parseConfig(cfg(fifo), { file: path.join(tmp, 'a.yml'), env: {} }))).toMatch(
      /moncampus\.passwordFile: .*pass\.fifo is not a regular file/,
    );
    expect(await messageOf(() => parseConfig(cfg(big), { file: path.join(tmp, 'a.yml'), env: {} }))).toMatch(
      /pass\.big is 100000 bytes: a secret has at most 8192/,
    );
    expect(await messageOf(() => parseConfig(cfg(link), { file: path.join(tmp, 'a.yml'), env: {} }))).toMatch(/pass\.link is not a regular file/);
  });
});
