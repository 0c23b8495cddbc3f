import type { Transporter } from 'nodemailer';
import type { ConnectionOptions } from 'node:tls';
import { RemoteError, TransientError, makeRedactor } from '../../lib/index.js';
import { PermanentChannelError, type Channel } from '../channel.js';
import { renderEmail } from '../message.js';

/** SMTP dialogues are slower than HTTP (greeting, STARTTLS, AUTH); still, never hang the outbox. */
export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

export interface EmailChannelOptions {
  name: string;
  smtp: { host: string; port: number; secure: boolean; user?: string; password?: string };
  from: string;
  to: string | string[];
  timeoutMs?: number;
  /** Extra TLS options; tests pass `{ rejectUnauthorized: false }` for a self-signed server. Never in production. */
  tls?: ConnectionOptions;
}

export function createEmailChannel(opts: EmailChannelOptions): Channel {
  const timeout = opts.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const hasAuth = opts.smtp.user !== undefined;
  // nodemailer is loaded at the first send: a worker without an email channel does not carry it (~6 MB).
  let transport: Transporter | undefined;
  const connect = async (): Promise<Transporter> => {
    if (transport) return transport;
    const { default: nodemailer } = await import('nodemailer');
    transport = nodemailer.createTransport({
      host: opts.smtp.host,
      port: opts.smtp.port,
      secure: opts.smtp.secure,
      // With credentials, refuse to send them over a connection the server did not upgrade to TLS.
      requireTLS: !opts.smtp.secure && hasAuth,
      ...(hasAuth ? { auth: { user: opts.smtp.user as string, pass: opts.smtp.password ?? '' } } : {}),
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(opts.tls ? { tls: opts.tls } : {}),
    });
    return transport;
  };
  const redact = makeRedactor(opts.smtp.password ? [opts.smtp.password] : []);
  const what = `email "${opts.name}" via ${opts.smtp.host}:${opts.smtp.port}`;
  return {
    name: opts.name,
    type: 'email',
    async send(alert) {
      const content = renderEmail(alert);
      try {
        await (await connect()).sendMail({
          from: opts.from,
          to: opts.to,
          subject: content.subject,
          text: content.text,
          html: content.html,
          // Receivers (and our own retries) can tell a resend of the same alert.
          messageId: `<${alert.id}@campus-sync>`,
          headers: { 'X-Campus-Sync-Alert': alert.id, 'X-Campus-Sync-Kind': alert.kind },
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
  const message = redact(typeof e.message === 'string' ? e.message : String(err)).replace(/\s+/g, ' ').slice(0, 300);
  const text = `${what} failed${code ? ` (${code}${responseCode ? ` ${responseCode}` : ''})` : ''}: ${message}`;
  if (code === 'EAUTH' || (code === 'EENVELOPE' && responseCode !== undefined && responseCode >= 500)) {
    return new PermanentChannelError(text, { status: responseCode });
  }
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return new TransientError(text, { status: responseCode });
  if (responseCode !== undefined && responseCode >= 500) return new RemoteError(text, { status: responseCode });
  // No SMTP answer: refused connection, timeout, TLS or DNS failure.
  return new TransientError(text);
}
