/**
 * `mailto://` and `mailtos://` as Apprise reads them (caronc/apprise 1.13, apprise/plugins/email/base.py:
 * parse_url, __init__ and apply_email_defaults), restated:
 * - the host may be an address (then it is a recipient and the host is worked out later); path tokens and
 *   `?to=` are recipients; `?from=` (may be `Name <addr>`), `?name=`, `?smtp=`, `?mode=`, `?cc=`, `?bcc=`;
 * - the mode is `?mode=`, else starttls for mailtos:// and insecure (plain SMTP) for mailto://;
 * - without `?smtp=`, the provider template of `user@host` sets server, port (unless written), mode (unless
 *   written) and the login form (the whole address, or the part before `@`);
 * - the sender is `user@host` unless `?from=` names an address; with no recipient, the sender gets the mail;
 * - the port is the mode's (25, 587, 465) unless written; the server is the host unless set above.
 * Where Apprise drops a bad recipient with a warning, campus-sync refuses the URL instead.
 */
import { why, type AppriseUrlParts, type Fail } from './apprise-url.js';
import { SMTP_MODE_PORTS, emailTemplateFor, type SmtpMode } from './email-templates.js';

const ADDRESS = /^[^@\s<>"]+@[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export interface Mailbox {
  name?: string;
  address: string;
}

/** `addr`, `Name <addr>` or `"Name" <addr>`; undefined when there is no address in it. */
export function parseMailbox(text: string): Mailbox | undefined {
  const t = text.trim();
  const angle = /^(?:"?([^"<]*?)"?\s*)?<([^<>]+)>$/.exec(t);
  const address = (angle ? angle[2] : t)?.trim() ?? '';
  if (!ADDRESS.test(address)) return undefined;
  const name = angle?.[1]?.trim();
  return name ? { name, address } : { address };
}

/** Recipients from the path and `?to=`/`?cc=`/`?bcc=`: split on `,` and `;` (a name may hold spaces). */
function mailboxes(values: string[], what: string, fail: Fail): string[] {
  return values
    .flatMap((v) => v.split(/[;,]+/))
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      const m = parseMailbox(v);
      if (!m) fail(why('notEmail', { what, value: v }));
      return m.name ? `${m.name} <${m.address}>` : m.address;
    });
}

const firstWord = (user: string): string => user.split(/[\s@]+/)[0] ?? '';

export function buildEmail(p: AppriseUrlParts, fail: Fail): Record<string, unknown> {
  const q = p.qsd;
  const targets: string[] = [];
  let host = p.host;
  const isHost = IPV4.test(host) || /^\[[0-9a-f:.]+\]$/i.test(host) || HOSTNAME.test(host);
  if (!isHost) {
    if (parseMailbox(host)) targets.push(host);
    host = '';
  }
  targets.push(...p.path);
  if (q.to) targets.push(q.to);
  let mode: SmtpMode = p.secure ? 'starttls' : 'insecure';
  const writtenMode = q.mode?.toLowerCase() || undefined;
  if (writtenMode !== undefined) {
    if (writtenMode !== 'insecure' && writtenMode !== 'starttls' && writtenMode !== 'ssl') fail(why('emailMode', { value: writtenMode }));
    mode = writtenMode;
  }
  let smtpHost = q.smtp || '';
  let port = p.port;
  let user = p.user;
  let fromUser: string | undefined;
  if (!smtpHost) {
    const probe = user ? `${firstWord(user)}@${host}` : host;
    const hit = emailTemplateFor(probe);
    if (hit) {
      const t = hit.template;
      smtpHost = t.smtpHost ?? '';
      port ??= t.port;
      if (writtenMode === undefined && t.mode) mode = t.mode;
      if (t.login && user) {
        if (ADDRESS.test(user)) {
          if (!t.login.includes('email')) user = hit.id;
          else host = user.split('@')[1] ?? host;
        } else if (!t.login.includes('userid')) {
          user = `${user}@${host}`;
        }
      }
      fromUser = t.fromUser;
    }
  }
  let fromAddress = '';
  if (user) {
    if (host) fromAddress = `${firstWord(user)}@${host}`;
    else if (ADDRESS.test(user)) {
      host = user.split('@')[1] ?? '';
      fromAddress = user;
    }
  }
  if (!fromAddress && fromUser && host) fromAddress = `${fromUser}@${host}`;
  let fromName = q.name || undefined;
  if (q.from) {
    const m = parseMailbox(q.from);
    if (m) {
      fromAddress = m.address;
      fromName = m.name ?? fromName;
    } else {
      // email/base.py: a from= that is no address is the sender's name.
      fromName = q.from;
    }
  }
  if (!ADDRESS.test(fromAddress)) fail(why('noSender'));
  const to = mailboxes(targets, 'recipient', fail);
  const smtp: Record<string, unknown> = {
    host: smtpHost || host,
    port: port ?? SMTP_MODE_PORTS[mode],
    secure: mode === 'ssl',
    mode,
  };
  if (!smtp.host) fail(why('noSmtp'));
  if (user) smtp.user = user;
  if (p.password) smtp.password = p.password;
  const cc = mailboxes(q.cc ? [q.cc] : [], 'cc', fail);
  const bcc = mailboxes(q.bcc ? [q.bcc] : [], 'bcc', fail);
  return Object.fromEntries(
    Object.entries({
      smtp,
      from: fromAddress,
      fromName,
      to: to.length === 0 ? fromAddress : to.length === 1 ? to[0] : to,
      cc: cc.length > 0 ? cc : undefined,
      bcc: bcc.length > 0 ? bcc : undefined,
      headers: Object.keys(p.add).length > 0 ? p.add : undefined,
    }).filter(([, v]) => v !== undefined),
  );
}
