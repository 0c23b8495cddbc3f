import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { COMPANION_TRANSITIONS, startCompanion } from './companion.js';

const waitFor = async (what: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const t0 = Date.now();
  while (!(await what())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** A stand-in for `campus-sync <verb>`: appends its pid to a file, then exits or waits for SIGTERM. */
async function script(behaviour: 'exit' | 'serve'): Promise<{ cliPath: string; log: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'companion-'));
  const log = join(dir, 'starts.log');
  const body =
    behaviour === 'exit'
      ? `require('fs').appendFileSync(${JSON.stringify(log)}, process.pid + '\\n'); process.exit(3);`
      : // The handler is installed before the pid is written: a test that sees the pid may signal at once.
        `process.on('SIGTERM', () => { require('fs').appendFileSync(${JSON.stringify(log)}, 'term ' + process.argv.slice(2).join(' ') + '\\n'); process.exit(0); });
         require('fs').appendFileSync(${JSON.stringify(log)}, process.pid + '\\n');
         setInterval(() => {}, 1000);`;
  const cliPath = join(dir, 'cli.cjs');
  await writeFile(cliPath, body);
  return { cliPath, log };
}

const starts = async (log: string): Promise<number> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => /^\d+$/.test(l)).length;

describe('companion process', () => {
  it('restarts a dying companion with growing delays, never in a tight loop, and stops for good', async () => {
    const { cliPath, log } = await script('exit');
    const clock = fakeClock();
    const c = startCompanion({ name: 'api', args: ['serve'], cliPath, clock, backoff: { baseDelayMs: 100, maxDelayMs: 400 } });
    await waitFor(async () => (await starts(log)) === 1);
    // Each death schedules one restart: nothing starts a moment before its delay, the next start comes at it.
    for (const [i, delayMs] of [100, 200, 400, 400, 400].entries()) {
      await clock.whenPending();
      await clock.tickAsync(delayMs - 1);
      expect(await starts(log)).toBe(i + 1);
      await clock.tickAsync(1);
      await waitFor(async () => (await starts(log)) === i + 2);
    }
    await clock.whenPending();
    await c.stop();
    const after = await starts(log);
    expect(clock.pendingTimers()).toBe(0);
    await clock.tickAsync(10_000);
    expect(await starts(log)).toBe(after);
    expect(c.state()).toBe('stopped');
  });

  it('stop() sends SIGTERM and waits for the process to finish', async () => {
    const { cliPath, log } = await script('serve');
    const c = startCompanion({ name: 'api', args: ['serve', '--json'], cliPath });
    await waitFor(async () => (await starts(log)) === 1);
    expect(c.state()).toBe('running');
    const pid = c.pid();
    await c.stop();
    expect(await readFile(log, 'utf8')).toContain('term serve --json');
    expect(() => process.kill(pid!, 0)).toThrow();
  });

  it('has a transition table with no way out of stopped', () => {
    expect(COMPANION_TRANSITIONS.stopped).toEqual([]);
    for (const s of Object.keys(COMPANION_TRANSITIONS))
      if (s !== 'stopped' && s !== 'stopping') expect(COMPANION_TRANSITIONS[s as keyof typeof COMPANION_TRANSITIONS]).toContain('stopping');
  });
});
