import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { channelsSchema } from './notify-schema.js';

/** The README's notification table promises an example that works for each service: each must validate. */
describe('README notification table', () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('| Service | URL forms |'));
  const rows = table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Service') && !l.startsWith('|---'))
    .slice(0, 9);
  it("has a row per service, and every row's example validates", () => {
    expect(rows.map((r) => r.split('|')[1]?.trim())).toEqual([
      'Discord',
      'Slack',
      'Email',
      'JSON / form / XML webhook',
      'ntfy',
      'Gotify',
      'Telegram',
      'Pushover',
      'Matrix',
    ]);
    for (const row of rows) {
      const example = /`([^`]+)` \|$/.exec(row.trim())?.[1];
      expect(example, row).toBeDefined();
      const r = channelsSchema.safeParse([example]);
      expect(r.success, `${example}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
  });
});
