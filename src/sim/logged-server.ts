/**
 * The request plumbing shared by the slot-source and alert-channel simulators (ClicRDV, Cal.com,
 * Discord, Slack): a request log with lower-cased headers and the parsed body, adjustable latency, and
 * a count of requests in flight so tests can check that a client bounds its concurrency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../lib/clock.js';
import { queryRecord, readBody, sendJson, sendText, startServer } from './http-util.js';

export interface SimLoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the raw text; absent when there was no body. */
  body?: unknown;
  /** Status of the answer (known because the entry is logged just before the answer is sent). */
  status: number;
}

/** What a simulator's route sees of one request. */
export interface SimCall {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The raw query parameters, for repeated keys such as `intervention_ids[]`. */
  params: URLSearchParams;
  rawBody: string;
  body?: unknown;
}

export type SimAnswer =
  | { status: number; json: unknown; headers?: Record<string, string> }
  | { status: number; text: string; contentType?: string; headers?: Record<string, string> }
  | { status: number; empty: true; headers?: Record<string, string> };

export interface LoggedServer {
  url: string;
  requests: SimLoggedRequest[];
  /** Empties the log and the in-flight peak. */
  resetLog(): void;
  setLatency(ms: number): void;
  /** Highest number of requests in flight at once since start (or the last resetLog). */
  maxConcurrent(): number;
  close(): Promise<void>;
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function send(res: ServerResponse, answer: SimAnswer): void {
  if ('json' in answer) sendJson(res, answer.status, answer.json, answer.headers);
  else if ('text' in answer) sendText(res, answer.status, answer.contentType ?? 'text/plain; charset=utf-8', answer.text, answer.headers);
  else {
    res.writeHead(answer.status, { ...answer.headers, 'Content-Length': 0 });
    res.end();
  }
}

export interface LoggedServerOptions {
  latencyMs?: number;
  /** Whose timer the latency waits on (default the system's): a test passes a fake clock to see the wait without waiting. */
  clock?: Pick<Clock, 'sleep'>;
}

export async function startLoggedServer(route: (call: SimCall) => SimAnswer | Promise<SimAnswer>, opts: LoggedServerOptions = {}): Promise<LoggedServer> {
  let latencyMs = opts.latencyMs ?? 0;
  const clock = opts.clock ?? systemClock;
  const requests: SimLoggedRequest[] = [];
  let inFlight = 0;
  let peak = 0;

  const handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    // Counted from arrival, latency included: a client that waits for each answer never has two in flight.
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    let done = false;
    const leave = (): void => {
      if (done) return;
      done = true;
      inFlight -= 1;
    };
    // 'close' covers aborted requests; a normal one leaves synchronously when its answer is written, so a
    // client's next request can never overlap it in the count.
    res.on('close', leave);
    if (latencyMs > 0) await clock.sleep(latencyMs);
    const rawBody = (await readBody(req)).toString('utf8');
    const body = parseBody(rawBody);
    const call: SimCall = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: queryRecord(url.searchParams),
      headers: lowerHeaders(req),
      params: url.searchParams,
      rawBody,
      ...(body !== undefined ? { body } : {}),
    };
    const answer = await route(call);
    const { params: _params, rawBody: _raw, ...logged } = call;
    // Logged before sending so the entry is there by the time the client has its answer.
    requests.push({ ...logged, status: answer.status });
    leave();
    send(res, answer);
  };

  // Latency is applied inside the handler (not by startServer) so in-flight counting covers it.
  const server = await startServer(handler);
  return {
    url: server.url,
    requests,
    resetLog: () => {
      requests.length = 0;
      peak = inFlight;
    },
    setLatency: (ms) => {
      latencyMs = ms;
    },
    maxConcurrent: () => peak,
    close: server.close,
  };
}
