import { describe, expect, it } from 'vitest';
import { interpolateEnv } from './env.js';

describe('interpolateEnv', () => {
  it('replaces ${VAR} in strings at any depth, leaving other values alone', () => {
    const date = new Date('2025-09-01T00:00:00Z');
    const { value, issues } = interpolateEnv(
      { a: 'x-${A}-y', n: 3, b: true, nested: { list: ['${A}', 1], d: date } },
      { A: 'one' },
    );
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
    expect(issues).toEqual([{ path: ['moncampus', 'password'], message: 'environment variable MC_PASS is not set' }]);
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
