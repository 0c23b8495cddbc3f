import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { webAssets } from '../assets.js';
import { renderDashboardPage } from './render.js';
import type { DashboardState } from './state.js';

/** What the browser runs (the bundle) and what was written (the source, for the ids it names). */
const bundle = webAssets().get('dashboard/app.js').body.toString('utf8');
const source = readFileSync(new URL('./browser/app.ts', import.meta.url), 'utf8');
const css = webAssets().get('dashboard/app.css').body.toString('utf8');

const EMPTY: DashboardState = {
  generatedAt: '2025-05-26T08:00:00.000Z',
  supervisor: { running: false, heartbeatAt: null, runtime: null, runtimeError: null },
  instances: [],
  discord: [],
  discordGateway: null,
  discordMessages: [],
};

describe('the dashboard script', () => {
  it('is one valid classic script (no import left) that polls this server only', () => {
    expect(() => new Script(bundle)).not.toThrow();
    expect(bundle).not.toMatch(/\bimport\b|\brequire\(|https?:\/\//);
    expect(bundle).toContain('/dashboard/state.json');
  });

  it('only looks up elements the page has', () => {
    const page = renderDashboardPage(EMPTY, 'fr');
    const used = [...source.matchAll(/getElementById\('([^']+)'\)/g)].map((m) => m[1] as string);
    expect(used).toEqual(['cards', 'summary', 'updated', 'live-status']);
    for (const id of used) expect(page).toContain(`id="${id}"`);
  });
});

describe('the dashboard stylesheet', () => {
  it('colours every state badge and keeps its dark scheme', () => {
    for (const state of ['running', 'failing', 'never-synced', 'starting', 'stopped', 'crash-looping', 'invalid', 'missing', 'unknown'])
      expect(css, state).toContain(`.st-${state}`);
    expect(css).toMatch(/@media ?\(prefers-color-scheme: ?dark\)\{:root\{--bg: ?#14171b/);
  });
});
