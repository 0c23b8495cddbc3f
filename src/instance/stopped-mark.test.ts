import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { clearStoppedOnPurpose, isStoppedOnPurpose, markStoppedOnPurpose, STOPPED_MARK_FILE } from './stopped-mark.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stopped-mark-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('is set by a stop and cleared by a start; clearing twice is fine', async () => {
  expect(await isStoppedOnPurpose(dir)).toBe(false);
  await markStoppedOnPurpose(dir, new Date('2026-01-02T03:04:05Z'));
  expect(await isStoppedOnPurpose(dir)).toBe(true);
  expect(await readFile(join(dir, STOPPED_MARK_FILE), 'utf8')).toContain('2026-01-02T03:04:05.000Z');
  await clearStoppedOnPurpose(dir);
  await clearStoppedOnPurpose(dir);
  expect(await isStoppedOnPurpose(dir)).toBe(false);
});

it('counts by presence: a mark emptied by a power cut still says stopped', async () => {
  await writeFile(join(dir, STOPPED_MARK_FILE), '');
  expect(await isStoppedOnPurpose(dir)).toBe(true);
});
