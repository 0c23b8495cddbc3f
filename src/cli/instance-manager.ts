import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { checkMonCampus } from '../agenda/index.js';
import type { DeleteOutcome, InstanceManager, ManageResult } from '../api/self/index.js';
import {
  configFileFor,
  configHostsPolicy,
  deleteConfig,
  isValidInstanceName,
  loadConfigFile,
  readConfigState,
  resolveWindow,
  type InstanceConfig,
} from '../config/index.js';
import { createEcalClient, removeOwnEvents } from '../ecal/index.js';
import { clearStoppedOnPurpose } from '../instance/index.js';
import { removeInstanceToken } from '../invite/index.js';
import { describeError, makeRedactor, systemClock, translator, type Clock, type Locale } from '../lib/index.js';
import { sendTestMessages, testAlert } from '../notify/index.js';
import { readSyncedEvents } from '../worker/index.js';
import { askSupervisor, supervisorFailure } from './ask-supervisor.js';

/**
 * The status page's and the dashboard's instance actions (api/self/manager.ts), done here where agenda, ecal,
 * notify and the supervisor's control socket may be reached. Pause and resume go through the running
 * supervisor, as `campus-sync stop|start <name>` do; the checks run in this process with the config's own hosts.
 */

export interface InstanceManagerOptions {
  configDir: string;
  dataDir: string;
  /** For `${VAR}` in configs (default process.env). */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/** YYYY-MM-DD in `zone`. */
const day = (iso: string, zone: string): string => DateTime.fromISO(iso, { setZone: true }).setZone(zone).toISODate() ?? iso.slice(0, 10);

/**
 * The days to list in ECAL for an instance's own events: its sync window today, widened to every event the last
 * run recorded (data/<name>/events.json), so classes synced under an older window go too.
 */
export async function ownEventDays(config: InstanceConfig, dir: string, now: Date): Promise<{ from: string; to: string } | null> {
  if (!config.moncampus) return null;
  const window = resolveWindow(config.moncampus.window, config.timezone, now);
  // The window's end is exclusive (local midnight): its last day is the one before.
  const days = [day(window.from, config.timezone), DateTime.fromISO(day(window.to, config.timezone)).minus({ days: 1 }).toISODate() ?? ''];
  for (const e of await readSyncedEvents(dir)) days.push(day(e.start, config.timezone));
  days.sort();
  return { from: days[0] as string, to: days[days.length - 1] as string };
}

export function createInstanceManager(opts: InstanceManagerOptions): InstanceManager {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  const check = (name: string): void => {
    if (!isValidInstanceName(name)) throw new Error(`"${name}" is not an instance name`);
  };
  const load = async (name: string): Promise<InstanceConfig> => loadConfigFile(await configFileFor(opts.configDir, name), { env });

  const lifecycle = async (name: string, verb: 'stop' | 'start' | 'restart', locale: Locale): Promise<ManageResult> => {
    check(name);
    const t = translator(locale);
    const answer = await askSupervisor(opts.dataDir, `/workers/${name}/${verb}`);
    if (answer.kind === 'ok') return { ok: true, message: t(verb === 'stop' ? 'self.result.paused' : 'self.result.resumed') };
    // The supervisor restarts a worker whose config changed; one whose password moved into its file needs asking.
    if (answer.kind === 'no-supervisor') return { ok: false, message: t('self.result.noSupervisor') };
    if (answer.kind === 'no-worker') return { ok: false, message: t('self.result.noWorker') };
    return { ok: false, message: t('self.result.failed', { error: supervisorFailure(answer) ?? answer.kind }) };
  };

  return {
    pause: (name, locale) => lifecycle(name, 'stop', locale),
    resume: (name, locale) => lifecycle(name, 'start', locale),
    restart: (name, locale) => lifecycle(name, 'restart', locale),

    async checkPassword(name, password, locale) {
      check(name);
      const config = await load(name);
      if (!config.moncampus) return { ok: false, reason: 'no-timetable', message: translator(locale)('self.password.noTimetable') };
      const m = config.moncampus;
      // The hosts are the config's (written by the owner, or by an invitation under its host policy): the status
      // page's visitor types a password, never a URL, and the redirects the servers answer stay on those hosts.
      const policy = configHostsPolicy(m, env);
      return checkMonCampus({ url: m.url, casUrl: m.casUrl, username: m.username, password, locale, timezone: config.timezone, now: clock.now(), policy });
    },

    async testNotifications(name, locale) {
      check(name);
      const t = translator(locale);
      const config = await load(name);
      if (config.notify.length === 0) return { ok: false, message: t('self.notify.none') };
      const results = await sendTestMessages({ channels: config.notify, alert: testAlert(name, config.locale), secrets: config.secrets, locale });
      const sent = results.filter((r) => r.ok).length;
      return { ok: sent === results.length, message: t('self.notify.sent', { sent, count: results.length }), details: results.map((r) => r.message) };
    },

    deleteInstance: (name, choices, locale) => deleteInstance({ ...opts, env, clock }, name, choices, locale),
  };
}

const nothingRemoved = (message: string): DeleteOutcome => ({ ok: false, message, configRemoved: false, dataRemoved: false, ecalDeleted: 0 });

/**
 * The one delete core. Order: stop the worker (it must not sync while its events go), remove its ECAL events when
 * asked, then the config (the supervisor forgets the worker), the status-page token, and the data when asked.
 * Any step that fails stops there with the config still in place: nothing is lost, the owner can try again.
 */
async function deleteInstance(
  o: Required<InstanceManagerOptions>,
  name: string,
  choices: { alsoData: boolean; ecalEvents: boolean },
  locale: Locale,
): Promise<DeleteOutcome> {
  if (!isValidInstanceName(name)) throw new Error(`"${name}" is not an instance name`);
  const t = translator(locale);
  const file = await configFileFor(o.configDir, name);
  const before = await readConfigState(file);
  if (before.hash === null) return nothingRemoved(t('self.delete.notFound', { name }));
  let config: InstanceConfig | null = null;
  let loadError = '';
  try {
    config = await loadConfigFile(file, { env: o.env });
  } catch (err) {
    loadError = describeError(err);
  }
  if (choices.ecalEvents && !config) return nothingRemoved(t('self.delete.cannotReadForEcal', { error: loadError }));

  const stopped = await askSupervisor(o.dataDir, `/workers/${name}/stop`);
  const stopFailure = supervisorFailure(stopped);
  if (stopFailure !== null) return nothingRemoved(t('self.delete.stopFailed', { error: stopFailure }));

  const dir = join(o.dataDir, name);
  const details: string[] = [];
  let ecalDeleted = 0;
  if (choices.ecalEvents && config?.ecal) {
    const days = await ownEventDays(config, dir, o.clock.now());
    if (days) {
      const redact = makeRedactor(config.secrets);
      try {
        const client = createEcalClient({ url: config.ecal.url, apiKey: config.ecal.apiKey, apiSecret: config.ecal.apiSecret });
        const removed = await removeOwnEvents({ client, instance: name, calendarId: config.ecal.calendarId, ...days });
        ecalDeleted = removed.deleted;
        if (removed.failed.length > 0) {
          return { ...nothingRemoved(t('self.delete.ecalPartly', { deleted: removed.deleted, failed: removed.failed.length })), ecalDeleted };
        }
      } catch (err) {
        return nothingRemoved(t('self.delete.ecalFailed', { error: redact(describeError(err)) }));
      }
    }
    details.push(t('self.delete.ecalDeleted', { count: ecalDeleted }));
  } else if (choices.ecalEvents) {
    details.push(t('self.delete.noEcal'));
  }

  const removed = await deleteConfig({ file, expectedHash: before.hash });
  if (removed.kind !== 'deleted') return { ...nothingRemoved(t('self.delete.changedMeanwhile')), ecalDeleted };
  await removeInstanceToken({ dataDir: o.dataDir }, name);
  // The supervisor forgets the worker now rather than at its next look at the folder.
  await askSupervisor(o.dataDir, '/reconcile');
  if (choices.alsoData) await rm(dir, { recursive: true, force: true });
  // Kept data: a config made again under this name starts normally, not "stopped on purpose".
  else await clearStoppedOnPurpose(dir).catch(() => undefined);
  const message = t(choices.alsoData ? 'self.delete.doneWithData' : 'self.delete.doneDataKept', { name });
  return { ok: true, message, details, configRemoved: true, dataRemoved: choices.alsoData, ecalDeleted };
}
