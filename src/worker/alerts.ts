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

/** Pure: the alerts one finished run deserves, given what came before, and what to remember next. */
export function alertsForRun(prev: AlertMemory, record: RunRecord): { next: AlertMemory; alerts: NewAlert[] } {
  const alerts: NewAlert[] = [];
  const next: AlertMemory = { ...prev };
  const base = { instance: record.instance };
  const authFailed = record.outcome === 'failed' && record.authFailed === true;
  const syncFailed = (record.outcome === 'failed' && !authFailed) || record.outcome === 'partial';

  if (authFailed && prev.auth === 'ok') {
    alerts.push({ ...base, kind: 'auth.failed', title: `${record.instance}: login refused`, text: `${record.error ?? 'the login was refused'}. Nothing is synced until the credentials are fixed.` });
  } else if (!authFailed && record.outcome !== 'failed' && prev.auth === 'failing') {
    alerts.push({ ...base, kind: 'auth.recovered', title: `${record.instance}: login works again`, text: 'The credentials are accepted again; syncing resumed.' });
  }
  // A run that failed for another reason (network) says nothing about the credentials: keep what we knew.
  next.auth = authFailed ? 'failing' : record.outcome === 'failed' ? prev.auth : 'ok';

  if (syncFailed && prev.sync === 'ok') {
    alerts.push({ ...base, kind: 'sync.failed', title: `${record.instance}: sync failed (${record.phase ?? 'run'})`, text: record.error ?? 'the run failed' });
  } else if (record.outcome === 'success' && prev.sync === 'failing') {
    alerts.push({ ...base, kind: 'sync.recovered', title: `${record.instance}: sync works again`, text: 'The last run succeeded.' });
  }
  next.sync = syncFailed ? 'failing' : record.outcome === 'success' ? 'ok' : prev.sync;

  const held = record.guard?.held === true;
  if (held && !prev.guardHeld) {
    alerts.push({ ...base, kind: 'deletion.guarded', title: `${record.instance}: deletions held back`, text: record.guard?.reason ?? 'the mass-deletion guard held back deletions' });
  }
  next.guardHeld = held;

  const c = record.counts;
  if (record.outcome === 'success' && c.created + c.updated + c.deleted + c.adopted > 0) {
    alerts.push({
      ...base,
      kind: 'sync.done',
      title: `${record.instance}: timetable synced`,
      text: `${c.created} created, ${c.updated} updated, ${c.deleted} deleted`,
      fields: [
        { name: 'created', value: String(c.created) },
        { name: 'updated', value: String(c.updated) },
        { name: 'deleted', value: String(c.deleted) },
      ],
    });
  }
  return { next, alerts };
}
