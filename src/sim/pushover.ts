/**
 * Pushover's message API as pushover.net/api documents it: POST /1/messages.json with token, user, message
 * (at most 1024 characters), title (250), priority -2..2 (2 needs retry >= 30 and expire <= 10800), device,
 * sound; 200 `{status:1,request}`; 4xx `{status:0,errors:[…],request}` (an unknown token or user is 400);
 * 429 once the application's monthly limit is spent ("Limitations").
 */
import { randomUUID } from 'node:crypto';
import { startPushSim, type PushSim } from './push-common.js';

export interface PushoverMessage {
  token: string;
  user: string;
  title?: string;
  message: string;
  priority?: number;
  sound?: string;
  device?: string;
}

export type PushoverSim = PushSim<PushoverMessage> & { register(token: string, user: string): void; quotaSpentNext(n: number): void };

export async function startPushoverSim(): Promise<PushoverSim> {
  const apps = new Map<string, string>();
  const refuse = (status: number, ...errors: string[]) => ({ status, json: { status: 0, errors, request: randomUUID() } });
  const sim = await startPushSim<PushoverMessage>((c, store) => {
    if (c.method !== 'POST' || c.path !== '/1/messages.json') return refuse(404, 'not found');
    const b = (typeof c.body === 'object' && c.body !== null ? c.body : Object.fromEntries(new URLSearchParams(c.rawBody))) as Record<string, unknown>;
    const token = String(b.token ?? '');
    const user = String(b.user ?? '');
    if (!apps.has(token)) return refuse(400, 'application token is invalid');
    if (apps.get(token) !== user) return refuse(400, 'user identifier is not a valid user, group, or subscribed user key');
    const message = String(b.message ?? '');
    if (message === '') return refuse(400, 'message cannot be blank');
    if (message.length > 1024) return refuse(400, 'message is too long');
    if (String(b.title ?? '').length > 250) return refuse(400, 'title is too long');
    const priority = b.priority === undefined ? undefined : Number(b.priority);
    if (priority === 2 && !(Number(b.retry) >= 30 && Number(b.expire) <= 10800)) return refuse(400, 'retry and expire are required for emergency priority');
    store({
      token,
      user,
      message,
      title: b.title as string | undefined,
      priority,
      sound: b.sound as string | undefined,
      device: b.device as string | undefined,
    });
    return { status: 200, json: { status: 1, request: randomUUID() } };
  });
  return {
    ...sim,
    register: (token, user) => apps.set(token, user),
    quotaSpentNext: (n) => sim.inject(n, refuse(429, 'application has exceeded its monthly message limit')),
  };
}
