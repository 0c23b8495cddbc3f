import { describe, it, expect } from 'vitest';
import { eventReference, isLegacyReference, isOwnedReference, parseReference } from './reference.js';

describe('eventReference', () => {
  it('is stable and readable', () => {
    expect(eventReference('alice', '123456')).toBe('campus-sync:alice:123456');
    expect(eventReference('alice', '123456')).toBe(eventReference('alice', '123456'));
  });

  it('differs per instance and per course', () => {
    expect(eventReference('alice', '1')).not.toBe(eventReference('bob', '1'));
    expect(eventReference('alice', '1')).not.toBe(eventReference('alice', '2'));
  });

  it('refuses an instance name that would make the reference ambiguous', () => {
    expect(() => eventReference('a:b', '1')).toThrow(/cannot contain ':'/);
  });
});

describe('parseReference', () => {
  it('round-trips, even with a ":" in the source id', () => {
    expect(parseReference(eventReference('alice', '12'))).toEqual({ instance: 'alice', sourceId: '12' });
    expect(parseReference(eventReference('alice', 'x:y'))).toEqual({ instance: 'alice', sourceId: 'x:y' });
  });

  it('returns null for anything that is not ours', () => {
    for (const ref of [
      undefined,
      null,
      42,
      '',
      '123456',
      'my-own-ref',
      'campus-sync',
      'campus-sync:alice',
      'campus-sync::1',
      'campus-sync:alice:',
      'other:alice:1',
    ]) {
      expect(parseReference(ref)).toBeNull();
    }
  });
});

describe('isOwnedReference', () => {
  it('is true only for this instance', () => {
    expect(isOwnedReference('campus-sync:alice:1', 'alice')).toBe(true);
    expect(isOwnedReference('campus-sync:bob:1', 'alice')).toBe(false);
    expect(isOwnedReference('campus-sync:alice-2:1', 'alice')).toBe(false);
    expect(isOwnedReference('8472649', 'alice')).toBe(false);
    expect(isOwnedReference(undefined, 'alice')).toBe(false);
  });
});

describe('isLegacyReference', () => {
  it('recognises the numeric references of the Python tool', () => {
    expect(isLegacyReference('8472649173')).toBe(true);
    expect(isLegacyReference('campus-sync:alice:1')).toBe(false);
    expect(isLegacyReference('12a')).toBe(false);
    expect(isLegacyReference('')).toBe(false);
    expect(isLegacyReference(123)).toBe(false);
  });
});
