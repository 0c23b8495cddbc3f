/**
 * Email providers Apprise knows by the sender's domain: server, port, TLS mode and the login it expects
 * (the whole address, or the part before `@`). Read from caronc/apprise 1.13
 * `apprise/plugins/email/templates.py` (EMAIL_TEMPLATES, in its order; first match wins) and applied as
 * `apprise/plugins/email/base.py` apply_email_defaults does: only when no `?smtp=` was given; a port or mode
 * written in the URL wins over the template's.
 */

export type SmtpMode = 'insecure' | 'starttls' | 'ssl';

/** Apprise's SECURE_MODES default ports (`apprise/plugins/email/common.py`). */
export const SMTP_MODE_PORTS: Record<SmtpMode, number> = { insecure: 25, starttls: 587, ssl: 465 };

/** 'email': log in as user@domain; 'userid': as the part before `@`; both: as written. */
export type LoginForm = 'email' | 'userid';

export interface EmailTemplate {
  provider: string;
  /** Matches the domain of the address `user@host` (labels such as `me+tag@` are allowed before it). */
  domain: RegExp;
  smtpHost?: string;
  port?: number;
  mode?: SmtpMode;
  login?: LoginForm[];
  /** Local servers: the sender when none is given (`root@localhost`). */
  fromUser?: string;
}

const FASTMAIL_EXTENDED = [
  '123mail.org',
  'airpost.net',
  'eml.cc',
  'fmail.co.uk',
  'fmgirl.com',
  'fmguy.com',
  'mailbolt.com',
  'mailcan.com',
  'mailhaven.com',
  'mailmight.com',
  'ml1.net',
  'mm.st',
  'myfastmail.com',
  'proinbox.com',
  'promessage.com',
  'rushpost.com',
  'sent.as',
  'sent.at',
  'sent.com',
  'speedymail.org',
  'warpmail.net',
  'xsmail.com',
  '150mail.com',
  '150ml.com',
  '16mail.com',
  '2-mail.com',
  '4email.net',
  '50mail.com',
  'allmail.net',
  'bestmail.us',
  'cluemail.com',
  'elitemail.org',
  'emailcorner.net',
  'emailengine.net',
  'emailengine.org',
  'emailgroups.net',
  'emailplus.org',
  'emailuser.net',
  'f-m.fm',
  'fast-email.com',
  'fast-mail.org',
  'fastem.com',
  'fastemail.us',
  'fastemailer.com',
  'fastest.cc',
  'fastimap.com',
  'fastmailbox.net',
  'fastmessaging.com',
  'fea.st',
  'fmailbox.com',
  'ftml.net',
  'h-mail.us',
  'hailmail.net',
  'imap-mail.com',
  'imap.cc',
  'imapmail.org',
  'inoutbox.com',
  'internet-e-mail.com',
  'internet-mail.org',
  'internetemails.net',
  'internetmailing.net',
  'jetemail.net',
  'justemail.net',
  'letterboxes.org',
  'mail-central.com',
  'mail-page.com',
  'mailandftp.com',
  'mailas.com',
  'mailc.net',
  'mailforce.net',
  'mailftp.com',
  'mailingaddress.org',
  'mailite.com',
  'mailnew.com',
  'mailsent.net',
  'mailservice.ms',
  'mailup.net',
  'mailworks.org',
  'mymacmail.com',
  'nospammail.net',
  'ownmail.net',
  'petml.com',
  'postinbox.com',
  'postpro.net',
  'realemail.net',
  'reallyfast.biz',
  'reallyfast.info',
  'speedpost.net',
  'ssl-mail.com',
  'swift-mail.com',
  'the-fastest.net',
  'the-quickest.com',
  'theinternetemail.com',
  'veryfast.biz',
  'veryspeedy.net',
  'yepmail.net',
];
const oneOf = (domains: string[]): RegExp => new RegExp(`^(${domains.map((d) => d.replace(/[.-]/g, (c) => `\\${c}`)).join('|')})$`, 'i');

/** In templates.py's order. */
export const EMAIL_TEMPLATES: readonly EmailTemplate[] = [
  { provider: 'Google Mail', domain: /^gmail\.com$/i, smtpHost: 'smtp.gmail.com', port: 587, mode: 'starttls', login: ['email'] },
  { provider: 'Yandex', domain: /^yandex\.(com|ru|ua|by|kz|uz|tr|fr)$/i, smtpHost: 'smtp.yandex.ru', port: 465, mode: 'ssl', login: ['userid'] },
  { provider: 'Microsoft Hotmail', domain: /^(hotmail|live)\.com(\.au)?$/i, smtpHost: 'smtp-mail.outlook.com', port: 587, mode: 'starttls', login: ['email'] },
  { provider: 'Microsoft Outlook', domain: /^(smtp\.)?outlook\.com(\.au)?$/i, smtpHost: 'smtp.outlook.com', port: 587, mode: 'starttls', login: ['email'] },
  // No login form: the user name is used as written (Office 365 wants from= and to= too, says templates.py).
  { provider: 'Microsoft Office 365', domain: /^(smtp\.)?office365\.com$/i, smtpHost: 'smtp.office365.com', port: 587, mode: 'starttls' },
  { provider: 'Yahoo Mail', domain: /^yahoo\.(ca|com)$/i, smtpHost: 'smtp.mail.yahoo.com', port: 465, mode: 'ssl', login: ['email'] },
  { provider: 'GMX Mail', domain: /^gmx\.(com|net|de|at|ch|fr)$/i, smtpHost: 'mail.gmx.com', port: 587, mode: 'starttls', login: ['email'] },
  {
    provider: 'Fast Mail',
    domain: /^fastmail\.(com|cn|co\.uk|com\.au|de|es|fm|fr|im|in|jp|mx|net|nl|org|se|to|tw|uk|us)$/i,
    smtpHost: 'smtp.fastmail.com',
    port: 465,
    mode: 'ssl',
    login: ['email'],
  },
  { provider: 'Fast Mail Extended Addresses', domain: oneOf(FASTMAIL_EXTENDED), smtpHost: 'smtp.fastmail.com', port: 465, mode: 'ssl', login: ['email'] },
  { provider: 'Zoho Mail', domain: /^zoho(mail)?\.com$/i, smtpHost: 'smtp.zoho.com', port: 587, mode: 'starttls', login: ['email'] },
  { provider: 'SendGrid', domain: /^(\.smtp)?sendgrid\.(com|net)$/i, smtpHost: 'smtp.sendgrid.net', port: 465, mode: 'ssl', login: ['userid'] },
  { provider: '163.com', domain: /^163\.com$/i, smtpHost: 'smtp.163.com', port: 465, mode: 'ssl', login: ['email'] },
  { provider: 'Foxmail.com', domain: /^(foxmail|qq)\.com$/i, smtpHost: 'smtp.qq.com', port: 587, mode: 'starttls', login: ['email'] },
  { provider: 'Comcast.net', domain: /^comcast\.net$/i, smtpHost: 'smtp.comcast.net', port: 465, mode: 'ssl', login: ['email'] },
  { provider: 'Local Mail Server', domain: /^localhost(\.localdomain)?$/i, fromUser: 'root' },
];

/**
 * The template for an address (`user@domain`, or a bare `localhost`), or undefined (Apprise's "Custom"
 * catch-all: the host itself is the server).
 */
export function emailTemplateFor(address: string): { template: EmailTemplate; id: string } | undefined {
  const at = address.lastIndexOf('@');
  const domain = at === -1 ? address : address.slice(at + 1);
  const local = at === -1 ? '' : address.slice(0, at);
  // templates.py: `((label)\+)?(id)@domain`; only the localhost entry matches without a user.
  if (at === -1 && !/^localhost(\.localdomain)?$/i.test(domain)) return undefined;
  const plus = local.indexOf('+');
  const id = plus === -1 ? local : local.slice(plus + 1);
  const template = EMAIL_TEMPLATES.find((t) => t.domain.test(domain));
  return template ? { template, id } : undefined;
}
