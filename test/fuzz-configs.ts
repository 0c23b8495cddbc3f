import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Hostile config files for the fuzz suite: a valid base config, broken in one way each (syntax, types,
 * sizes, encodings, paths, symlinks, secret files). Each case says which key its error must name (when
 * one is to blame) so the suite checks the message points at the cause, not just that it failed.
 */

/** Secrets of the base config: no error, log line or status may ever show them. */
export const FUZZ_PASSWORD = 'Fuzz-Pa55-word-7ae1';
export const FUZZ_API_SECRET = 'fuzz-api-secret-91c3';
export const FUZZ_SECRETS = [FUZZ_PASSWORD, FUZZ_API_SECRET];

export interface BaseUrls {
  moncampusUrl: string;
  casUrl: string;
  ecalUrl: string;
}

/** A valid config as nested data: mutations edit a copy, then it is written as YAML by hand (below). */
export function baseLines(urls: BaseUrls): string[] {
  return [
    'timezone: Europe/Paris',
    'moncampus:',
    `  url: ${urls.moncampusUrl}`,
    `  casUrl: ${urls.casUrl}`,
    '  username: student',
    `  password: "${FUZZ_PASSWORD}"`,
    '  window:',
    '    from: "2025-09-01"',
    '    to: "2025-09-14"',
    'ecal:',
    `  url: ${urls.ecalUrl}`,
    '  apiKey: test-key-0123',
    `  apiSecret: ${FUZZ_API_SECRET}`,
    '  calendarId: aaaaaaaaaaaaaaaaaaaaaaaa',
    '',
  ];
}

export interface HostileCase {
  kind: string;
  /** The file's bytes; absent when `link` makes the file a symlink. */
  bytes?: Buffer;
  /** The config file is a symlink to this target instead of a file. */
  link?: string;
  /** The dotted key the error must name, when one is to blame. */
  key?: string;
  /** The error must carry a line number (`file:12:`). */
  line?: boolean;
  /** Files the config refers to: relative name → how to make it. */
  secretFile?: { name: string; make: 'missing' | 'directory' | 'fifo' | 'dangling-link' | 'dev-zero' | 'empty' | 'huge' | 'unreadable' };
}

/** Replaces the line starting with `prefix` (first match). */
function replaceLine(lines: string[], prefix: string, by: string | string[]): string[] {
  const i = lines.findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`no line ${prefix}`);
  return [...lines.slice(0, i), ...(Array.isArray(by) ? by : [by]), ...lines.slice(i + 1)];
}
const text = (lines: string[]) => Buffer.from(lines.join('\n'));

/** Text keys and the line each is on in the base: values of the wrong type go there. */
const TEXT_KEYS = [
  ['  username:', 'moncampus.username', '  username'],
  ['  password:', 'moncampus.password', '  password'],
  ['  calendarId:', 'ecal.calendarId', '  calendarId'],
  ['timezone:', 'timezone', 'timezone'],
  ['  apiSecret:', 'ecal.apiSecret', '  apiSecret'],
] as const;

const wrongValue = fc.oneof(
  fc.constant('[]'),
  fc.constant('{}'),
  fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 4 }).map((a) => `[${a.join(', ')}]`),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.integer(), { minKeys: 1, maxKeys: 3 }).map((d) => JSON.stringify(d)),
);

/** One hostile case; `urls` are where the base config points (127.0.0.1 simulators). */
export function hostileCase(urls: BaseUrls): fc.Arbitrary<HostileCase> {
  const base = baseLines(urls);
  const types = fc
    .tuple(fc.constantFrom(...TEXT_KEYS), wrongValue)
    .map(([[prefix, key, lhs], v]): HostileCase => ({ kind: 'type', bytes: text(replaceLine(base, prefix, `${lhs}: ${v}`)), key }));
  const numbers = fc
    .tuple(fc.constantFrom('  concurrency', '  maxDeleteShare'), fc.oneof(fc.integer({ min: 17, max: 1e9 }), fc.constant('"eight"'), fc.constant(-1)))
    .map(([k, v]): HostileCase => ({ kind: 'number', bytes: text([...base.slice(0, -1), `${k}: ${v}`, '']), key: `ecal.${k.trim()}` }));
  const unknownKey = fc.tuple(fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,20}$/), fc.constantFrom('', '  ')).map(
    ([k, indent]): HostileCase => ({
      kind: 'unknown-key',
      bytes: text(indent === '' ? [...base.slice(0, -1), `zz_${k}: 1`, ''] : [...base.slice(0, -1), `${indent}zz_${k}: 1`, '']),
      key: indent === '' ? `zz_${k}` : `ecal.zz_${k}`,
    }),
  );
  const enumValue = fc.tuple(fc.stringMatching(/^[a-z-]{1,15}$/), fc.constantFrom('type', 'minSeverity')).map(
    ([v, field]): HostileCase => ({
      kind: 'enum',
      bytes: text([
        ...base.slice(0, -1),
        'notify:',
        `  - type: ${field === 'type' ? `x-${v}` : 'slack'}`,
        '    name: ops',
        '    url: http://127.0.0.1:9/hook',
        ...(field === 'minSeverity' ? [`    minSeverity: x-${v}`] : []),
        '',
      ]),
      key: `notify[0].${field}`,
    }),
  );
  const longValue = fc.integer({ min: 513, max: 200_000 }).map(
    (n): HostileCase => ({
      kind: 'long-value',
      bytes: text(replaceLine(base, '  username:', `  username: ${'u'.repeat(n)}`)),
      key: 'moncampus.username',
      line: true,
    }),
  );
  const hugeFile = fc
    .integer({ min: 256 * 1024 + 1, max: 3 * 1024 * 1024 })
    .map((n): HostileCase => ({ kind: 'huge-file', bytes: Buffer.concat([text(base), Buffer.from(`# ${'x'.repeat(n)}\n`)]) }));
  const badUtf8 = fc.tuple(fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xff, 0xfe), fc.integer({ min: 0, max: 7 })).map(([byte, at]): HostileCase => {
    const [before, after] = ['  username: stud', 'ent'];
    const lines = replaceLine(base, '  username:', '@@');
    const [head, tail] = lines.join('\n').split('@@');
    const value = Buffer.concat([Buffer.from(before.slice(0, before.length - 4 + Math.min(at, 4))), Buffer.from([byte]), Buffer.from(after)]);
    return { kind: 'utf8', bytes: Buffer.concat([Buffer.from(head ?? ''), value, Buffer.from(tail ?? '')]), key: 'moncampus.username', line: true };
  });
  const controlChar = fc
    .tuple(
      fc.constantFrom(...[0, 1, 7, 8, 11, 12, 14, 27, 31, 127].map((c) => `\\x${c.toString(16).padStart(2, '0')}`)),
      fc.constantFrom(
        ['  username:', 'moncampus.username', '  username: "stu%dent"'],
        ['  calendarId:', 'ecal.calendarId', '  calendarId: "aaaa%aaaa"'],
        ['  url: http://127', 'moncampus.url', '  url: "http://127.0.0.1%/x"'],
      ),
    )
    .map(([c, [prefix, key, line]]): HostileCase => ({ kind: 'control', bytes: text(replaceLine(base, prefix, line.replace('%', c))), key, line: true }));
  const syntax = fc
    .constantFrom<[string, (l: string[]) => string[]]>(
      ['unclosed', (l) => [...l.slice(0, -1), 'notify: [unclosed', '']],
      ['tab-indent', (l) => replaceLine(l, '  username:', '\tusername: student')],
      ['duplicate', (l) => [...l.slice(0, -1), 'timezone: UTC', '']],
      ['bad-indent', (l) => replaceLine(l, '  username:', '     username: student')],
      ['stray-colon', (l) => replaceLine(l, '  username:', '  username: a: b: c')],
      ['unresolved-alias', (l) => replaceLine(l, '  username:', '  username: *nobody')],
    )
    .map(([kind, f]): HostileCase => ({ kind: `syntax-${kind}`, bytes: text(f(base)), line: true }));
  const bomb = fc.integer({ min: 5, max: 12 }).map((width): HostileCase => {
    const row = (name: string, of: string) => `${name}: &${name} [${Array.from({ length: width }, () => of).join(', ')}]`;
    return { kind: 'alias-bomb', bytes: text([...base.slice(0, -1), row('l0', 'lol'), row('l1', '*l0'), row('l2', '*l1'), row('l3', '*l2'), '']) };
  });
  const deep = fc
    .integer({ min: 17, max: 2000 })
    .map((d): HostileCase => ({ kind: 'deep', bytes: text([...base.slice(0, -1), `x: ${'['.repeat(d)}${']'.repeat(d)}`, '']), line: true }));
  const notAMap = fc
    .constantFrom('- a\n- b\n', '42\n', '"just text"\n', '', '# only a comment\n')
    .map((t): HostileCase => ({ kind: 'not-a-map', bytes: Buffer.from(t) }));
  // Mode 000 stops everyone but root: as root (a container's default) that case would be a readable file.
  const makes = ['missing', 'directory', 'fifo', 'dangling-link', 'dev-zero', 'empty', 'huge', ...(process.getuid?.() === 0 ? [] : ['unreadable'])] as const;
  const secretFile = fc.constantFrom(...(makes as readonly NonNullable<HostileCase['secretFile']>['make'][])).map(
    (make): HostileCase => ({
      kind: `secret-file-${make}`,
      bytes: text(replaceLine(base, '  password:', '  passwordFile: secrets/pass.txt')),
      key: 'moncampus.passwordFile',
      secretFile: { name: 'pass.txt', make },
    }),
  );
  const fileLink = fc.constantFrom('dir', 'dangling', 'loop').map((how): HostileCase => ({ kind: `config-link-${how}`, link: how }));
  return fc.oneof(types, numbers, unknownKey, enumValue, longValue, hugeFile, badUtf8, controlChar, syntax, bomb, deep, notAMap, secretFile, fileLink);
}

/**
 * Writes one case as `<dir>/<name>.yml` (secret files under `<dir>/<name>-secrets/`, referenced
 * relatively), and returns the config file's path.
 */
export async function writeCase(dir: string, name: string, c: HostileCase): Promise<string> {
  const file = join(dir, `${name}.yml`);
  if (c.link !== undefined) {
    const target = c.link === 'dir' ? dir : c.link === 'dangling' ? join(dir, `${name}-nowhere.yml`) : file;
    await symlink(target, file);
    return file;
  }
  let bytes = c.bytes ?? Buffer.alloc(0);
  if (c.secretFile) {
    const secretsDir = join(dir, `${name}-secrets`);
    await mkdir(secretsDir, { recursive: true });
    const target = join(secretsDir, c.secretFile.name);
    switch (c.secretFile.make) {
      case 'missing':
        break;
      case 'directory':
        await mkdir(target);
        break;
      case 'fifo':
        execFileSync('mkfifo', [target]);
        break;
      case 'dangling-link':
        await symlink(join(secretsDir, 'gone'), target);
        break;
      case 'dev-zero':
        await symlink('/dev/zero', target);
        break;
      case 'empty':
        await writeFile(target, '\n');
        break;
      case 'huge':
        await writeFile(target, FUZZ_PASSWORD.repeat(10_000));
        break;
      case 'unreadable':
        await writeFile(target, `${FUZZ_PASSWORD}\n`, { mode: 0o000 });
        break;
    }
    bytes = Buffer.from(bytes.toString('utf8').replace('secrets/pass.txt', `${name}-secrets/pass.txt`));
  }
  await writeFile(file, bytes);
  return file;
}

/** The seed: CAMPUS_SYNC_FUZZ_SEED replays a run; the fixed default keeps CI deterministic. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env, fallback = 22): number {
  const v = env.CAMPUS_SYNC_FUZZ_SEED;
  return v !== undefined && v !== '' && Number.isInteger(Number(v)) ? Number(v) : fallback;
}
