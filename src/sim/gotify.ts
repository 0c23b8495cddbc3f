/**
 * A Gotify server's message endpoint as gotify.net/api-docs describes it: POST /message with an application
 * token (X-Gotify-Key header or ?token=), body {title, message, priority, extras}; 200 with the stored
 * message; an unknown token 401 `{"error":"Unauthorized","errorCode":401,"errorDescription":"…"}`; a message
 * without `message` 400. Gotify itself has no rate limit; a proxy in front of it may answer 429.
 */
import { startPushSim, type PushSim } from './push-common.js';

export interface GotifyMessage {
  appToken: string;
  title?: string;
  message: string;
  priority?: number;
  extras?: unknown;
}

export type GotifySim = PushSim<GotifyMessage> & { createApp(): string };

export async function startGotifySim(): Promise<GotifySim> {
  const apps = new Set<string>();
  let next = 1;
  const sim = await startPushSim<GotifyMessage>((c, store) => {
    if (c.method !== 'POST' || !c.path.endsWith('/message')) return { status: 404, json: { error: 'Not Found', errorCode: 404 } };
    const token = c.headers['x-gotify-key'] ?? c.query.token ?? '';
    if (!apps.has(token)) {
      return {
        status: 401,
        json: { error: 'Unauthorized', errorCode: 401, errorDescription: 'you need to provide a valid access token or user credentials to access this api' },
      };
    }
    const b = (c.body ?? {}) as Partial<GotifyMessage>;
    if (typeof b.message !== 'string' || b.message === '') {
      return { status: 400, json: { error: 'Bad Request', errorCode: 400, errorDescription: "Field 'message' is required" } };
    }
    const m: GotifyMessage = { appToken: token, message: b.message, title: b.title, priority: b.priority, extras: b.extras };
    store(m);
    return { status: 200, json: { id: next++, appid: 1, ...m, date: new Date().toISOString() } };
  });
  return {
    ...sim,
    createApp: () => {
      const token = `A${Math.random().toString(36).slice(2, 14)}`;
      apps.add(token);
      return token;
    },
  };
}
