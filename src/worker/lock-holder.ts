import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { currentContainerId } from '../lib/index.js';

/**
 * Who holds a run lock, written into the lock file, and the pure judgement of whether that holder still
 * runs. A pid alone means nothing inside containers: after `docker kill` + restart, or a power cut, the
 * restarted worker's pids are small again and the old lock's pid is often alive — as another program
 * (pid 1 is tini or node). So a holder is named by what cannot repeat: the kernel's boot id, the pid
 * namespace it lives in, its pid AND that process's start time (clock ticks since boot, /proc/<pid>/stat).
 */

/** Format of the lock file; version 1 (pid, host, at) is still read from locks an older build left. */
export const LOCK_FORMAT = 2;
/** The holder rewrites its lock's time this often while it runs, so other hosts can tell it is alive. */
export const LOCK_REFRESH_MS = 20_000;
/**
 * A lock from a holder we cannot see (another container's pid namespace, another host sharing data/) is
 * stale once its time is this old: three missed refreshes. A crashed container's lock is taken over
 * within 90 s; a live one never is.
 */
export const FOREIGN_LOCK_STALE_MS = 90_000;
/** A lock file is a few hundred bytes; anything much longer is not one of ours (and is not read whole). */
export const LOCK_MAX_BYTES = 4_096;

const holderSchema = z.object({
  v: z.literal(LOCK_FORMAT),
  instance: z.string().min(1),
  pid: z.number().int().positive(),
  host: z.string(),
  /** /proc/sys/kernel/random/boot_id; null off Linux. */
  bootId: z.string().nullable(),
  /** The container it runs in (Docker/Podman id from /proc/self/mountinfo); null on a host. */
  container: z.string().nullable(),
  /** The pid namespace (`pid:[4026531836]`): pids compare only inside one. null off Linux. */
  pidNs: z.string().nullable(),
  /** Field 22 of /proc/<pid>/stat: with the boot id, no other process can have the same pid and start. */
  startTicks: z.string().nullable(),
  /** Last refresh, ISO-8601. */
  at: z.string(),
});
export type LockHolder = z.infer<typeof holderSchema>;

/** A version-1 lock, left by an older build mid-run: only a pid, a host name and a refreshed time. */
const legacySchema = z.object({ pid: z.number().int().positive(), host: z.string(), at: z.string().optional() });

export type ParsedLock = { kind: 'holder'; holder: LockHolder } | { kind: 'legacy'; pid: number; host: string; at: number } | { kind: 'damaged'; why: string };

/** Reads a lock file's text: empty, truncated, NUL-filled or of another shape is `damaged`, never trusted. */
export function parseLock(text: string, instance: string): ParsedLock {
  if (text.length === 0) return { kind: 'damaged', why: 'empty' };
  if (text.includes('\0')) return { kind: 'damaged', why: 'contains NUL bytes (a power cut mid-write)' };
  if (text.length > LOCK_MAX_BYTES) return { kind: 'damaged', why: `longer than ${LOCK_MAX_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'damaged', why: 'not JSON (truncated?)' };
  }
  const v2 = holderSchema.safeParse(json);
  if (v2.success) {
    if (v2.data.instance !== instance) return { kind: 'damaged', why: `names instance "${v2.data.instance}"` };
    if (!Number.isFinite(Date.parse(v2.data.at))) return { kind: 'damaged', why: 'its time is not a date' };
    return { kind: 'holder', holder: v2.data };
  }
  const v1 = legacySchema.safeParse(json);
  if (v1.success && (json as { v?: unknown }).v === undefined) {
    return { kind: 'legacy', pid: v1.data.pid, host: v1.data.host, at: v1.data.at ? Date.parse(v1.data.at) : NaN };
  }
  return { kind: 'damaged', why: 'not a run lock' };
}

/** This process as seen from where it runs: what a lock records, and what a judgement compares with. */
export interface Here {
  pid: number;
  host: string;
  bootId: string | null;
  container: string | null;
  pidNs: string | null;
  /** Start ticks of a pid in our namespace: null when no such process (or no /proc). */
  startTicks(pid: number): string | null;
  /** Whether a pid exists at all (signal 0), for hosts without /proc and for version-1 locks. */
  exists(pid: number): boolean;
}

export type Verdict = { live: true; why: string } | { live: false; why: string };

/**
 * Whether a lock's holder still runs. `held` is true when this very process holds that lock file now (two
 * runs in one process, e.g. the API's dashboard actions). Pure: every observation comes through `here`.
 */
export function judgeHolder(lock: ParsedLock, here: Here, now: number, held: boolean): Verdict {
  if (lock.kind === 'damaged') return { live: false, why: `damaged lock (${lock.why})` };
  const fresh = (at: number): boolean => Number.isFinite(at) && now - at < FOREIGN_LOCK_STALE_MS && at - now < FOREIGN_LOCK_STALE_MS;
  if (lock.kind === 'legacy') {
    // An older build's lock: believed only when its pid exists here AND its time still moves — the pid
    // alone is what blocked restarted containers forever.
    if (lock.host === here.host && lock.pid === here.pid)
      return held ? { live: true, why: 'held by this process' } : { live: false, why: 'left by this process' };
    if (lock.host === here.host && here.exists(lock.pid) && fresh(lock.at)) return { live: true, why: `pid ${lock.pid} is running` };
    if (lock.host !== here.host && fresh(lock.at)) return { live: true, why: `held on ${lock.host}, refreshed recently` };
    return { live: false, why: 'an older lock whose holder is gone' };
  }
  const h = lock.holder;
  const at = Date.parse(h.at);
  if (h.bootId !== null && here.bootId !== null && h.bootId === here.bootId && h.pidNs !== null && h.pidNs === here.pidNs) {
    // Same kernel, same pid namespace: the pid can be checked, and its start time tells a reused pid apart.
    if (h.pid === here.pid && h.startTicks === here.startTicks(here.pid)) {
      return held ? { live: true, why: 'held by this process' } : { live: false, why: 'left by this process' };
    }
    const ticks = here.startTicks(h.pid);
    if (ticks === null) return { live: false, why: `pid ${h.pid} is gone` };
    if (h.startTicks === null || ticks !== h.startTicks) return { live: false, why: `pid ${h.pid} is now another process` };
    return { live: true, why: `pid ${h.pid} is running` };
  }
  if (h.bootId !== null && h.bootId === here.bootId && h.container !== null && h.container === here.container) {
    // Our container, another pid namespace: the container restarted (docker kill, a crash) and every process
    // of its previous life died with it.
    return { live: false, why: 'written before this container restarted' };
  }
  if (
    h.bootId !== null &&
    here.bootId !== null &&
    h.bootId !== here.bootId &&
    (h.host === here.host || (h.container !== null && h.container === here.container))
  ) {
    // Our host name, another boot: the machine (or this container's host) rebooted since; nothing survives that.
    return { live: false, why: 'written before the last reboot' };
  }
  if (h.bootId === null && here.bootId === null && h.host === here.host) {
    // No /proc on either side (macOS, a developer's machine): the pid's existence is all there is.
    if (h.pid === here.pid) return held ? { live: true, why: 'held by this process' } : { live: false, why: 'left by this process' };
    return here.exists(h.pid) ? { live: true, why: `pid ${h.pid} is running` } : { live: false, why: `pid ${h.pid} is gone` };
  }
  // Another container (its own pid namespace) or another host sharing data/: only its refreshed time speaks.
  return fresh(at)
    ? { live: true, why: `held in ${h.host}, refreshed ${Math.round((now - at) / 1000)} s ago` }
    : { live: false, why: `held in ${h.host}, not refreshed for ${Math.round((now - at) / 1000)} s` };
}

/** The lock file's content for this process. */
export function holderRecord(instance: string, here: Here, now: Date): LockHolder {
  return {
    v: LOCK_FORMAT,
    instance,
    pid: here.pid,
    host: here.host,
    bootId: here.bootId,
    container: here.container,
    pidNs: here.pidNs,
    startTicks: here.startTicks(here.pid),
    at: now.toISOString(),
  };
}

/** Field 22 (starttime) of a /proc/<pid>/stat line; the command name (field 2) may hold spaces and parentheses. */
export function startTicksFromStat(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const rest = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): field 22 is rest[19].
  const ticks = rest[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : null;
}

const readOrNull = (read: () => string): string | null => {
  try {
    return read();
  } catch {
    return null;
  }
};

/** This process on this machine, read from /proc (nulls where there is none). */
export function currentHere(): Here {
  return {
    pid: process.pid,
    host: hostname(),
    bootId: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()) || null,
    container: currentContainerId(),
    pidNs: readOrNull(() => readlinkSync('/proc/self/ns/pid')),
    startTicks: (pid) => {
      const stat = readOrNull(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
      return stat === null ? null : startTicksFromStat(stat);
    },
    exists: (pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    },
  };
}
