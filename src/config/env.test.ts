import { describe, expect, it } from 'vitest';
import { issueIn } from './issues.js';
import { interpolateEnv, referencedVariables } from './env.js';

describe('interpolateEnv', () => {
  it('replaces ${VAR} in strings at any depth, leaving other values alone', () => {
    const date = new Date('2025-09-01T00:00:00Z');
    const { value, issues } = interpolateEnv({ a: 'x-${A}-y', n: 3, b: true, nested: { list: ['${A}', 1], d: date } }, { A: 'one' });
    expect(issues).toEqual([]);
    expect(value).toEqual({ a: 'x-one-y', n: 3, b: true, nested: { list: ['one', 1], d: date } });
  });

  it('uses the default of ${VAR:-default} when VAR is unset or empty, and VAR otherwise', () => {
    const text = { v: '${V:-fallback}' };
    expect(interpolateEnv(text, {}).value).toEqual({ v: 'fallback' });
    expect(interpolateEnv(text, { V: '' }).value).toEqual({ v: 'fallback' });
    expect(interpolateEnv(text, { V: 'set' }).value).toEqual({ v: 'set' });
    expect(interpolateEnv({ v: '${V:-}' }, {}).value).toEqual({ v: '' });
  });

  it('reports an unset variable without default, naming the key path and the variable', () => {
    const { issues } = interpolateEnv({ moncampus: { password: '${MC_PASS}' } }, {});
    expect(issues).toEqual([expect.objectContaining({ path: ['moncampus', 'password'], message: 'environment variable MC_PASS is not set' })]);
    expect(issues[0] && issueIn(issues[0], 'fr')).toBe('la variable d’environnement MC_PASS n’est pas définie');
  });

  it('keeps $${...} as a literal ${...} and a lone $ as is', () => {
    const { value, issues } = interpolateEnv({ p: 'a$${B}c$d' }, { B: 'nope' });
    expect(issues).toEqual([]);
    expect(value).toEqual({ p: 'a${B}c$d' });
  });

  it('reports a malformed reference without echoing it', () => {
    const { issues } = interpolateEnv({ p: 'x${not a name}' }, {});
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toEqual(['p']);
    expect(issues[0]?.message).not.toContain('not a name');
  });
});

describe('values from the secrets directory (swarm workers)', () => {
  it('reads an unset ${VAR} from $CAMPUS_SYNC_SECRETS_DIR/VAR, one trailing newline dropped; the environment wins', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'cs-secrets-'));
    writeFileSync(join(dir, 'ALICE_PASSWORD'), 'from-file\n');
    const env = { CAMPUS_SYNC_SECRETS_DIR: dir };
    expect(interpolateEnv({ p: '${ALICE_PASSWORD}' }, env)).toEqual({ value: { p: 'from-file' }, issues: [] });
    expect(interpolateEnv({ p: '${ALICE_PASSWORD}' }, { ...env, ALICE_PASSWORD: 'from-env' }).value).toEqual({ p: 'from-env' });
    const missing = interpolateEnv({ p: '${BOB_PASSWORD}' }, env);
    expect(missing.issues.map((i) => i.message)).toEqual(['environment variable BOB_PASSWORD is not set']);
  });

  it('lists the variables a text refers to, escaped ones left out', () => {
    expect(referencedVariables('a: ${B}\nc: "${A:-x} $${NOT_ME} ${B}"\n')).toEqual(['A', 'B']);
  });
});
