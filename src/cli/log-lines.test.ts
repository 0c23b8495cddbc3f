import { describe, expect, it } from 'vitest';
import { humanLogLine } from './log-lines.js';

describe('humanLogLine', () => {
  it('shows a JSON log line with local time, level, instance, message and the other fields', () => {
    const line = JSON.stringify({
      instance: 'alice',
      level: 'info',
      message: 'run success in 812 ms',
      phase: 'push',
      n: 3,
      timestamp: '2026-03-01T10:46:02.123Z',
    });
    expect(humanLogLine(line, undefined, 'Europe/Paris')).toEqual({
      text: 'Sun 1 Mar 11:46:02 info  [alice] run success in 812 ms phase=push n=3',
      level: 'info',
    });
    // In the shell's language: the same time in French words.
    expect(humanLogLine(line, undefined, 'Europe/Paris', 'fr').text).toBe('dim. 1 mars 11:46:02 info  [alice] run success in 812 ms phase=push n=3');
    // Summer time: +2 h.
    expect(humanLogLine(JSON.stringify({ level: 'error', message: 'x', timestamp: '2026-07-01T10:00:00Z' }), 'bob', 'Europe/Paris').text).toBe(
      'Wed 1 Jul 12:00:00 error [bob] x',
    );
    expect(humanLogLine(JSON.stringify({ level: 'error', message: 'x', timestamp: '2026-07-01T10:00:00Z' }), 'bob', 'Europe/Paris', 'fr').text).toBe(
      'mer. 1 juil. 12:00:00 error [bob] x',
    );
  });

  it('keeps a line that is not a JSON log object as it is, with the worker it came from', () => {
    expect(humanLogLine('node: something broke', 'alice').text).toBe('[alice] node: something broke');
    expect(humanLogLine('[1,2]').text).toBe('[1,2]');
    expect(humanLogLine('{"no":"message"}', 'a').text).toBe('[a] {"no":"message"}');
  });
});
