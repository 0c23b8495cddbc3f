/**
 * A receiver of Apprise's json://, form:// and xml:// posts that checks headers the way a protected endpoint
 * does (a shared-secret header such as X-Token, or basic auth): without them it answers 401 and stores nothing.
 * Bodies are read per Content-Type (application/json, application/x-www-form-urlencoded, application/xml).
 */
import { startPushSim, type PushSim } from './push-common.js';

export interface WebhookReceived {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  contentType: string;
  /** JSON or form fields as an object; XML as its text. */
  body: unknown;
}

export interface WebhookReceiverOptions {
  /** Headers (lower-case names) a request must carry with these exact values. */
  requiredHeaders?: Record<string, string>;
}

export type WebhookReceiverSim = PushSim<WebhookReceived> & { rateLimitNext(n: number, retryAfterSeconds: number): void };

export async function startWebhookReceiverSim(opts: WebhookReceiverOptions = {}): Promise<WebhookReceiverSim> {
  const sim = await startPushSim<WebhookReceived>((c, store) => {
    for (const [name, value] of Object.entries(opts.requiredHeaders ?? {})) {
      if (c.headers[name] !== value) return { status: 401, json: { error: `missing or wrong ${name}` } };
    }
    const contentType = (c.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    let body: unknown = c.rawBody;
    if (contentType === 'application/json') {
      try {
        body = JSON.parse(c.rawBody) as unknown;
      } catch {
        return { status: 400, json: { error: 'invalid JSON' } };
      }
    } else if (contentType === 'application/x-www-form-urlencoded') body = Object.fromEntries(new URLSearchParams(c.rawBody));
    store({ method: c.method, path: c.path, query: c.query, headers: c.headers, contentType, body });
    return { status: 200, json: { ok: true } };
  });
  return {
    ...sim,
    rateLimitNext: (n, seconds) => sim.inject(n, { status: 429, text: 'Too Many Requests', headers: { 'Retry-After': String(seconds) } }),
  };
}
