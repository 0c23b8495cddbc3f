import { describe, expect, it } from 'vitest';
import { assetPath } from '../assets.js';
import { actionsFor, renderCardActions, renderCardLive, renderDashboardPage, renderFragments, renderLoginPage, renderSummary } from './render.js';
import type { DashboardState, InstanceView } from './state.js';

const NOW = '2025-03-20T09:00:00.000Z';

const instance = (over: Partial<InstanceView> = {}): InstanceView => ({
  name: 'alice',
  state: 'running',
  stateSource: 'supervisor',
  timezone: 'Europe/Paris',
  schedule: '46 6-18 * * *',
  timetable: true,
  channels: ['discord'],
  syncing: false,
  restartCount: 0,
  lastRun: {
    startedAt: '2025-03-20T07:46:00.000Z',
    finishedAt: '2025-03-20T07:46:03.000Z',
    durationMs: 3200,
    outcome: 'success',
    courses: 42,
    created: 3,
    updated: 1,
    deleted: 2,
    phase: null,
    error: null,
    adopted: 0,
    failed: 0,
  },
  nextRun: '2025-03-20T09:46:00.000Z',
  errors: [{ at: '2025-03-20T08:30:00.000Z', phase: 'push', code: 'push.failed', message: 'ECAL answered 503' }],
  upcoming: [
    { title: 'Réseaux', start: '2025-03-20T08:30:00.000Z', end: '2025-03-20T10:00:00.000Z' },
    { title: 'Droit <b>du</b> numérique', start: '2025-03-21T07:30:00.000Z', end: '2025-03-21T09:00:00.000Z' },
  ],
  upcomingMore: 0,
  watchers: [
    {
      name: 'consulat',
      provider: 'clicrdv',
      timezone: 'Europe/Paris',
      slots: [{ start: '2025-03-24T08:30:00.000Z' }],
      slotCount: 1,
      checkedAt: '2025-03-20T08:58:00.000Z',
      lastAlertAt: null,
    },
  ],
  runs: [],
  lastChanges: [],
  lastAlerts: [],
  ...over,
});

const state = (
  instances: InstanceView[],
  discord: DashboardState['discord'] = [],
  live: Partial<Pick<DashboardState, 'discordGateway' | 'discordMessages'>> = {},
): DashboardState => ({
  generatedAt: NOW,
  supervisor: { running: true, runtime: 'process', heartbeatAt: '2025-03-20T08:59:50.000Z', runtimeError: null },
  instances,
  discord,
  discordGateway: live.discordGateway ?? null,
  discordMessages: live.discordMessages ?? [],
});

describe('the dashboard page', () => {
  it('shows a card with the state, the last run, the next run, classes by day, slots and errors in French time', () => {
    const now = new Date(NOW);
    const html = renderCardLive(instance(), now, 'fr');
    expect(html).toContain('<span class="badge st-running">en marche</span>');
    expect(html).toContain(
      '<time datetime="2025-03-20T07:46:03.000Z">jeu. 20 mars 08:46</time> <span class="badge outcome-ok">réussie</span> <span class="muted">en 3,2 s</span>',
    );
    expect(html).toContain('42 événements dans l’emploi du temps');
    expect(html).toContain('<span class="c-created">+3</span> <span class="c-updated">~1</span> <span class="c-deleted">−2</span>');
    expect(html).toContain('jeu. 20 mars 10:46'); // next run
    expect(html).toContain('<span class="day">jeu. 20 mars</span>');
    expect(html).toContain('<span class="hours">09:30–11:00</span> <span class="title">Réseaux <span class="now">en cours</span></span>');
    expect(html).toContain('<span class="day">ven. 21 mars</span>');
    expect(html).toContain('Droit &lt;b&gt;du&lt;/b&gt; numérique');
    expect(html).toContain('lun. 24 mars 09:30');
    expect(html).toContain('dernière alerte jamais');
    expect(html).toContain('<span class="phase">push</span> <span class="msg" data-code="push.failed">ECAL answered 503</span>');
    expect(html).not.toContain('sur le nœud');
  });

  it('names the Swarm node a worker runs on (swarm runtime)', () => {
    const html = renderCardLive(instance({ node: 'pi-<2>' }), new Date(NOW), 'fr');
    expect(html).toContain('sur le nœud <strong>pi-&lt;2&gt;</strong>');
    expect(renderCardLive(instance({ node: 'pi-<2>' }), new Date(NOW), 'en')).toContain('on node <strong>pi-&lt;2&gt;</strong>');
  });

  it('an invalid config shows its error and gets no buttons; a slot watcher gets no "run now"', () => {
    const bad = instance({ state: 'invalid', stateSource: 'config', configError: 'broken.yml: colour: unknown key', timetable: false, channels: [] });
    const html = renderCardLive(bad, new Date(NOW), 'fr');
    expect(html).toContain('configuration invalide');
    expect(html).toContain('broken.yml: colour: unknown key');
    const said = { ...bad, configErrorIn: { fr: 'broken.yml: colour: clé inconnue', en: 'broken.yml: colour: unknown key' } };
    expect(renderCardLive(said, new Date(NOW), 'fr')).toContain('broken.yml: colour: clé inconnue');
    expect(renderCardLive(said, new Date(NOW), 'en')).toContain('broken.yml: colour: unknown key');
    // No button; only the way to Delete it (its own confirmation page).
    expect(renderCardActions(bad, 'fr')).not.toContain('<button');
    expect(renderCardActions(bad, 'fr')).toContain('href="/dashboard/delete/alice"');
    expect(actionsFor(instance({ timetable: false, channels: [] }))).toEqual(['restart']);
    expect(actionsFor(instance())).toEqual(['run', 'restart', 'test-notification']);
    expect(renderCardActions(instance(), 'fr')).toContain('data-action="run"');
    expect(renderCardActions(instance(), 'fr')).toContain('aria-label="Synchroniser: alice"');
    expect(renderCardActions(instance(), 'en')).toContain('aria-label="Run now: alice"');
  });

  it('the whole page has every card, the logout form and our own script and styles only', () => {
    const html = renderDashboardPage(state([instance(), instance({ name: 'bob', state: 'stopped' })]), 'fr');
    expect(html).toMatch(/^<!doctype html>/);
    // The bundle's hashed names (src/api/assets.ts): a new build is a new URL, so browsers may cache them for good.
    expect(assetPath('dashboard/app.js')).toMatch(/^\/dashboard\/app\.[0-9a-f]{16}\.js$/);
    expect(html).toContain(`<script src="${assetPath('dashboard/app.js')}" defer></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${assetPath('dashboard/app.css')}">`);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/);
    expect(html.match(/<article class="card"/g)).toHaveLength(2);
    expect(html).toContain('<form method="post" action="/logout"');
    expect(html).toContain('Superviseur actif (runtime process)');
    expect(html).toContain('2 instances : 1 en marche · 1 arrêté');
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('<a href="/?lang=en" lang="en" hreflang="en" class="lang-link">English</a>');
    const en = renderDashboardPage(state([instance(), instance({ name: 'bob', state: 'stopped' })]), 'en');
    expect(en).toContain('<html lang="en">');
    expect(en).toContain('2 instances: 1 running · 1 stopped');
    expect(en).toContain('>Français</a>');
  });

  it('fragments carry a digest that changes only with their content', () => {
    const a = renderFragments(state([instance()]), 'fr');
    const b = renderFragments(state([instance()]), 'fr');
    const c = renderFragments(state([instance({ lastRun: { ...instance().lastRun!, created: 9 } })]), 'fr');
    expect(a.cards[0]?.live.v).toBe(b.cards[0]?.live.v);
    expect(c.cards[0]?.live.v).not.toBe(a.cards[0]?.live.v);
    expect(c.cards[0]?.actions.v).toBe(a.cards[0]?.actions.v);
  });

  it('the login page posts the key to /login and says why it failed', () => {
    const html = renderLoginPage({ error: 'That key is not accepted.', locale: 'en' });
    expect(html).toContain('<form method="post" action="/login">');
    expect(html).toContain('type="password"');
    expect(html).toContain('role="alert">That key is not accepted.');
    expect(html).not.toContain('<script');
  });

  it('the login page says where the generated key is (issue 15: a first visit asked for a key nobody gave)', () => {
    const html = renderLoginPage({ locale: 'en' });
    expect(html).toContain('<code>./campus-sync api-key</code>');
    expect(html).toContain('<code>data/.supervisor/api-key</code>');
    expect(html).toContain('<code>docker logs campus-sync-supervisor</code>');
  });
});

describe('Discord reading in the summary', () => {
  it('says which permission or intent a channel lacks, escaped, and one line when all is well', () => {
    const failing = renderSummary(
      state(
        [],
        [
          { channelId: '222', ok: false, problem: 'the bot lacks Read Message History <in> channel 222', at: NOW },
          { channelId: '333', ok: true, problem: null, at: NOW },
        ],
      ),
      'en',
    );
    expect(failing).toContain('Discord channel <code>222</code>: the bot lacks Read Message History &lt;in&gt; channel 222');
    expect(failing).not.toContain('333');
    expect(renderSummary(state([], [{ channelId: '333', ok: true, problem: null, at: NOW }]), 'en')).toContain('Discord: one channel read');
    expect(renderSummary(state([], [{ channelId: '333', ok: true, problem: null, at: NOW }]), 'fr')).toContain('Discord : un salon lu');
    expect(renderSummary(state([]), 'fr')).not.toContain('Discord');
  });
});

describe('last changes and last alerts on a card', () => {
  const moved = {
    at: '2025-03-20T08:00:00.000Z',
    more: 0,
    changes: [
      {
        kind: 'moved' as const,
        before: { title: 'Réseaux', start: '2025-03-21T07:30:00.000Z', end: '2025-03-21T09:00:00.000Z', room: 'B12', teacher: null },
        after: { title: 'Réseaux', start: '2025-03-21T09:45:00.000Z', end: '2025-03-21T11:15:00.000Z', room: 'B12', teacher: null },
        urgent: false,
      },
    ],
  };
  it('says each announced change as the alert did, in the page language and the instance zone', () => {
    const html = renderCardLive(instance({ lastChanges: [moved] }), new Date(NOW), 'fr');
    expect(html).toContain('Derniers changements d’horaires');
    expect(html).toContain('Réseaux déplacé : ven. 21 mars 08:30–10:00 → 10:45–12:15');
    expect(renderCardLive(instance({ lastChanges: [moved] }), new Date(NOW), 'en')).toContain('Réseaux moved: Fri 21 Mar 08:30–10:00 → 10:45–12:15');
    expect(renderCardLive(instance(), new Date(NOW), 'fr')).toContain('Aucun changement annoncé');
  });
  it('lists the last alerts with whether they reached their channels, escaped', () => {
    const html = renderCardLive(
      instance({
        lastAlerts: [
          { at: '2025-03-20T08:00:00.000Z', kind: 'timetable.changed', severity: 'info', title: 'alice : un cours <change>', delivery: 'delivered' },
        ],
      }),
      new Date(NOW),
      'fr',
    );
    expect(html).toContain('Dernières alertes');
    expect(html).toContain('<span class="pill delivery-delivered">envoyée</span> <span class="msg">alice : un cours &lt;change&gt;</span>');
  });

  it('shows the live Gateway state (a stop with its reason), the newest messages escaped, and polls every second while live', () => {
    const gateway = { status: 'connected' as const, since: NOW, reason: null, fatal: false, lastEventAt: NOW, lagMs: 42 };
    const messages = [{ channelId: '333', author: 'alice', content: 'Cours <annulé>', createdAt: NOW, edited: true }];
    const live = renderSummary(state([], [], { discordGateway: gateway, discordMessages: messages }), 'en');
    expect(live).toContain('Discord live: connected');
    expect(live).toContain('lag 42 ms');
    expect(live).toContain('<strong>alice</strong>: Cours &lt;annulé&gt; <span class="muted">(edited)</span>');
    const stopped = renderSummary(
      state([], [], {
        discordGateway: { ...gateway, status: 'stopped', fatal: true, reason: 'Discord refused the privileged Message Content intent (gateway close 4014)' },
      }),
      'en',
    );
    expect(stopped).toContain('Discord live: stopped: Discord refused the privileged Message Content intent (gateway close 4014)');
    const livePage = renderDashboardPage(state([], [], { discordGateway: gateway }), 'en');
    expect(livePage).toContain('data-poll-ms="1000"');
    // The script's own words (data-words) say the interval it really polls at, not the idle 5 s.
    expect(livePage).toContain('&quot;live&quot;:&quot;Live: refreshed every 1 s&quot;');
    expect(livePage).not.toContain('every 5 s');
    const idlePage = renderDashboardPage(state([]), 'en');
    expect(idlePage).toContain('data-poll-ms="5000"');
    expect(idlePage).toContain('&quot;live&quot;:&quot;Live: refreshed every 5 s&quot;');
  });
});
