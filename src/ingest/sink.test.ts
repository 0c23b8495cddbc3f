import { describe, expect, it } from 'vitest';
import { cursorKeys } from './sink.js';

describe('cursor keys', () => {
  // The store persists these and the CLI may reset them: their spelling is a contract.
  it('are namespaced per purpose and channel', () => {
    expect(cursorKeys.backfill('42')).toBe('discord:backfill:42');
    expect(cursorKeys.after('42')).toBe('discord:after:42');
    expect(cursorKeys.recheck('42')).toBe('discord:recheck:42');
    expect(new Set([cursorKeys.backfill('1'), cursorKeys.after('1'), cursorKeys.recheck('1'), cursorKeys.after('2')]).size).toBe(4);
  });
});
