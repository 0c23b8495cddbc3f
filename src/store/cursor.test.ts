import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decodeCursor, encodeCursor } from './cursor.js';
import { InvalidCursorError } from './errors.js';

const time = '2025-02-03T04:05:06.789Z';

describe('cursor', () => {
  it('round-trips numeric and text tie-breakers, url-safe', () => {
    const a = encodeCursor('runs', { time, tie: 42 });
    expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('runs', a)).toEqual({ time, tie: 42 });
    const b = encodeCursor('messages', { time, tie: '1234567890123456789' });
    expect(decodeCursor('messages', b)).toEqual({ time, tie: '1234567890123456789' });
  });

  it('round-trips any reference text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (ref) => {
        expect(decodeCursor('events', encodeCursor('events', { time, tie: ref }))).toEqual({ time, tie: ref });
      }),
    );
  });

  it('refuses a cursor from another listing', () => {
    const c = encodeCursor('runs', { time, tie: 1 });
    expect(() => decodeCursor('alerts', c)).toThrow(/runs listing/);
  });

  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  it.each([
    ['empty', 'runs', ''],
    ['not base64url', 'runs', 'abc+/='],
    ['junk', 'runs', 'hello world'],
    ['not JSON', 'runs', b64('{nope')],
    ['wrong shape', 'runs', b64(JSON.stringify({ v: 1, s: 'runs', t: 'yesterday', k: 1 }))],
    ['wrong version', 'runs', b64(JSON.stringify({ v: 2, s: 'runs', t: time, k: 1 }))],
    ['text tie for a numeric listing', 'runs', b64(JSON.stringify({ v: 1, s: 'runs', t: time, k: '1' }))],
    ['numeric tie for a text listing', 'messages', b64(JSON.stringify({ v: 1, s: 'messages', t: time, k: 1 }))],
    ['too long', 'runs', 'A'.repeat(5000)],
    ['truncated', 'runs', encodeCursor('runs', { time, tie: 5 }).slice(0, -3)],
  ] as const)('throws InvalidCursorError for %s', (_label, scope, bad) => {
    expect(() => decodeCursor(scope, bad)).toThrow(InvalidCursorError);
  });

  it('names the cursor parameter', () => {
    try {
      decodeCursor('runs', 'x!');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidCursorError);
      expect((err as InvalidCursorError).parameter).toBe('cursor');
    }
  });
});
