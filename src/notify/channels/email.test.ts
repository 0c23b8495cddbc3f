import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../lib/index.js';
import { PermanentChannelError } from '../channel.js';
import { createAlert } from '../message.js';
import { createEmailChannel } from './email.js';

interface Mail {
  from: string | undefined;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

const received: Mail[] = [];
let server: SMTPServer;
let port = 0;

beforeAll(async () => {
  // secure:false → the server offers STARTTLS with smtp-server's built-in self-signed certificate.
  server = new SMTPServer({
    secure: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'bot' && auth.password === 'smtp-pass-123') cb(null, { user: 'bot' });
      else cb(new Error('Invalid username or password'));
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
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const alert = createAlert({ kind: 'sync.failed', instance: 'alice', title: 'Sync failed', text: 'ECAL answered 503 three times' });

describe('email channel (real SMTP server, STARTTLS + AUTH)', () => {
  it('upgrades with STARTTLS, authenticates, and delivers subject, from/to, text and HTML', async () => {
    const ch = createEmailChannel({
      name: 'mail',
      smtp: { host: '127.0.0.1', port, secure: false, user: 'bot', password: 'smtp-pass-123' },
      from: 'bot@example.com',
      to: ['ops@example.com', 'me@example.com'],
      tls: { rejectUnauthorized: false },
    });
    await ch.send(alert);
    await ch.close?.();
    const mail = received.at(-1);
    expect(mail).toMatchObject({ from: 'bot@example.com', to: ['ops@example.com', 'me@example.com'], secure: true, user: 'bot' });
    expect(mail?.raw).toContain('Subject: [campus-sync alice] WARNING: Sync failed');
    expect(mail?.raw).toContain('ECAL answered 503 three times');
    expect(mail?.raw).toContain('text/html');
    expect(mail?.raw).toContain(`X-Campus-Sync-Alert: ${alert.id}`);
  });

  it('a refused login disables the channel (permanent), without the password in the message', async () => {
    const ch = createEmailChannel({
      name: 'mail',
      smtp: { host: '127.0.0.1', port, secure: false, user: 'bot', password: 'wrong-password-9' },
      from: 'bot@example.com',
      to: 'ops@example.com',
      tls: { rejectUnauthorized: false },
    });
    const err = await ch.send(alert).catch((e: unknown) => e);
    await ch.close?.();
    expect(err).toBeInstanceOf(PermanentChannelError);
    expect(String(err)).not.toContain('wrong-password-9');
  });

  it('refuses to send credentials when the self-signed certificate is not trusted (TLS verified by default)', async () => {
    const ch = createEmailChannel({
      name: 'mail',
      smtp: { host: '127.0.0.1', port, secure: false, user: 'bot', password: 'smtp-pass-123' },
      from: 'bot@example.com',
      to: 'ops@example.com',
      timeoutMs: 5_000,
    });
    const before = received.length;
    const err = await ch.send(alert).catch((e: unknown) => e);
    await ch.close?.();
    expect(err).toBeInstanceOf(TransientError);
    expect(received.length).toBe(before);
  });

  it('a closed port is transient', async () => {
    const ch = createEmailChannel({ name: 'mail', smtp: { host: '127.0.0.1', port: 1, secure: false }, from: 'a@b.c', to: 'd@e.f', timeoutMs: 2_000 });
    expect(await ch.send(alert).catch((e: unknown) => e)).toBeInstanceOf(TransientError);
  });
});
