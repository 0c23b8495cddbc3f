import { readFile } from 'node:fs/promises';
import { seenStateSchema } from '../instance/slot-state.js';
import { silentLogger, systemClock, writeFileAtomic, type Clock, type Logger, type RetryOptions } from '../lib/index.js';
import { applyFilter } from './filter.js';
import { createSlotProvider } from './providers/index.js';
import { realertAfterMs, type SlotWatcherConfig } from '../config/index.js';
import { sortSlots, type Slot, type SlotProvider } from './slot.js';

/** Used when neither the watcher nor the caller names a zone; the project's default. */
export const DEFAULT_SLOT_TIMEZONE = 'Europe/Paris';

export interface SeenEntry {
  /** The slot's start, kept so entries of past slots can be pruned. */
  start: string;
  firstSeen: string;
  /** The last check that listed it. */
  lastSeen: string;
  lastAlerted?: string;
  /** The first check that no longer listed it: set only when a check saw it gone, so downtime is not mistaken for a gap. */
  goneSince?: string;
}

export interface SeenState {
  version: 1;
  /** False until the first check: that one records what is there without alerting (as the seed does). */
  baselineDone: boolean;
  seen: Record<string, SeenEntry>;
}

export const emptySeenState = (): SeenState => ({ version: 1, baselineDone: false, seen: {} });

/** What a sound `slots/<watcher>.json` holds (a power cut may leave another shape: the worker sets it aside). */
export const isSeenState = (value: unknown): boolean => seenStateSchema.safeParse(value).success;

/**
 * The next state and the slots to alert. First call: baseline, nothing fresh. Afterwards a slot is
 * fresh when never seen, or when a check saw it gone and it is back more than `realertAfterMs` after
 * it was last seen. Absent slots keep their entry (for that rule) until their start has passed.
 */
export function diffSlots(prev: SeenState, current: Slot[], now: Date, realertAfterMs: number): { next: SeenState; fresh: Slot[] } {
  const nowMs = now.getTime();
  const nowIso = now.toISOString();
  // A past slot cannot be booked: neither alert it nor remember it.
  const upcoming = current.filter((s) => !(Date.parse(s.start) < nowMs));
  const seen: Record<string, SeenEntry> = {};
  const fresh: Slot[] = [];
  const present = new Set<string>();

  for (const slot of upcoming) {
    if (present.has(slot.id)) continue;
    present.add(slot.id);
    const before = prev.seen[slot.id];
    if (before === undefined) {
      if (prev.baselineDone) fresh.push(slot);
      seen[slot.id] = { start: slot.start, firstSeen: nowIso, lastSeen: nowIso, ...(prev.baselineDone ? { lastAlerted: nowIso } : {}) };
      continue;
    }
    const back = before.goneSince !== undefined && nowMs - Date.parse(before.lastSeen) > realertAfterMs;
    if (back && prev.baselineDone) fresh.push(slot);
    seen[slot.id] = {
      start: slot.start,
      firstSeen: before.firstSeen,
      lastSeen: nowIso,
      ...(back && prev.baselineDone ? { lastAlerted: nowIso } : before.lastAlerted === undefined ? {} : { lastAlerted: before.lastAlerted }),
    };
  }
  for (const [id, entry] of Object.entries(prev.seen)) {
    if (present.has(id) || Date.parse(entry.start) < nowMs) continue;
    seen[id] = { ...entry, goneSince: entry.goneSince ?? nowIso };
  }
  return { next: { version: 1, baselineDone: true, seen }, fresh: sortSlots(fresh) };
}

export interface SlotWatcherOptions {
  config: SlotWatcherConfig;
  /** e.g. data/<instance>/slots/<watcher>.json */
  stateFile: string;
  /** The config's zone, used when the watcher names none. */
  timezone?: string;
  /** Built from the config by default. */
  provider?: SlotProvider;
  clock?: Clock;
  logger?: Logger;
  /** For the default provider. */
  timeoutMs?: number;
  retry?: RetryOptions;
}

export interface SlotCheckResult {
  /** To alert; sorted by start. */
  fresh: Slot[];
  /** Every slot matching the filter, sorted by start. */
  all: Slot[];
  /** True for the first check, which records without alerting. */
  baseline: boolean;
  requests: number;
  /**
   * Records this check. Call it once the alerts for `fresh` are durably queued: until then the
   * state is not written, so a crash means the next check alerts them again (at least once, never
   * zero). A check with nothing fresh commits itself. Idempotent; a check overtaken by a later
   * committed one does not overwrite it.
   */
  commit(): Promise<void>;
}

export interface SlotWatcher {
  readonly name: string;
  check(): Promise<SlotCheckResult>;
  /** What `slots check` prints: the current slots, no state change and no alert. */
  peek(): Promise<{ all: Slot[]; requests: number }>;
}

export function createSlotWatcher(opts: SlotWatcherOptions): SlotWatcher {
  const { config, stateFile } = opts;
  const zone = config.timezone ?? opts.timezone ?? DEFAULT_SLOT_TIMEZONE;
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ watcher: config.name });
  const provider =
    opts.provider ??
    createSlotProvider(config, {
      timezone: zone,
      logger,
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.retry === undefined ? {} : { retry: opts.retry }),
    });
  const realert = realertAfterMs(config);
  let committed: SeenState | undefined;
  /** Bumped by every commit, so a late commit of an older check is recognised. */
  let generation = 0;

  async function loadState(): Promise<SeenState> {
    if (committed !== undefined) return committed;
    let text: string;
    try {
      text = await readFile(stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (committed = emptySeenState());
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = seenStateSchema.safeParse(json);
    if (parsed.success) return (committed = parsed.data as SeenState);
    // Alerting every listed slot at once would bury the real news; start over with a baseline.
    logger.error(`slot state ${stateFile} is unreadable; starting a new baseline (no alert this check)`, {
      error: json === undefined ? 'not JSON' : (parsed.error.issues[0]?.message ?? 'invalid'),
    });
    return (committed = emptySeenState());
  }

  async function current(): Promise<{ all: Slot[]; requests: number }> {
    const { slots, requests } = await provider.check(clock.now());
    return { all: sortSlots(applyFilter(slots, config.filter, zone)), requests };
  }

  return {
    name: config.name,
    peek: current,
    async check() {
      const prev = await loadState();
      const base = generation;
      const { all, requests } = await current();
      const { next, fresh } = diffSlots(prev, all, clock.now(), realert);
      const baseline = !prev.baselineDone;
      let done = false;
      const commit = async (): Promise<void> => {
        if (done) return;
        if (generation !== base) {
          logger.debug('a later check was committed first; this one is not written');
          done = true;
          return;
        }
        await writeFileAtomic(stateFile, `${JSON.stringify(next, null, 2)}\n`);
        committed = next;
        generation++;
        done = true;
      };
      if (fresh.length > 0) logger.info(`${fresh.length} new slot(s)`, { first: fresh[0]?.label });
      else {
        logger.debug(baseline ? `baseline: ${all.length} slot(s) recorded` : 'no new slot', { slots: all.length, requests });
        await commit();
      }
      return { fresh, all, baseline, requests, commit };
    },
  };
}
