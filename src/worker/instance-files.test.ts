import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TransientError } from '../lib/index.js';
import { createAlert, createOutbox, type Alert, type Channel } from '../notify/index.js';
import { captureLogger } from '../supervisor/capture-logger.test-helper.js';
import { createSlotWatcher } from '../slots/index.js';
import type { Slot, SlotProvider } from '../slots/slot.js';
import { slotWatcherSchema } from '../config/index.js';
import { createErrorFile, ERRORS_FILE, OUTBOX_DIR, SLOTS_DIR } from '../instance/index.js';
import { recoverAlertFiles } from './instance-files.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

/**
 * The files behind alerts × what a power cut leaves: each damaged one is set aside (renamed, the bytes kept),
 * said once in the log and in errors.log, and rebuilt, without losing a queued alert or sending one twice.
 */
const DAMAGES = ['empty', 'truncated', 'nul-filled', 'wrong-shape'] as const;
type Damage = (typeof DAMAGES)[number];
const NOW = new Date('2025-09-01T10:00:00Z');

function damaged(original: Buffer, damage: Damage): Buffer {
  switch (damage) {
    case 'empty':
      return Buffer.alloc(0);
    case 'truncated':
      return original.subarray(0, Math.max(1, Math.floor(original.length / 2)));
    case 'nul-filled':
      return Buffer.alloc(original.length);
    case 'wrong-shape':
      return Buffer.from('{"version": 99, "unexpected": [1, 2, 3]}\n');
  }
}

/** A channel that records what it sends, and fails (transiently) while `down`. */
function recordingChannel(name: string) {
  const ch: { down: boolean; sent: Alert[]; channel: Channel } = {
    down: false,
    sent: [],
    channel: {
      name,
      type: 'webhook',
      async send(alert: Alert) {
        if (ch.down) throw new TransientError(`${name} is down`);
        ch.sent.push(alert);
      },
    },
  };
  return ch;
}

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'cs-alert-files-'));
  const log = captureLogger();
  const errors = createErrorFile({ path: join(dir, ERRORS_FILE), redact: (s) => s });
  const recover = () => recoverAlertFiles(dir, { watchers: ['dentist'], logger: log.logger, errors, now: NOW });
  /** What recover said about `file`: in the log, and in errors.log. */
  const said = async (file: string) => ({
    log: log.lines.filter((l) => l.message.includes(`${file} was damaged`)),
    errorsLog: (await readFile(join(dir, ERRORS_FILE), 'utf8').catch(() => '')).split('\n').filter((l) => l.includes(`${file} was damaged`)),
  });
  const asideOf = async (file: string) => (await readdir(join(file, '..'))).filter((n) => n.startsWith(`${file.split('/').at(-1)!}.damaged-`));
  return { dir, log, recover, said, asideOf };
}

/** Damages `file`, recovers, and checks the common part: set aside with its bytes, said once in both places. */
async function damageAndRecover(t: Awaited<ReturnType<typeof setup>>, file: string, damage: Damage) {
  const hurt = damaged(await readFile(file), damage);
  await writeFile(file, hurt);
  const reports = await t.recover();
  expect(reports.map((r) => r.file)).toEqual([file]);
  const aside = await t.asideOf(file);
  expect(aside).toHaveLength(1);
  expect(await readFile(join(file, '..', aside[0]!))).toEqual(hurt);
  const { log, errorsLog } = await t.said(file);
  expect(log).toHaveLength(1);
  expect(log[0]!.level).toBe('warn');
  expect(log[0]!.message).toContain(aside[0]);
  expect(errorsLog).toHaveLength(1);
  // Said once: the next start finds nothing to say.
  expect(await t.recover()).toEqual([]);
  expect((await t.said(file)).log).toHaveLength(1);
  return log[0]!.message;
}

const watcherConfig = slotWatcherSchema.parse({
  name: 'dentist',
  provider: 'clicrdv',
  url: 'https://www.clicrdv.com/api/v2/availabletimeslots?from={date}&apikey=abcd',
});
const slot = (id: string, start: string): Slot => ({ id, start, label: `slot ${id}` });
/** The provider's answer, scripted: what a watcher does with it is the code under test. */
const providerListing = (slots: () => Slot[]): SlotProvider => ({ check: async () => ({ slots: slots(), requests: 1 }) });

describe('files behind alerts × power-cut damage', () => {
  for (const damage of DAMAGES) {
    it(`slots/<watcher>.json, ${damage}: set aside, said once, the next check a baseline (nothing alerted twice)`, async () => {
      const t = await setup();
      const stateFile = join(t.dir, SLOTS_DIR, 'dentist.json');
      await mkdir(join(t.dir, SLOTS_DIR));
      let listed = [slot('a', '2025-09-10T09:00:00Z'), slot('b', '2025-09-11T09:00:00Z')];
      const watcher = () =>
        createSlotWatcher({ config: watcherConfig, stateFile, provider: providerListing(() => listed), clock: fakeClock(NOW.toISOString()) });
      // A sound seen set (baseline, then one alerted slot), then the power cut.
      await (await watcher().check()).commit();
      listed = [...listed, slot('c', '2025-09-12T09:00:00Z')];
      const alerted = await watcher().check();
      expect(alerted.fresh.map((s) => s.id)).toEqual(['c']);
      await alerted.commit();

      const message = await damageAndRecover(t, stateFile, damage);
      expect(message).toContain('a new baseline');
      await expect(readFile(stateFile)).rejects.toMatchObject({ code: 'ENOENT' });
      // Rebuilt by the next check: a's, b's and c's alerts are not sent again; a slot new after it is.
      const w = watcher();
      const first = await w.check();
      expect([first.baseline, first.fresh]).toEqual([true, []]);
      await first.commit();
      listed = [...listed, slot('d', '2025-09-13T09:00:00Z')];
      expect((await w.check()).fresh.map((s) => s.id)).toEqual(['d']);
    });

    it(`outbox/disabled.json, ${damage}: set aside, said once, every channel tried again`, async () => {
      const t = await setup();
      const file = join(t.dir, OUTBOX_DIR, 'disabled.json');
      await mkdir(join(t.dir, OUTBOX_DIR), { recursive: true });
      await writeFile(file, `${JSON.stringify({ discord: { reason: 'webhook deleted (404)', at: '2025-08-01T00:00:00Z' } }, null, 2)}\n`);
      const message = await damageAndRecover(t, file, damage);
      expect(message).toContain('every channel is tried again');
      const ch = recordingChannel('discord');
      const outbox = createOutbox({ dir: join(t.dir, OUTBOX_DIR), channels: [ch.channel], redact: (s) => s, logger: t.log.logger });
      expect(await outbox.disabledChannels()).toEqual([]);
      await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'after the cut', text: 't' }));
      expect(await outbox.drain()).toMatchObject({ sent: 1, pending: 0 });
    });

    it(`outbox/deliveries/<alert>.json, ${damage}: set aside, said once, rebuilt from alerts.jsonl and sent once`, async () => {
      const t = await setup();
      const outboxDir = join(t.dir, OUTBOX_DIR);
      const journalFile = join(t.dir, 'alerts.jsonl');
      const ch = recordingChannel('slack');
      ch.down = true;
      const queued = createAlert({ kind: 'slot.new', instance: 'alice', title: '2 new slot(s): dentist', text: 'lun. 10 sept. 09:00\nmar. 11 sept. 09:00' });
      const before = createOutbox({ dir: outboxDir, channels: [ch.channel], redact: (s) => s, journalFile });
      await before.enqueue(queued);
      expect(await before.drain()).toMatchObject({ sent: 0, pending: 1 });
      const [name] = await readdir(join(outboxDir, 'deliveries'));
      const file = join(outboxDir, 'deliveries', name!);

      const message = await damageAndRecover(t, file, damage);
      expect(message).toContain('rebuilt from alerts.jsonl');
      // The channel is back: the alert goes out once, with its id and title.
      ch.down = false;
      const after = createOutbox({ dir: outboxDir, channels: [ch.channel], redact: (s) => s, journalFile });
      expect(await after.drain()).toMatchObject({ sent: 1, pending: 0 });
      expect(await after.drain()).toMatchObject({ sent: 0, pending: 0 });
      expect(ch.sent.map((a) => [a.id, a.kind, a.title])).toEqual([[queued.id, 'slot.new', queued.title]]);
    });
  }

  it('a damaged delivery the journal says went out is set aside and not sent again', async () => {
    const t = await setup();
    const outboxDir = join(t.dir, OUTBOX_DIR);
    const journalFile = join(t.dir, 'alerts.jsonl');
    const ch = recordingChannel('slack');
    const outbox = createOutbox({ dir: outboxDir, channels: [ch.channel], redact: (s) => s, journalFile });
    await outbox.enqueue(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'sent', text: 't' }));
    const [name] = await readdir(join(outboxDir, 'deliveries'));
    const file = join(outboxDir, 'deliveries', name!);
    const kept = await readFile(file);
    expect(await outbox.drain()).toMatchObject({ sent: 1 });
    // The power cut undid the removal (the directory entry never reached the card), and hurt the file.
    await writeFile(file, kept);
    const message = await damageAndRecover(t, file, 'nul-filled');
    expect(message).toContain('not sent twice');
    const again = createOutbox({ dir: outboxDir, channels: [ch.channel], redact: (s) => s, journalFile });
    expect(await again.drain()).toMatchObject({ sent: 0, pending: 0 });
    expect(ch.sent).toHaveLength(1);
  });
});
