import { mayContact, type HostPolicy, type RefusalReason } from '../config/index.js';
import { RemoteError, TransientError, classifyNetworkError, createHttpClient, type Logger, type Phase } from '../lib/index.js';
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

/**
 * A request the caller's host policy refuses (config/invitee-hosts.ts): an invitee's check asked to follow the
 * school's redirect to another host (a CAS address the timetable server names, a login hop). Nothing was sent.
 */
export class RefusedHostError extends RemoteError {
  constructor(
    readonly host: string,
    readonly reason: RefusalReason,
    phase: Phase,
  ) {
    super(`MonCampus request to ${host} refused: not a host this check may contact (${reason})`, { phase });
  }
}

/** Some CAS front ends answer bare library user agents with a bot page; look like an ordinary client. */
const USER_AGENT = 'Mozilla/5.0 (compatible; campus-sync)';

/**
 * A cookie-aware request function over one axios instance that never follows redirects (the CAS
 * dance needs to see each hop's cookies) and never throws on a status (callers decide).
 * Network failures become TransientError naming only the host: the axios error is not attached as
 * `cause` because its config carries the POSTed password and the Cookie header.
 */
export function createHttp(opts: {
  jar: CookieJar;
  timeoutMs: number;
  logger: Logger;
  /**
   * Asked before EVERY request, redirects included: the first URL comes from the config or the form, the next
   * ones from the servers (CAS discovery, login hops), and an invitee's check may follow none off its policy.
   */
  policy?: HostPolicy;
}): Http {
  // Redirects are answers here (each CAS hop sets cookies), bodies stay text: lib/http.ts's defaults.
  const instance = createHttpClient({ timeoutMs: opts.timeoutMs });
  let requests = 0;

  return {
    count: () => requests,
    async request(req) {
      const url = new URL(req.url);
      if (opts.policy) {
        const verdict = mayContact(opts.policy, url.toString());
        if (!verdict.ok) throw new RefusedHostError(verdict.host || url.host, verdict.reason, req.phase);
      }
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
        // Only the host in the message: the engine's would quote the URL (a CAS ticket) and the config the password.
        const failure = classifyNetworkError(err);
        const code = failure.code !== undefined ? ` (${failure.code})` : '';
        if (failure.reason === 'timeout')
          throw new TransientError(`MonCampus request to ${url.host} timed out after ${opts.timeoutMs} ms`, { phase: req.phase });
        if (!failure.retryable) throw new RemoteError(`MonCampus request to ${url.host} could not be sent${code}`, { phase: req.phase });
        throw new TransientError(`MonCampus request to ${url.host} failed${code}`, { phase: req.phase });
      }
      opts.jar.store(url, res.headers['set-cookie'] as string[] | string | undefined);
      // Path only: the query may carry a CAS ticket.
      opts.logger.debug('MonCampus HTTP', { method: req.method, url: `${url.origin}${url.pathname}`, status: res.status });
      const location = res.headers.location;
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
