import { DEFAULT_LOCALE, translator, type Locale } from '../lib/index.js';
import type { NewAlert } from '../notify/index.js';
import type { RunRecord } from '../instance/index.js';

/**
 * What the last runs were, kept in state.json, so alerts fire on TRANSITIONS (failing → recovered) and
 * never once per run: alert storms are what users of this kind of tool complain about most.
 */
export interface AlertMemory {
  auth: 'ok' | 'failing';
  sync: 'ok' | 'failing';
  guardHeld: boolean;
}

export const initialAlertMemory = (): AlertMemory => ({ auth: 'ok', sync: 'ok', guardHeld: false });

/**
 * Pure: the alerts one finished run deserves, given what came before, and what to remember next; their text in the
 * config's `locale` (the catalogues of lib/locales). A failed run's own error is technical (English, like the codes
 * machines read): it is given as the detail of a sentence in the user's language, never as the message itself.
 */
export function alertsForRun(prev: AlertMemory, record: RunRecord, opts: { locale?: Locale } = {}): { next: AlertMemory; alerts: NewAlert[] } {
  const t = translator(opts.locale ?? DEFAULT_LOCALE);
  const alerts: NewAlert[] = [];
  const next: AlertMemory = { ...prev };
  const instance = record.instance;
  const base = { instance };
  const authFailed = record.outcome === 'failed' && record.authFailed === true;
  const syncFailed = (record.outcome === 'failed' && !authFailed) || record.outcome === 'partial';

  if (authFailed && prev.auth === 'ok') {
    alerts.push({ ...base, kind: 'auth.failed', title: t('alerts.authFailed', { instance }), text: t('alerts.authFailedText') });
  } else if (!authFailed && record.outcome !== 'failed' && prev.auth === 'failing') {
    alerts.push({ ...base, kind: 'auth.recovered', title: t('alerts.authRecovered', { instance }), text: t('alerts.authRecoveredText') });
  }
  // A run that failed for another reason (network) says nothing about the credentials: keep what we knew.
  next.auth = authFailed ? 'failing' : record.outcome === 'failed' ? prev.auth : 'ok';

  if (syncFailed && prev.sync === 'ok') {
    alerts.push({
      ...base,
      kind: 'sync.failed',
      title: t('alerts.syncFailed', { instance, phase: record.phase ?? 'run' }),
      text: t('alerts.syncFailedText', { detail: record.error ?? record.outcome }),
    });
  } else if (record.outcome === 'success' && prev.sync === 'failing') {
    alerts.push({ ...base, kind: 'sync.recovered', title: t('alerts.syncRecovered', { instance }), text: t('alerts.syncRecoveredText') });
  }
  next.sync = syncFailed ? 'failing' : record.outcome === 'success' ? 'ok' : prev.sync;

  const held = record.guard?.held === true;
  if (held && !prev.guardHeld) {
    alerts.push({
      ...base,
      kind: 'deletion.guarded',
      title: t('alerts.guarded', { instance }),
      text: t('alerts.guardedText', { count: record.guard?.withheldDeletes ?? 0 }),
    });
  }
  next.guardHeld = held;

  const c = record.counts;
  if (record.outcome === 'success' && c.created + c.updated + c.deleted + c.adopted > 0) {
    alerts.push({
      ...base,
      kind: 'sync.done',
      title: t('alerts.synced', { instance }),
      text: t('alerts.syncedText', { created: c.created, updated: c.updated, deleted: c.deleted }),
      fields: [
        { name: t('alerts.created'), value: String(c.created) },
        { name: t('alerts.updated'), value: String(c.updated) },
        { name: t('alerts.deleted'), value: String(c.deleted) },
      ],
    });
  }
  return { next, alerts };
}
