import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/index.js';
import { bookingExtension } from './booking/index.js';
import { createSessions, dashboardExtension } from './dashboard/index.js';
import { onboardExtension } from './onboard/index.js';
import { selfPageExtension, type InstanceManager } from './self/index.js';
import { renderDocsHtml } from './openapi.js';
import { createApiServer, openApiDocumentOf, type ApiServer } from './server.js';
import { captureLogger, tempDirs, type TempDirs } from './test-support.test-helper.js';

let dirs: TempDirs;
let store: Store;
let server: ApiServer;
let doc: {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown; parameters?: { name: string }[] }>>;
  components: { schemas: Record<string, unknown> };
};

beforeAll(async () => {
  dirs = await tempDirs();
  const { logger } = captureLogger();
  store = await openStore({ dataDir: dirs.dataDir, logger });
  // Both pages' extensions too: the document must cover every route the server answers, theirs included.
  const unused = async (): Promise<never> => {
    throw new Error('not called while documenting');
  };
  // The status page and the dashboard's Delete (issue 23).
  const manager: InstanceManager = { pause: unused, resume: unused, restart: unused, checkPassword: unused, testNotifications: unused, deleteInstance: unused };
  server = createApiServer({
    store,
    configDir: dirs.configDir,
    dataDir: dirs.dataDir,
    apiKeys: ['k'],
    logger,
    extensions: [
      dashboardExtension({ actions: { runNow: unused, restart: unused, testNotification: unused }, manager }),
      bookingExtension({ fetchSlots: unused, createBooking: unused, notify: unused, env: {} }),
      onboardExtension({ checks: { moncampus: unused, ecal: unused, notify: unused }, sessions: createSessions(), env: {} }),
      selfPageExtension({ manager, env: {} }),
    ],
  });
  doc = openApiDocumentOf(server.app) as typeof doc;
});

afterAll(async () => {
  await store.close();
  await dirs.cleanup();
});

describe('the generated OpenAPI document', () => {
  it('is valid OpenAPI 3 under a strict validator, with every $ref resolvable', async () => {
    expect(doc.openapi).toBe('3.0.3');
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.split('/').pop() as string);
  });

  it('never puts siblings beside a $ref, and lets nullable answers be null', () => {
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${at}[${i}]`);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if ('$ref' in o) expect(Object.keys(o), at).toEqual(['$ref']);
      for (const [k, v] of Object.entries(o)) walk(v, `${at}.${k}`);
    };
    walk(doc, 'doc');
    const run = doc.components.schemas.Run as { properties: Record<string, { nullable?: boolean }> };
    expect(run.properties.error?.nullable).toBe(true);
    const instance = doc.components.schemas.Instance as { properties: Record<string, { nullable?: boolean }> };
    expect(instance.properties.last_run?.nullable).toBe(true);
  });

  it('documents every route the server answers (method and path), the pages’ routes included, and nothing else', () => {
    const served = new Set(server.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`));
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    expect(documented).toEqual(served);
    for (const route of ['POST /book/{type}/booking', 'POST /book/{type}/availability', 'GET /api/calcom/slots', 'POST /login', 'GET /dashboard/state.json']) {
      expect(documented.has(route), route).toBe(true);
    }
  });

  it('asks for the key on /v1 paths and the dashboard’s JSON only (and the guided form’s owner-or-token JSON)', () => {
    // The guided form's (issue 23): making and revoking an invitation, following a new instance's first sync, an owner's edit.
    const ownerJson = ['/dashboard/invitations', '/onboard/progress/{name}', '/dashboard/invitations/{id}/revoke', '/onboard/edit/{name}'];
    for (const [path, ops] of Object.entries(doc.paths)) {
      const secured = Object.values(ops).some((op) => Boolean((op as { security?: unknown }).security));
      expect(secured, path).toBe(
        path.startsWith('/v1/') || path.startsWith('/dashboard/instances') || path === '/dashboard/state.json' || ownerJson.includes(path),
      );
    }
  });

  it('documents the errors and headers a client meets: 429 on public posts, ETag on feeds', () => {
    const op = (p: string, m: string) =>
      (doc.paths[p] as Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[] }>)[m];
    expect(Object.keys(op('/book/{type}/availability', 'post')?.responses ?? {})).toEqual(expect.arrayContaining(['201', '400', '429']));
    expect(op('/ics/{file}', 'get')?.parameters?.some((p) => p.name === 'if-none-match' && p.in === 'header')).toBe(true);
    expect(Object.keys(op('/ics/{file}', 'get')?.responses ?? {})).toEqual(expect.arrayContaining(['200', '304', '404']));
  });

  it('documents the seed parameters of /v1/messages from the schemas that check them', () => {
    const names = doc.paths['/v1/messages']?.get?.parameters?.map((p) => p.name);
    expect(names?.sort()).toEqual(['channel_id', 'cursor', 'from', 'guild_id', 'include_deleted', 'limit', 'to']);
  });
});

describe('renderDocsHtml', () => {
  it('renders every operation and schema, escaping text', () => {
    const html = renderDocsHtml({ ...doc, info: { title: 'A <b>title</b>', version: '1', description: 'uses `code` & more' } });
    expect(html).toContain('A &lt;b&gt;title&lt;/b&gt;');
    expect(html).toContain('uses <code>code</code> &amp; more');
    expect(html).toContain('<code>/v1/messages/{message_id}</code>');
    expect(html).toContain('id="schema-MessageDetail"');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
