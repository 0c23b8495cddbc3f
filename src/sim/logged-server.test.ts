import { describe, expect, it } from 'vitest';
import { fakeClock } from '../lib/fake-clock.test-helper.js';
import { startLoggedServer, type SimAnswer } from './logged-server.js';

describe('startLoggedServer', () => {
  it('logs method, path, decoded query, lower-case headers, parsed body and status before answering', async () => {
    const server = await startLoggedServer((c) => ({ status: 201, json: { echo: c.body } }));
    try {
      const res = await fetch(`${server.url}/x/y?a=1&b=%C3%A9`, {
        method: 'PUT',
        headers: { 'X-Mixed-Case': 'V', 'content-type': 'application/json' },
        body: '{"k":2}',
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ echo: { k: 2 } });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]).toMatchObject({ method: 'PUT', path: '/x/y', query: { a: '1', b: 'é' }, body: { k: 2 }, status: 201 });
      expect(server.requests[0]?.headers['x-mixed-case']).toBe('V');
      await (await fetch(`${server.url}/t`, { method: 'POST', body: 'not json' })).text();
      expect(server.requests[1]?.body).toBe('not json');
      await (await fetch(`${server.url}/t`)).text();
      expect(server.requests[2]).not.toHaveProperty('body');
      server.resetLog();
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('answers text and empty bodies with their headers', async () => {
    const server = await startLoggedServer(
      (c): SimAnswer => (c.path === '/text' ? { status: 200, text: 'ok', headers: { 'X-A': '1' } } : { status: 204, empty: true, headers: { 'X-B': '2' } }),
    );
    try {
      const a = await fetch(`${server.url}/text`);
      expect(await a.text()).toBe('ok');
      expect(a.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(a.headers.get('x-a')).toBe('1');
      const b = await fetch(`${server.url}/empty`);
      expect(b.status).toBe(204);
      expect(b.headers.get('x-b')).toBe('2');
    } finally {
      await server.close();
    }
  });

  it('tracks the peak of requests in flight', async () => {
    // Each call is held until the fourth has arrived, so the four overlap whatever the machine's load (a 60 ms
    // latency did not make them overlap once under CI's load: peak 3).
    const held: (() => void)[] = [];
    let gateOpen = false;
    const server = await startLoggedServer(async () => {
      if (!gateOpen) {
        await new Promise<void>((release) => {
          held.push(release);
          if (held.length < 4) return;
          gateOpen = true;
          for (const r of held) r();
        });
      }
      return { status: 200, text: 'ok' };
    });
    try {
      await Promise.all(Array.from({ length: 4 }, () => fetch(server.url).then((r) => r.text())));
      expect(server.maxConcurrent()).toBe(4);
      server.resetLog();
      expect(server.maxConcurrent()).toBe(0);
      await (await fetch(server.url)).text();
      await (await fetch(server.url)).text();
      expect(server.maxConcurrent()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('counts a request in flight while it waits out the latency, before it is logged', async () => {
    const clock = fakeClock();
    const server = await startLoggedServer(() => ({ status: 200, text: 'ok' }), { latencyMs: 60, clock });
    try {
      const answer = fetch(server.url).then((r) => r.text());
      await clock.whenPending();
      expect(server.maxConcurrent()).toBe(1);
      expect(server.requests).toHaveLength(0);
      clock.advance(60);
      expect(await answer).toBe('ok');
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
