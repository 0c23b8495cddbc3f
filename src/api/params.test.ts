import { describe, expect, it } from 'vitest';
import { isValidInstanceName } from '../config/index.js';
import { DEFAULT_LIMIT, ParamError, parseInstanceFilter, parseListParams, parseMessageParams } from './params.js';

const q = (s: string): URLSearchParams => new URLSearchParams(s);

function paramOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ParamError) return err.parameter;
    throw err;
  }
  return undefined;
}

describe('parseListParams', () => {
  it('defaults the limit and passes valid values through', () => {
    expect(parseListParams(q(''))).toEqual({ limit: DEFAULT_LIMIT });
    expect(parseListParams(q('from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00%2B01:00&limit=500&cursor=abc'))).toEqual({
      from: '2025-01-01T00:00:00Z',
      to: '2025-02-01T00:00:00+01:00',
      limit: 500,
      cursor: 'abc',
    });
  });

  it('takes back an offset whose + became a space in an unencoded URL', () => {
    expect(parseListParams(q('from=2025-01-01T08:00:00+01:00')).from).toBe('2025-01-01T08:00:00+01:00');
  });

  it.each([
    ['from=yesterday', 'from'],
    ['from=2025-01-01', 'from'],
    ['from=2025-01-01T00:00:00', 'from'],
    ['from=', 'from'],
    ['to=2025-13-01T00:00:00Z', 'to'],
    ['to=nope', 'to'],
    ['from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', 'to'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['cursor=', 'cursor'],
    [`cursor=${'a'.repeat(2000)}`, 'cursor'],
  ])('%s → 400 naming %s', (query, parameter) => {
    expect(paramOf(() => parseListParams(q(query)))).toBe(parameter);
  });
});

describe('parseMessageParams', () => {
  const base = 'guild_id=123&channel_id=456';
  it('reads the seed parameters', () => {
    expect(parseMessageParams(q(`${base}&include_deleted=true&limit=2`))).toEqual({
      guildId: '123',
      channelId: '456',
      includeDeleted: true,
      limit: 2,
    });
    expect(parseMessageParams(q(base)).includeDeleted).toBe(false);
    expect(parseMessageParams(q(`${base}&include_deleted=0`)).includeDeleted).toBe(false);
    expect(parseMessageParams(q(`${base}&include_deleted=YES`)).includeDeleted).toBe(true);
  });

  it.each([
    ['channel_id=456', 'guild_id'],
    ['guild_id=123', 'channel_id'],
    ['guild_id=abc&channel_id=456', 'guild_id'],
    ['guild_id=123&channel_id=-4', 'channel_id'],
    ['guild_id=123456789012345678901&channel_id=4', 'guild_id'],
    [`${base}&include_deleted=maybe`, 'include_deleted'],
    [`${base}&include_deleted=`, 'include_deleted'],
    [`${base}&limit=9999`, 'limit'],
    [`${base}&from=monday`, 'from'],
  ])('%s → 400 naming %s', (query, parameter) => {
    expect(paramOf(() => parseMessageParams(q(query)))).toBe(parameter);
  });
});

describe('parseInstanceFilter', () => {
  it('accepts a valid name and refuses others', () => {
    expect(parseInstanceFilter(q(''), isValidInstanceName)).toBeUndefined();
    expect(parseInstanceFilter(q('instance=alice'), isValidInstanceName)).toBe('alice');
    expect(paramOf(() => parseInstanceFilter(q('instance=../etc'), isValidInstanceName))).toBe('instance');
  });
});
