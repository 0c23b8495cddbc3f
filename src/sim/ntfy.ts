/**
 * An ntfy server as docs.ntfy.sh describes it: publishing as JSON to the root URL (docs.ntfy.sh/publish/
 * #publish-as-json: topic, message, title, tags, priority 1-5, click, attach…), answered 200 with the message
 * (`{id, time, event:"message", topic, …}`); access control (docs.ntfy.sh/config/#access-control): a protected
 * topic answers 401/403 `{"code":40101,"http":401,"error":"unauthorized"}` without basic auth or a Bearer token;
 * over the visitor limit, 429 `{"code":42901,"http":429,"error":"limit reached: too many requests"}`
 * (docs.ntfy.sh/config/#rate-limiting).
 */
import { randomBytes } from 'node:crypto';
import { credentials, startPushSim, type PushSim } from './push-common.js';

export interface NtfyMessage {
  topic: string;
  title?: string;
  message: string;
  priority?: number;
  tags?: string[];
  click?: string;
  attach?: string;
  markdown?: boolean;
}

export interface NtfySimOptions {
  /** Topics that need credentials: a user:password or a token. */
  protected?: Record<string, { user?: string; password?: string; token?: string }>;
}

export type NtfySim = PushSim<NtfyMessage> & { rateLimitNext(n: number): void };

const TOPIC = /^[-_A-Za-z0-9]{1,64}$/;

export async function startNtfySim(opts: NtfySimOptions = {}): Promise<NtfySim> {
  const sim = await startPushSim<NtfyMessage>((c, store) => {
    if (c.method !== 'POST' || c.path !== '/') return { status: 404, json: { code: 40401, http: 404, error: 'page not found' } };
    const b = (c.body ?? {}) as Partial<NtfyMessage>;
    if (typeof b.topic !== 'string' || !TOPIC.test(b.topic)) return { status: 400, json: { code: 40009, http: 400, error: 'invalid request: topic invalid' } };
    if (b.priority !== undefined && (!Number.isInteger(b.priority) || b.priority < 1 || b.priority > 5)) {
      return { status: 400, json: { code: 40007, http: 400, error: 'invalid priority' } };
    }
    const need = opts.protected?.[b.topic];
    if (need) {
      const got = credentials(c.headers);
      const ok = need.token ? got.bearer === need.token : got.user === need.user && got.password === need.password;
      if (!ok)
        return got.bearer || got.user
          ? { status: 403, json: { code: 40301, http: 403, error: 'forbidden' } }
          : { status: 401, json: { code: 40101, http: 401, error: 'unauthorized' } };
    }
    const m: NtfyMessage = { topic: b.topic, message: typeof b.message === 'string' ? b.message : 'triggered' };
    for (const k of ['title', 'priority', 'tags', 'click', 'attach', 'markdown'] as const)
      if (b[k] !== undefined) (m as unknown as Record<string, unknown>)[k] = b[k];
    store(m);
    return { status: 200, json: { id: randomBytes(6).toString('hex'), time: Math.floor(Date.now() / 1000), event: 'message', ...m } };
  });
  return {
    ...sim,
    rateLimitNext: (n) => sim.inject(n, { status: 429, json: { code: 42901, http: 429, error: 'limit reached: too many requests' } }),
  };
}
