import { dataDir } from '../config/index.js';
import { formatWhen, translator } from '../lib/index.js';
import { createInvitation, DEFAULT_INVITATION_EXPIRY, invitationLink, listInvitations, parseExpiry, revokeInvitation } from '../invite/index.js';
import { dashboardUrl } from './api-key.js';
import { cliLocale } from './locale.js';
import { EXIT, UsageError } from './output.js';
import type { VerbContext } from './main.js';

/** Times in the CLI's lines: the owner's machine is in France like the students (DESIGN: times for people). */
const SHOWN_ZONE = process.env.TZ || 'Europe/Paris';

/**
 * The base of public links: --base-url, else PUBLIC_URL (the address people reach the API at, as for
 * `feed-url`), else the dashboard's own address (the LAN one when the API listens on the network).
 */
export function publicBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv): { base: string; phoneReachable: boolean } {
  const given = flag?.trim() || env.PUBLIC_URL?.trim();
  if (given) {
    let u: URL;
    try {
      u = new URL(given);
    } catch {
      throw new UsageError(`${flag ? '--base-url' : 'PUBLIC_URL'} "${given}" is not a URL (e.g. https://pi.example.org)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag ? '--base-url' : 'PUBLIC_URL'} must be an http(s) URL`);
    return { base: given.replace(/\/+$/, ''), phoneReachable: !isLoopback(u.hostname) };
  }
  const { url, network } = dashboardUrl(env);
  return { base: url.replace(/\/+$/, ''), phoneReachable: network && !url.includes('<') };
}

const isLoopback = (host: string): boolean => host === 'localhost' || host.startsWith('127.') || host === '[::1]';

/** The QR code of a link, for a phone's camera: only on a terminal (a pipe or --json gets the link alone). */
async function terminalQr(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
}

/** `invite [--expires 7d] [--base-url URL]`: a single-use link for a classmate, and its QR code on a terminal. */
export async function inviteVerb(
  { args, values, out }: VerbContext,
  env: NodeJS.ProcessEnv = process.env,
  isTty = process.stdout.isTTY === true,
): Promise<number> {
  if (args.length > 0) throw new UsageError(`invite takes no name (the classmate chooses it): unexpected "${args[0]}"`);
  const expires = parseExpiry((values.expires as string | undefined) ?? DEFAULT_INVITATION_EXPIRY);
  if ('error' in expires) throw new UsageError(`--expires: ${expires.error}`);
  const { base, phoneReachable } = publicBaseUrl(values['base-url'] as string | undefined, env);
  const t = translator(cliLocale(env));
  const inv = await createInvitation({ dataDir: dataDir(env), expiresInMs: expires.ms });
  const link = invitationLink(base, inv.token);
  out.result({ id: inv.id, link, expiresAt: inv.expiresAt }, () => {
    out.line(t('invite.created', { id: inv.id, expires: formatWhen(inv.expiresAt, SHOWN_ZONE, cliLocale(env)) }));
    out.line(t('invite.link'));
    out.line(link);
  });
  if (!phoneReachable) out.error(out.yellow(t('invite.unreachableBase', { base })));
  if (isTty && !out.json) out.line(await terminalQr(link));
  return EXIT.ok;
}

/** `invites` lists the invitations with their state; `invites revoke <id>` revokes one. */
export async function invitesVerb({ args, out }: VerbContext, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, id, ...rest] = args;
  const locale = cliLocale(env);
  const t = translator(locale);
  const opts = { dataDir: dataDir(env) };
  if (sub === 'revoke') {
    if (!id || rest.length > 0) throw new UsageError('give one invitation id: campus-sync invites revoke <id>');
    const r = await revokeInvitation(opts, id);
    out.result({ id, ...r }, () => {
      if (r.kind === 'revoked') out.line(`${out.green('✓')} ${t('invite.revoked', { id })}`);
    });
    if (r.kind === 'not-found') out.error(t('invite.notFound', { id }));
    if (r.kind === 'ended') out.error(t('invite.ended', { id, state: t(`invite.state.${r.state}`) }));
    return r.kind === 'not-found' ? EXIT.usage : EXIT.ok;
  }
  if (sub !== undefined) throw new UsageError(`unknown subcommand "${sub}": campus-sync invites [revoke <id>]`);
  const list = await listInvitations(opts);
  if (list.length === 0 && !out.json) out.line(t('invite.none'));
  for (const v of list) {
    out.result(v, () => {
      const when = (iso: string): string => formatWhen(iso, SHOWN_ZONE, locale);
      const line = t('invite.line', { id: v.id, state: t(`invite.state.${v.state}`), created: when(v.createdAt), expires: when(v.expiresAt) });
      const used = v.instance && v.usedAt ? `  ${t('invite.usedFor', { instance: v.instance, at: when(v.usedAt) })}` : '';
      out.line(`${v.state === 'pending' ? line : out.dim(line)}${used}`);
    });
  }
  return EXIT.ok;
}
