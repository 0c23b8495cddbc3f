import { isValidInstanceName } from '../../config/index.js';
import { verifyInstanceToken } from '../../invite/index.js';
import { translator } from '../../lib/index.js';
import { buildDashboardState, type InstanceView } from '../dashboard/state.js';
import { icsFeedUrl } from '../ics.js';
import { pageLocale } from '../lang.js';
import type { ApiRequest, ApiResponse } from '../router.js';
import { json, tooMany, type OnboardContext } from './context.js';
import { qrDataUrl } from './qr.js';

/**
 * After Save (issue 23): the page follows the supervisor starting the worker and the first sync, from the same
 * state the dashboard reads (dashboard/state.ts: the supervisor's heartbeat, the worker's file, the imported runs),
 * and ends with the feed link and its QR code. The owner reads any instance; an invitee only their own, with the
 * status token Save gave them (`x-instance-token`).
 */

export const INSTANCE_TOKEN_HEADER = 'x-instance-token';

/** The states in which a worker process exists and has said so. */
const WORKER_UP: ReadonlySet<InstanceView['state']> = new Set(['running', 'failing', 'never-synced']);

export interface Progress {
  state: string;
  worker: boolean;
  synced: boolean;
  message: string;
}

/** Pure: what the page shows for an instance's view (undefined: the supervisor has not read its config yet). */
export function describeProgress(view: InstanceView | undefined, t: (k: string, v?: Record<string, unknown>) => string, since?: Date): Progress {
  if (view && since) return describeSince(view, t, since);
  if (!view) return { state: 'waiting', worker: false, synced: false, message: t('onboard.progress.waitingConfig') };
  const synced = view.lastRun !== null && view.lastRun.outcome !== 'failed';
  const worker = WORKER_UP.has(view.state) || view.syncing || view.lastRun !== null;
  if (view.state === 'invalid') return { state: view.state, worker: false, synced: false, message: view.configError ?? t('onboard.progress.failed') };
  if (view.lastRun?.outcome === 'failed' || view.state === 'crash-looping')
    return { state: view.state, worker, synced: false, message: t('onboard.progress.syncFailed', { reason: view.stateReason ?? view.lastRun?.error ?? '' }) };
  if (synced) return { state: view.state, worker, synced, message: t('onboard.progress.synced', { count: view.lastRun?.courses ?? 0 }) };
  if (view.syncing) return { state: view.state, worker, synced, message: t('onboard.progress.syncing') };
  if (worker) return { state: view.state, worker, synced, message: t('onboard.progress.started') };
  return { state: view.state, worker, synced, message: t('onboard.progress.starting') };
}

/**
 * After an edit: only runs started since the save count (the worker restarts with the new file and syncs again);
 * the earlier ones are the old settings' runs.
 */
function describeSince(view: InstanceView, t: (k: string, v?: Record<string, unknown>) => string, since: Date): Progress {
  const fresh = view.lastRun !== null && Date.parse(view.lastRun.startedAt) >= since.getTime() ? view.lastRun : null;
  const p = describeProgress({ ...view, lastRun: fresh }, t);
  return p.synced ? { ...p, message: t('onboardEdit.progress.synced', { count: fresh?.courses ?? 0 }) } : p;
}

/** The `since` query parameter (an edit's save time), or undefined when absent or not a date. */
function sinceOf(req: ApiRequest): Date | undefined {
  const raw = req.query.get('since');
  const ms = raw === null ? Number.NaN : Date.parse(raw);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export async function progressOf(c: OnboardContext, req: ApiRequest): Promise<ApiResponse> {
  const { locale } = pageLocale(req.headers);
  const t = translator(locale);
  const name = req.params.name ?? '';
  const spend = c.budgets.polls.take(req.client);
  if (!spend.ok) return tooMany(spend.retryAfterS, locale);
  const owner = c.guard.owner(req.headers, c.ctx.clock.now());
  const given = req.headers[INSTANCE_TOKEN_HEADER];
  const token = Array.isArray(given) ? given[0] : given;
  // The same answer for a bad name, another instance's token and no token: nothing says which instances exist.
  const allowed =
    isValidInstanceName(name) && (owner !== null || (token !== undefined && (await verifyInstanceToken({ dataDir: c.ctx.dataDir }, name, token))));
  if (!allowed) return json(401, { error: t('onboard.errors.progressKey') });
  const state = await buildDashboardState({ store: c.ctx.store, dataDir: c.ctx.dataDir, clock: c.ctx.clock, configs: c.configs });
  const view = state.instances.find((i) => i.name === name);
  const progress = describeProgress(view, t, sinceOf(req));
  const entry = (await c.configs()).entries.find((e) => e.name === name);
  const feed = entry && 'config' in entry && entry.config.ics.enabled && entry.config.moncampus !== undefined;
  if (!progress.synced || !feed) return json(200, progress);
  const feedUrl = await icsFeedUrl(c.baseUrl(req), c.ctx.dataDir, name);
  return json(200, { ...progress, feedUrl, qr: await qrDataUrl(feedUrl) });
}
