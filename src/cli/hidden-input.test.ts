import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { editedAnswer, withoutEcho } from './hidden-input.js';

describe('hidden input', () => {
  it('applies backspaces and drops control characters', () => {
    expect(editedAnswer('secrex\x7ft')).toBe('secret');
    expect(editedAnswer('ab\b\bcd\r')).toBe('cd');
    expect(editedAnswer('\x7fx')).toBe('x');
  });

  it('turns echo off for the one answer and back on, even when reading fails', async () => {
    const modes: boolean[] = [];
    const tty = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: (m: boolean) => modes.push(m) });
    expect(
      await withoutEcho(
        tty,
        async () => 'pw',
        () => {},
      ),
    ).toBe('pw');
    await expect(
      withoutEcho(
        tty,
        async () => Promise.reject(new Error('ended')),
        () => {},
      ),
    ).rejects.toThrow('ended');
    expect(modes).toEqual([true, false, true, false]);
    expect(tty.listenerCount('data')).toBe(0);
  });

  it('cancels on Ctrl-C, which raw mode does not turn into a signal', async () => {
    const tty = Object.assign(new EventEmitter(), { isTTY: true, setRawMode: () => {} });
    let cancelled = false;
    const pending = withoutEcho(
      tty,
      () =>
        new Promise<string>((resolve) =>
          setImmediate(() => {
            tty.emit('data', Buffer.from('se\x03'));
            resolve('');
          }),
        ),
      () => (cancelled = true),
    );
    await pending;
    expect(cancelled).toBe(true);
  });

  it('off a terminal, reads as it is', async () => {
    const pipe = Object.assign(new EventEmitter(), { isTTY: false });
    expect(
      await withoutEcho(
        pipe,
        async () => 'x',
        () => {},
      ),
    ).toBe('x');
  });
});

describe('createLineReader', () => {
  it('keeps typed-ahead lines and reads a raw-mode Enter (\\r) then a cooked one (\\n) as two answers', async () => {
    const { PassThrough } = await import('node:stream');
    const { createLineReader } = await import('./hidden-input.js');
    const input = new PassThrough();
    const reader = createLineReader(input);
    input.write('secret\r');
    input.write('\n');
    input.write('a\r\nb\nc');
    input.end();
    const got: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) got.push(await reader.next());
    expect(got).toEqual(['secret', '', 'a', 'b', 'c', undefined]);
    reader.close();
  });
});
