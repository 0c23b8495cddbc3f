import { describe, expect, it } from 'vitest';
import { FOREIGN_LOCK_STALE_MS, holderRecord, judgeHolder, parseLock, startTicksFromStat, type Here } from './lock-holder.js';

const BOOT = '16bea5a7-383c-4d83-8901-4a70b5e90f79';
const CONTAINER = 'ab87942bb039f708eeb74bb03e747418265524934ccdc3517d8c6600bf39f28c';
const NOW = Date.parse('2026-12-06T12:00:00Z');

/** A process table: pid → start ticks. */
function hereWith(procs: Record<number, string>, over: Partial<Here> = {}): Here {
  return {
    pid: 7,
    host: 'ab87942bb039',
    bootId: BOOT,
    container: CONTAINER,
    pidNs: 'pid:[4026532179]',
    startTicks: (pid) => procs[pid] ?? null,
    exists: (pid) => pid in procs,
    ...over,
  };
}

const lockOf = (here: Here, over: Record<string, unknown> = {}, instance = 'alice'): string =>
  JSON.stringify({ ...holderRecord(instance, here, new Date(NOW)), ...over });

const judge = (text: string, here: Here, opts: { now?: number; held?: boolean } = {}) =>
  judgeHolder(parseLock(text, 'alice'), here, opts.now ?? NOW, opts.held ?? false);

describe('parseLock', () => {
  it.each([
    ['empty', ''],
    ['NUL-filled (power cut)', '\0'.repeat(120)],
    ['truncated', '{"v":2,"instance":"al'],
    ['wrong shape', '{"hello":"world"}'],
    ['a JSON number', '42'],
    ['huge', `{"pad":"${'x'.repeat(5000)}"}`],
  ])('calls a %s lock damaged', (_what, text) => {
    expect(parseLock(text, 'alice').kind).toBe('damaged');
  });

  it('calls a lock naming another instance damaged', () => {
    expect(parseLock(lockOf(hereWith({ 7: '100' }), {}, 'bob'), 'alice')).toEqual({ kind: 'damaged', why: 'names instance "bob"' });
  });

  it('reads a version-1 lock as legacy', () => {
    expect(parseLock('{"pid":12,"host":"h","at":"2026-12-06T12:00:00.000Z"}', 'alice')).toEqual({ kind: 'legacy', pid: 12, host: 'h', at: NOW });
  });
});

describe('judgeHolder', () => {
  const writer = hereWith({ 7: '1000' });

  it('believes a holder whose pid runs with the same start time, in the same pid namespace', () => {
    const reader = hereWith({ 7: '1000', 9: '2000' }, { pid: 9 });
    expect(judge(lockOf(writer), reader)).toEqual({ live: true, why: 'pid 7 is running' });
  });

  it('calls stale a pid reused by another process (pid 1 after a restart, any other program)', () => {
    const reader = hereWith({ 7: '5555', 9: '6000' }, { pid: 9 });
    expect(judge(lockOf(writer), reader)).toEqual({ live: false, why: 'pid 7 is now another process' });
    const pid1 = hereWith({ 1: '1000', 9: '6000' }, { pid: 9 });
    expect(judge(lockOf(hereWith({ 1: '999' }, { pid: 1 })), pid1).live).toBe(false);
  });

  it('calls stale a lock whose pid is gone', () => {
    expect(judge(lockOf(writer), hereWith({ 9: '6000' }, { pid: 9 }))).toEqual({ live: false, why: 'pid 7 is gone' });
  });

  it('calls stale a lock from an earlier life of the same container (docker kill, restart): a new pid namespace, even with a fresh time and a live pid', () => {
    const restarted = hereWith({ 7: '1000' }, { pidNs: 'pid:[4026532999]' });
    expect(judge(lockOf(writer), restarted)).toEqual({ live: false, why: 'written before this container restarted' });
  });

  it('calls stale a lock written before a reboot (power cut), even when its pid and time look alive', () => {
    const rebooted = hereWith({ 7: '1000' }, { bootId: 'another-boot', pidNs: 'pid:[4026532179]' });
    expect(judge(lockOf(writer), rebooted)).toEqual({ live: false, why: 'written before the last reboot' });
  });

  it('judges a holder in another container or host by its refreshed time only', () => {
    const api = hereWith({}, { host: 'api', container: 'f'.repeat(64), pidNs: 'pid:[1]', pid: 30 });
    expect(judge(lockOf(writer), api, { now: NOW + FOREIGN_LOCK_STALE_MS - 1 }).live).toBe(true);
    expect(judge(lockOf(writer), api, { now: NOW + FOREIGN_LOCK_STALE_MS + 1 }).live).toBe(false);
    // Another physical host sharing data/ has another boot id: still judged by time, not taken for a reboot.
    const otherHost = hereWith({}, { host: 'pi2', bootId: 'other', container: null, pidNs: 'pid:[1]', pid: 30 });
    expect(judge(lockOf(writer), otherHost).live).toBe(true);
  });

  it('tells its own held lock from one this process left behind', () => {
    expect(judge(lockOf(writer), writer, { held: true })).toEqual({ live: true, why: 'held by this process' });
    expect(judge(lockOf(writer), writer, { held: false })).toEqual({ live: false, why: 'left by this process' });
  });

  it('believes a version-1 lock only while its pid exists and its time moves', () => {
    const reader = hereWith({ 12: 'x', 9: 'y' }, { pid: 9 });
    const v1 = (at: number) => JSON.stringify({ pid: 12, host: reader.host, at: new Date(at).toISOString() });
    expect(judge(v1(NOW), reader).live).toBe(true);
    expect(judge(v1(NOW - FOREIGN_LOCK_STALE_MS - 1), reader).live).toBe(false);
    expect(judge(JSON.stringify({ pid: 12, host: reader.host }), reader).live).toBe(false);
    expect(judge(v1(NOW), hereWith({ 9: 'y' }, { pid: 9 })).live).toBe(false);
  });

  it('without /proc (no boot id) falls back to the pid on the same host', () => {
    const bare = (procs: Record<number, string>, pid: number) => hereWith(procs, { bootId: null, container: null, pidNs: null, pid, startTicks: () => null });
    const text = lockOf(bare({ 7: '' }, 7));
    expect(judge(text, bare({ 7: '', 9: '' }, 9)).live).toBe(true);
    expect(judge(text, bare({ 9: '' }, 9)).live).toBe(false);
  });

  it('calls every damaged lock stale', () => {
    expect(judge('\0\0\0', writer)).toEqual({ live: false, why: 'damaged lock (contains NUL bytes (a power cut mid-write))' });
  });
});

describe('identity from /proc', () => {
  it('reads the start time after a command name with spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    expect(startTicksFromStat(`42 (a) b (c)) ${fields.join(' ')}`)).toBe('22');
    expect(startTicksFromStat('garbage')).toBeNull();
  });
});
