import axios, { type AxiosInstance } from 'axios';
import { TransientError, type Logger, type Phase } from '../lib/index.js';
import type { CookieJar } from './cookie-jar.js';

/** One HTTP answer, body as text, with the URL it came from (needed to resolve relative Locations). */
export interface HttpResponse {
  url: string;
  status: number;
  contentType: string;
  location: string | undefined;
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** Which phase a network failure is reported in. */
  phase: Phase;
}

export interface Http {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Requests sent so far (for stats). */
  count(): number;
}

/** Some CAS front ends answer bare library user agents with a bot page; look like an ordinary client. */
const USER_AGENT = 'Mozilla/5.0 (compatible; campus-sync)';

/**
 * A cookie-aware request function over one axios instance that never follows redirects (the CAS
 * dance needs to see each hop's cookies) and never throws on a status (callers decide).
 * Network failures become TransientError naming only the host: the axios error is not attached as
 * `cause` because its config carries the POSTed password and the Cookie header.
 */
export function createHttp(opts: { jar: CookieJar; timeoutMs: number; logger: Logger }): Http {
  const instance: AxiosInstance = axios.create({
    maxRedirects: 0,
    validateStatus: () => true,
    timeout: opts.timeoutMs,
    responseType: 'text',
    // Keep the body as text even when it is JSON; we parse (and validate) it ourselves.
    transformResponse: [(data: unknown) => data],
  });
  let requests = 0;

  return {
    count: () => requests,
    async request(req) {
      const url = new URL(req.url);
      const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...req.headers };
      const cookie = opts.jar.header(url);
      if (cookie) headers.Cookie = cookie;
      let data: string | undefined;
      if (req.form) {
        data = new URLSearchParams(req.form).toString();
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
      }
      requests++;
      let res;
      try {
        res = await instance.request<string>({ method: req.method, url: url.toString(), headers, data });
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        const what =
          code === 'ECONNABORTED' || code === 'ETIMEDOUT'
            ? `timed out after ${opts.timeoutMs} ms`
            : `failed${typeof code === 'string' ? ` (${code})` : ''}`;
        throw new TransientError(`MonCampus request to ${url.host} ${what}`, { phase: req.phase });
      }
      opts.jar.store(url, res.headers['set-cookie'] as string[] | string | undefined);
      // Path only: the query may carry a CAS ticket.
      opts.logger.debug('MonCampus HTTP', { method: req.method, url: `${url.origin}${url.pathname}`, status: res.status });
      const location = res.headers['location'];
      return {
        url: url.toString(),
        status: res.status,
        contentType: String(res.headers['content-type'] ?? ''),
        location: typeof location === 'string' ? location : undefined,
        body: typeof res.data === 'string' ? res.data : String(res.data ?? ''),
      };
    },
  };
}
