/**
 * The digest through the real worker, outbox and Discord channel, against the simulators, with a fake clock: at the
 * time asked, one message with tomorrow's classes; once per day even across a restart; nothing before a day off.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InstanceConfig } from '../config/index.js';
import { silentLogger } from '../lib/index.js';
import { startDiscordSim, startEcalSim, startMonCampusSim, type DiscordSim, type EcalSim, type MonCampusSim } from '../sim/index.js';
import { startWorker } from './worker.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

describe('changes.digest', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let discord: DiscordSim;
  let config: InstanceConfig;
  beforeAll(async () => {
    mc = await startMonCampusSim({
      users: { zoe: 'zoe-password' },
      courses: [
        { id: 1, title: 'G1 Droit', start: '2026-12-08T08:30', end: '2026-12-08T10:30', room: 'B12', teacher: 'M. Durand' },
        { id: 2, title: 'G1 Finance', start: '2026-12-08T14:00', end: '2026-12-08T16:00', room: 'C3' },
        { id: 3, title: 'G1 Marketing', start: '2026-12-10T09:00', end: '2026-12-10T11:00', room: 'A1' },
      ],
    });
    ecal = await startEcalSim({ keys: { k: 's' }, calendars: ['c'.repeat(24)] });
    discord = await startDiscordSim();
    config = {
      name: 'zoe',
      file: '/dev/null',
      timezone: 'Europe/Paris',
      schedule: '0 0 1 1 *',
      runOnStart: false,
      moncampus: { url: mc.url, casUrl: mc.casUrl, username: 'zoe', password: 'zoe-password', window: { from: '2026-12-01', to: '2026-12-31' } },
      ics: { enabled: true },
      locale: 'fr',
      changes: { horizonDays: 7, digest: '20:00' },
      slots: [],
      notify: [{ type: 'discord-webhook', name: 'discord', url: discord.createWebhook().url } as InstanceConfig['notify'][number]],
      booking: [],
      legacy: false,
      warnings: [],
      secrets: ['zoe-password'],
    };
  });
  afterAll(async () => {
    await Promise.all([mc?.close(), ecal?.close(), discord?.close()]);
  });

  it('sends tomorrow at 20:00 local, once per day across a restart, and nothing before a day without classes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-digest-'));
    const clock = fakeClock('2026-12-07T10:00:00Z');
    const titles = (): string[] => discord.messages().map((m) => (m.body as { embeds: { title: string }[] }).embeds[0]?.title ?? '');
    let worker = startWorker({ config, dir, logger: silentLogger, clock });
    try {
      expect((await worker.trigger('test'))?.record.outcome).toBe('success');
      // 18:59 UTC is 19:59 in Paris: not yet.
      clock.set('2026-12-07T18:59:00Z');
      expect(await worker.checkDigest()).toBe(false);
      clock.set('2026-12-07T19:00:00Z');
      expect(await worker.checkDigest()).toBe(true);
      await expect.poll(titles).toEqual(['zoe : demain, mardi 8 décembre, 2 cours']);
      const body = JSON.stringify(discord.messages()[0]?.body);
      expect(body).toContain('08:30–10:30 Droit (salle B12)');
      expect(body).toContain('14:00–16:00 Finance (salle C3)');
      expect(body).not.toContain('Marketing');
      expect(await worker.checkDigest()).toBe(false);
    } finally {
      await worker.stop();
    }
    // A restart the same evening: not again (state.json remembers the day).
    clock.set('2026-12-07T20:30:00Z');
    worker = startWorker({ config, dir, logger: silentLogger, clock });
    try {
      expect(await worker.checkDigest()).toBe(false);
      // The 8th at 20:00: the 9th has no class, so nothing is sent, and the day counts as handled.
      clock.set('2026-12-08T19:05:00Z');
      expect(await worker.checkDigest()).toBe(false);
      expect(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'))).toMatchObject({ digest: { lastDay: '2026-12-08' } });
      // The 9th at 20:00: Marketing on the 10th.
      clock.set('2026-12-09T19:00:00Z');
      expect(await worker.checkDigest()).toBe(true);
      await expect.poll(titles).toEqual(['zoe : demain, mardi 8 décembre, 2 cours', 'zoe : demain, jeudi 10 décembre, un cours']);
    } finally {
      await worker.stop();
    }
  });
});
