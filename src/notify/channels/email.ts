import type { Transporter } from 'nodemailer';
import type { ConnectionOptions } from 'node:tls';
import { RemoteError, TransientError, makeRedactor } from '../../lib/index.js';
import { PermanentChannelError, type Channel } from '../channel.js';
import { renderEmail } from '../message.js';

/** SMTP dialogues are slower than HTTP (greeting, STARTTLS, AUTH); still, never hang the outbox. */
export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

export type SmtpMode = 'insecure' | 'starttls' | 'ssl';

export interface EmailChannelOptions {
  name: string;
  smtp: { host: string; port: number; secure: boolean; mode?: SmtpMode; user?: string; password?: string };
  from: string;
  fromName?: string;
  to: string | string[];
  cc?: string[];
  bcc?: string[];
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Extra TLS options; tests pass `{ rejectUnauthorized: false }` for a self-signed server. Never in production. */
  tls?: ConnectionOptions;
  /**
   * Test only: connect here instead of smtp.host:port (a provider template's server reached on 127.0.0.1);
   * TLS still names smtp.host, as a real connection would.
   */
  connectTo?: { host: string; port: number };
}

/** The mode a config means: Apprise's `mode` when given, else `secure` (ssl) or STARTTLS. */
export function smtpModeOf(smtp: { secure: boolean; mode?: SmtpMode }): SmtpMode {
  return smtp.mode ?? (smtp.secure ? 'ssl' : 'starttls');
}

export function createEmailChannel(opts: EmailChannelOptions): Channel {
  const timeout = opts.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const hasAuth = opts.smtp.user !== undefined;
  const mode = smtpModeOf(opts.smtp);
  // nodemailer is loaded at the first send: a worker without an email channel does not carry it (~6 MB).
  let transport: Transporter | undefined;
  const connect = async (): Promise<Transporter> => {
    if (transport) return transport;
    const { default: nodemailer } = await import('nodemailer');
    transport = nodemailer.createTransport({
      host: opts.connectTo?.host ?? opts.smtp.host,
      port: opts.connectTo?.port ?? opts.smtp.port,
      secure: mode === 'ssl',
      // starttls: refuse to go on (and to send credentials) unless the server upgrades. insecure (Apprise's
      // mailto://): plain SMTP as asked; nodemailer still upgrades when the server offers STARTTLS.
      requireTLS: mode === 'starttls',
      ...(hasAuth ? { auth: { user: opts.smtp.user as string, pass: opts.smtp.password ?? '' } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(opts.tls || opts.connectTo ? { tls: { ...(opts.connectTo ? { servername: opts.smtp.host } : {}), ...opts.tls } } : {}),
    });
    return transport;
  };
  const redact = makeRedactor(opts.smtp.password ? [opts.smtp.password] : []);
  const what = `email "${opts.name}" via ${opts.smtp.host}:${opts.smtp.port}`;
  const from = opts.fromName ? { name: opts.fromName, address: opts.from } : opts.from;
  return {
    name: opts.name,
    type: 'email',
    async send(alert) {
      const content = renderEmail(alert);
      try {
        await (await connect()).sendMail({
          from,
          to: opts.to,
          ...(opts.cc?.length ? { cc: opts.cc } : {}),
          ...(opts.bcc?.length ? { bcc: opts.bcc } : {}),
          subject: content.subject,
          text: content.text,
          html: content.html,
          // Receivers (and our own retries) can tell a resend of the same alert.
          messageId: `<${alert.id}@campus-sync>`,
          headers: { ...opts.headers, 'X-Campus-Sync-Alert': alert.id, 'X-Campus-Sync-Kind': alert.kind },
        });
      } catch (err) {
        throw classifySmtpError(err, what, redact);
      }
    },
    close: () => transport?.close(),
  };
}

/** Auth and address refusals need a config change; 4xx and broken connections may pass later; other 5xx refuse this message. */
export function classifySmtpError(err: unknown, what: string, redact: (s: string) => string): Error {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const message = redact(typeof e.message === 'string' ? e.message : String(err))
    .replace(/\s+/g, ' ')
    .slice(0, 300);
  const text = `${what} failed${code ? ` (${code}${responseCode ? ` ${responseCode}` : ''})` : ''}: ${message}`;
  if (code === 'EAUTH' || (code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500)) {
    return new PermanentChannelError(text, { status: responseCode });
  }
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return new TransientError(text, { status: responseCode });
  if (responseCode !== undefined && responseCode >= 500) return new RemoteError(text, { status: responseCode });
  // No SMTP answer: refused connection, timeout, TLS or DNS failure.
  return new TransientError(text);
}
