/**
 * What the push-service and webhook simulators share: a log of accepted messages and a queue of answers a
 * test injects ahead of the normal ones (a 5xx, a 429 with the service's own rate-limit body and headers).
 */
import { startLoggedServer, type LoggedServer, type SimAnswer, type SimCall, type SimLoggedRequest } from './logged-server.js';

export interface PushSim<M> {
  url: string;
  messages(): M[];
  /** The next n requests get this answer instead of the normal one. */
  inject(n: number, answer: SimAnswer): void;
  requests: SimLoggedRequest[];
  resetLog(): void;
  close(): Promise<void>;
}

export async function startPushSim<M>(route: (call: SimCall, store: (m: M) => void) => SimAnswer): Promise<PushSim<M> & { server: LoggedServer }> {
  const stored: M[] = [];
  const injected: SimAnswer[] = [];
  const server = await startLoggedServer((call) => injected.shift() ?? route(call, (m) => stored.push(m)));
  return {
    server,
    url: server.url,
    messages: () => [...stored],
    inject: (n, answer) => {
      for (let i = 0; i < n; i++) injected.push(answer);
    },
    requests: server.requests,
    resetLog: server.resetLog,
    close: server.close,
  };
}

/** The token of `Authorization: Bearer …`, or user:password of `Basic …`. */
export function credentials(headers: Record<string, string>): { bearer?: string; user?: string; password?: string } {
  const auth = headers.authorization ?? '';
  if (auth.startsWith('Bearer ')) return { bearer: auth.slice(7) };
  if (auth.startsWith('Basic ')) {
    const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
    return { user, password: rest.join(':') };
  }
  return {};
}
