import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/index.js';
import { generateTimetable, startEcalSim, startMonCampusSim, type EcalSim, type MonCampusSim } from '../src/sim/index.js';
import { captureLogger } from '../src/supervisor/capture-logger.test-helper.js';
import { instanceFileRules } from '../src/worker/instance-files.js';
import { runSync } from '../src/worker/index.js';
import {
  API_KEY,
  API_SECRET,
  CALENDAR_ID,
  PASSWORD,
  duplicateReferences,
  makeWorkspace,
  nestedConfig,
  runCli,
  writeConfig,
  type Workspace,
} from './helpers.js';

/**
 * Power cuts on an SD card: every file of data/<name>/ found empty, cut short, full of NUL bytes, or
 * valid but of the wrong shape. The next run sets it aside (renamed, never deleted), says so once,
 * and rebuilds it; ECAL keeps exactly its events and the hand-made one.
 */
const DAMAGES = ['empty', 'truncated', 'nul-filled', 'wrong-shape'] as const;
type Damage = (typeof DAMAGES)[number];

function damaged(original: Buffer, damage: Damage, kind: 'json' | 'lines' | 'text'): Buffer {
  switch (damage) {
    case 'empty':
      return Buffer.alloc(0);
    case 'truncated':
      // Cut inside the last record: a history file keeps every line before it.
      return original.subarray(0, Math.max(1, original.length - Math.ceil(Math.min(original.length / 3, 40))));
    case 'nul-filled':
      // The blocks of the last write allocated but never written: a history keeps its older lines.
      return kind === 'lines' ? Buffer.concat([original, Buffer.alloc(512)]) : Buffer.alloc(original.length || 512);
    case 'wrong-shape':
      return Buffer.from(
        kind === 'json'
          ? '{"version": 99, "unexpected": [1, 2, 3]}\n'
          : kind === 'lines'
            ? `${original.toString()}["not", "a", "record"]\n`
            : 'BEGIN:VCARD\r\nFN:nobody\r\nEND:VCARD\r\n',
      );
  }
}

describe('power cuts: every file of data/<name>/ × every damage', () => {
  let mc: MonCampusSim;
  let ecal: EcalSim;
  let ws: Workspace;
  const dir = () => join(ws.data, 'alice');
  const courses = generateTimetable({ count: 15, start: '2025-09-01', seed: 3 });

  const run = async () => {
    const log = captureLogger();
    const config = await loadConfigFile(join(ws.configs, 'alice.yml'), { env: {} });
    const result = await runSync({ config, dir: dir(), logger: log.logger });
    return { result, said: log.lines.filter((l) => l.message.includes('was damaged')).map((l) => l.message) };
  };

  beforeAll(async () => {
    mc = await startMonCampusSim({ users: { student: PASSWORD }, courses });
    ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR_ID] });
    ws = await makeWorkspace();
    await writeConfig(ws, 'alice', nestedConfig({ casUrl: mc.casUrl, url: mc.url, ecalUrl: ecal.url, from: '2025-09-01', to: '2025-10-31' }));
    ecal.addEvent({
      calendarId: CALENDAR_ID,
      name: 'Dentiste (à la main)',
      location: '',
      startDate: '2025-09-03',
      endDate: '2025-09-03',
      startTime: '18:00',
      endTime: '19:00',
    });
    // Two runs: every file exists (runs.jsonl has two lines); then seed the files a run does not write.
    expect((await run()).result.record.outcome).toBe('success');
    expect((await run()).result.record.outcome).toBe('success');
    await writeFile(join(dir(), 'worker.json'), `${JSON.stringify({ pid: 1, state: 'idle', nextRun: null })}\n`);
    await writeFile(join(dir(), 'alerts.jsonl'), `${JSON.stringify({ alertId: 'a1', kind: 'sync.failed', at: '2025-09-01T00:00:00Z' })}\n`);
    await writeFile(join(dir(), 'errors.log'), '2025-09-01T00:00:00.000Z fetch MonCampus timed out\n');
  });
  afterAll(async () => {
    await mc?.close();
    await ecal?.close();
  });

  const rules = () => instanceFileRules();
  it('covers the files a run reads or appends to', () => {
    expect(
      rules()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['alerts.jsonl', 'calendar.ics', 'errors.log', 'events.json', 'last-run.json', 'runs.jsonl', 'state.json', 'worker.json']);
  });

  for (const name of ['state.json', 'events.json', 'last-run.json', 'worker.json', 'calendar.ics', 'errors.log', 'runs.jsonl', 'alerts.jsonl']) {
    for (const damage of DAMAGES) {
      it(`${name}, ${damage}: set aside, said once, rebuilt; ECAL untouched`, async () => {
        const rule = rules().find((r) => r.name === name)!;
        const file = join(dir(), name);
        const asideBefore = new Set((await readdir(dir())).filter((f) => f.startsWith(`${name}.damaged-`)));
        const before = await readFile(file);
        const goodLines =
          rule.kind === 'lines'
            ? before
                .toString()
                .split('\n')
                .filter((l) => l !== '')
            : [];
        const ecalBefore = ecal
          .events()
          .map((e) => `${e.id} ${e.reference ?? '-'} ${e.name} ${e.startDate} ${e.startTime}`)
          .sort();
        const hurt = damaged(before, damage, rule.kind);
        await writeFile(file, hurt);

        const { result, said } = await run();
        expect(result.record.outcome, result.record.error).toBe('success');
        // An empty history is a history with nothing in it yet; a text line cut short is still a readable
        // line: neither is damage (the line is only ended, so the next record starts on its own line).
        const isDamage = !(rule.kind === 'lines' && (damage === 'empty' || (damage === 'truncated' && name === 'errors.log')));
        const aside = (await readdir(dir())).filter((f) => f.startsWith(`${name}.damaged-`) && !asideBefore.has(f));
        if (isDamage) {
          // Said once, naming the file, in the output and in errors.log.
          expect(said).toHaveLength(1);
          expect(said[0]).toContain(file);
          // Renamed, not deleted: the damaged bytes are still there.
          expect(aside).toHaveLength(1);
          const errorsLog = await readFile(join(dir(), 'errors.log'), 'utf8');
          expect(errorsLog.split('\n').filter((l) => l.includes(`${file} was damaged`) && l.includes(aside[0]!))).toHaveLength(1);
          expect(await readFile(join(dir(), aside[0]!))).toEqual(hurt);
        } else {
          expect(said).toEqual([]);
          expect(aside).toEqual([]);
        }
        // Rebuilt (or absent until its writer runs: worker.json belongs to a long-running worker).
        const now = await readFile(file).catch(() => null);
        if (name === 'worker.json') expect(now).toBeNull();
        else expect(now?.includes(0), 'no NUL byte').toBe(false);
        if (name === 'calendar.ics') {
          // Rendered again although the timetable did not change.
          expect(result.record.icsWritten).toBe(true);
          expect(now?.toString()).toMatch(/^BEGIN:VCALENDAR[\s\S]*END:VCALENDAR(\r?\n)?$/);
        }
        if (rule.kind === 'lines') {
          const lines = now!.toString().split('\n');
          expect(lines.at(-1), 'ends with a newline').toBe('');
          const kept = lines.filter((l) => l !== '');
          for (const l of kept) expect(rule.goodLine(l), l).toBe(true);
          // Every good line before the damage is still there (a cut line is the only loss).
          const survivors =
            damage === 'truncated' && isDamage
              ? goodLines.slice(0, -1)
              : damage === 'empty'
                ? []
                : damage === 'truncated'
                  ? [...goodLines.slice(0, -1), hurt.toString().split('\n').at(-1)!]
                  : goodLines;
          expect(kept.slice(0, survivors.length)).toEqual(survivors);
        }
        if (name === 'events.json') {
          const rows = JSON.parse(now!.toString()) as { reference: string; ecalId: string | null }[];
          expect(rows.length).toBeGreaterThan(0);
          // Rebuilt from ECAL by reference: each row names the ECAL event that carries its reference.
          for (const r of rows) expect(ecal.events().find((e) => e.id === r.ecalId)?.reference).toBe(r.reference);
        }
        // ECAL: the same events, no duplicate, the hand-made one untouched.
        expect(
          ecal
            .events()
            .map((e) => `${e.id} ${e.reference ?? '-'} ${e.name} ${e.startDate} ${e.startTime}`)
            .sort(),
        ).toEqual(ecalBefore);
        expect(duplicateReferences(ecal.events())).toEqual([]);

        // The next run has nothing to say.
        const again = await run();
        expect(again.said).toEqual([]);
        if (name === 'worker.json') await writeFile(file, `${JSON.stringify({ pid: 1, state: 'idle', nextRun: null })}\n`);
        // The next damage needs something to damage: a history left empty gets one good line back.
        if (name === 'alerts.jsonl' && (await readFile(file, 'utf8')) === '') await writeFile(file, `${JSON.stringify({ alertId: 'a2', kind: 'test' })}\n`);
        if (name === 'errors.log' && (await readFile(file, 'utf8')) === '') await writeFile(file, '2025-09-02T00:00:00.000Z push ECAL answered 503\n');
      });
    }
  }

  it('a starting worker sets a damaged worker.json aside, says so, and writes a new one', async () => {
    const file = join(dir(), 'worker.json');
    await writeFile(file, Buffer.alloc(200));
    const r = await runCli(['worker', 'alice'], { ...ws.env, RUN_ONCE: '1', LOG_FORMAT: 'text' });
    expect(r.code, r.stderr).toBe(0);
    expect((r.stdout + r.stderr).split('\n').filter((l) => l.includes(`${file} was damaged (NUL bytes)`))).toHaveLength(1);
    const status = JSON.parse(await readFile(file, 'utf8')) as { state: string };
    expect(typeof status.state).toBe('string');
  });

  it('run-once says it on its output, naming the file', async () => {
    await writeFile(join(dir(), 'state.json'), Buffer.alloc(300));
    const r = await runCli(['run-once', 'alice'], { ...ws.env, LOG_FORMAT: 'text' });
    expect(r.code, r.stderr).toBe(0);
    const out = r.stdout + r.stderr;
    expect(out.split('\n').filter((l) => l.includes(`${join(dir(), 'state.json')} was damaged (NUL bytes)`))).toHaveLength(1);
    expect(out).not.toContain(PASSWORD);
  });
});
