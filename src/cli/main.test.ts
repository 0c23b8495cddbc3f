import { describe, expect, it } from 'vitest';
import { main, helpText, VERBS } from './main.js';

describe('the campus-sync command', () => {
  it('lists every verb in its help', () => {
    for (const verb of [...Object.keys(VERBS), 'help']) expect(helpText()).toContain(`  ${verb}`);
  });

  it('answers exit code 2 to an unknown verb or flag, and 0 to help', async () => {
    const quiet = silence();
    try {
      expect(await main(['frobnicate'])).toBe(2);
      expect(await main(['run-once', '--no-such-flag'])).toBe(2);
      expect(await main(['help'])).toBe(0);
      for (const verb of Object.keys(VERBS)) expect(await main([verb, '--help'])).toBe(0);
      expect(await main(['run-once', 'Not A Name'])).toBe(2);
      expect(await main(['errors'])).toBe(2);
    } finally {
      quiet.restore();
    }
    expect(quiet.text()).toMatch(/unknown verb "frobnicate"/);
    expect(quiet.text()).toMatch(/"Not A Name" is not a config name/);
  });
});

function silence(): { restore(): void; text(): string } {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let captured = '';
  const grab = (chunk: string | Uint8Array): boolean => {
    captured += chunk.toString();
    return true;
  };
  process.stdout.write = grab as typeof process.stdout.write;
  process.stderr.write = grab as typeof process.stderr.write;
  return {
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
    },
    text: () => captured,
  };
}
