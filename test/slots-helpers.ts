/**
 * Shared pieces of the slot-watcher end-to-end tests: a real SMTP server (STARTTLS + AUTH) whose
 * certificate the worker process trusts through NODE_EXTRA_CA_CERTS, a generic webhook receiver,
 * a port that refuses connections until a TCP forwarder is put on it, and readers of what the worker
 * left in data/<name>/.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { SMTPServer } from 'smtp-server';
import { startLoggedServer, type SimLoggedRequest } from '../src/sim/logged-server.js';

const run = promisify(execFile);

/** The zone the slot configs use; sim slots are written in it. */
export const ZONE = 'Europe/Paris';

/** A Cal.com start (ISO with offset) `days` from today in Paris at hh:mm. */
export function calStart(days: number, hh: number, mm: number): string {
  return DateTime.now().setZone(ZONE).plus({ days }).set({ hour: hh, minute: mm, second: 0, millisecond: 0 }).toISO()!;
}

/** A ClicRDV start ('YYYY-MM-DD HH:MM:SS', Paris wall clock) `days` from today. */
export function clicStart(days: number, hhmm: string): string {
  return `${DateTime.now().setZone(ZONE).plus({ days }).toISODate()} ${hhmm}:00`;
}

export interface TlsFiles {
  key: string;
  cert: string;
  /** PEM file to hand the worker as NODE_EXTRA_CA_CERTS. */
  certFile: string;
}

/**
 * A self-signed certificate for 127.0.0.1 (IP SAN), so the worker verifies the SMTP server's
 * certificate for real instead of switching verification off.
 */
export async function makeLocalCert(dir: string): Promise<TlsFiles> {
  const keyFile = join(dir, 'smtp-key.pem');
  const certFile = join(dir, 'smtp-cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  ]);
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), certFile };
}

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  raw: string;
  /** True once the session was upgraded with STARTTLS (or was TLS from the start). */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  /** AUTH attempts, accepted or not. */
  authAttempts: { user: string; ok: boolean }[];
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1: plain greeting, STARTTLS offered, AUTH required (only over TLS). */
export async function startSmtp(opts: { user: string; password: string; tls: TlsFiles }): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const authAttempts: { user: string; ok: boolean }[] = [];
  const server = new SMTPServer({
    secure: false,
    key: opts.tls.key,
    cert: opts.tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    // smtp-server refuses AUTH before STARTTLS by default (allowInsecureAuth false): credentials never travel in clear.
    onAuth(auth, _session, cb) {
      const ok = auth.username === opts.user && auth.password === opts.password;
      authAttempts.push({ user: auth.username ?? '', ok });
      if (ok) cb(null, { user: opts.user });
      else cb(new Error('Invalid username or password'));
    },
    onMailFrom(_address, session, cb) {
      // AUTH is mandatory here: an unauthenticated sender is refused like a real submission server would.
      if (!session.user) cb(Object.assign(new Error('Authentication required'), { responseCode: 530 }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, authAttempts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A generic JSON webhook receiver (Apprise `json://` target): logs every request, can fail the next ones. */
export async function startWebhookReceiver(): Promise<{ url: string; requests: SimLoggedRequest[]; failNext(n: number): void; close(): Promise<void> }> {
  let failures = 0;
  const server = await startLoggedServer((c) => {
    if (c.method !== 'POST') return { status: 405, json: { error: 'POST only' } };
    if (failures > 0) {
      failures--;
      return { status: 503, text: 'busy, try later' };
    }
    return { status: 200, json: { ok: true } };
  });
  return { url: server.url, requests: server.requests, failNext: (n) => (failures += n), close: server.close };
}

/** A port nothing listens on (taken from the OS, then released): connections to it are refused. */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Puts a TCP forwarder on `port` (the channel comes "up"); closing it takes the channel down again. */
export async function forward(port: number, targetPort: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createNetServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Every file under `dir` (recursively) with its text. */
export async function readTree(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.push({ path, text: await readFile(path, 'utf8') });
  }
  return out;
}

/** What the outbox keeps per waiting delivery (src/notify/outbox.ts DeliveryRecord), the fields tests read. */
export interface StoredDelivery {
  seq: number;
  channel: string;
  attempts: number;
  nextAttemptAt?: string;
  lastError?: string;
  held?: boolean;
  alert: { id: string; kind: string; title: string; text: string; slots?: { label: string; start: string }[] };
}

/** The deliveries waiting in data/<name>/outbox/deliveries, in queue order. */
export async function pendingDeliveries(dataDir: string, name: string): Promise<StoredDelivery[]> {
  const files = await readTree(join(dataDir, name, 'outbox', 'deliveries'));
  return files
    .filter((f) => f.path.endsWith('.json'))
    .map((f) => JSON.parse(f.text) as StoredDelivery)
    .sort((a, b) => a.seq - b.seq || a.channel.localeCompare(b.channel));
}

/** Where each secret shows up among the haystacks ("<secret label> in <where>"); empty = clean. */
export function secretLeaks(secrets: Record<string, string>, haystacks: { where: string; text: string }[]): string[] {
  const leaks: string[] = [];
  for (const [label, value] of Object.entries(secrets)) {
    const forms = new Set([value, encodeURIComponent(value)]);
    for (const h of haystacks) for (const f of forms) if (h.text.includes(f)) leaks.push(`${label} in ${h.where}`);
  }
  return leaks;
}

export async function rewrite(file: string, from: string | RegExp, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`nothing to replace in ${file}`);
  await writeFile(file, next);
}
