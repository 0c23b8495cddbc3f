import { isIP } from 'node:net';
import { DISCORD_API_URL, SLACK_API_URL, SLACK_HOOKS_URL } from './apprise.js';
import { serviceDefaults } from './load.js';
import { NTFY_CLOUD_URL, PUSHOVER_API_URL, T2BOT_HOOK_URL, TELEGRAM_API_URL } from './push-schemas.js';
import { CAS_ORIGINS, SCHOOL_GROUPS, type SchoolGroup } from './schools.js';

/**
 * Which hosts a check may make the server contact (issue 23; DESIGN "a 'check this URL' button: a door into
 * the home network"). The owner's checks are not restricted: the owner already controls the machine. An
 * invitee's are: only the chosen school's timetable host and the CAS servers, the ECAL the owner configured,
 * and the notification services' own public hosts. Never a host the invitee typed: a URL is allowed only
 * when its origin (scheme, host, port) is exactly one of those, so IP literals, localhost, private ranges,
 * look-alike and self-hosted servers all fall outside. Pure: the callers pass the URL they are about to call.
 */

/**
 * Notification services with one fixed public host, from the channel constants (config/apprise.ts,
 * config/push-schemas.ts): Discord (and its legacy discordapp.com, which Apprise accepts), Slack, ntfy.sh,
 * Telegram, Pushover, t2bot's Matrix hooks. Self-hosted ones (Gotify, a Matrix homeserver, ntfy on one's own
 * server, webhooks, SMTP) have none, so an invitee cannot use them.
 */
export const PUBLIC_NOTIFY_ORIGINS: readonly string[] = [
  new URL(DISCORD_API_URL).origin,
  'https://discordapp.com',
  new URL(SLACK_HOOKS_URL).origin,
  new URL(SLACK_API_URL).origin,
  new URL(NTFY_CLOUD_URL).origin,
  new URL(TELEGRAM_API_URL).origin,
  new URL(PUSHOVER_API_URL).origin,
  new URL(T2BOT_HOOK_URL).origin,
];

export type HostPolicy = { role: 'owner' } | { role: 'invitee'; origins: ReadonlySet<string> };

export const OWNER_POLICY: HostPolicy = { role: 'owner' };

export interface InviteePolicyOptions {
  school: SchoolGroup;
  /**
   * The environment the owner runs campus-sync with: `CAMPUS_SYNC_MONCAMPUS_URL`, `CAMPUS_SYNC_CAS_URL` and
   * `CAMPUS_SYNC_ECAL_URL` move the services (a proxy, the demo's simulators), and the invitee follows them.
   */
  env?: NodeJS.ProcessEnv;
  /** More origins the OWNER allows (never from an invitee's input): tests point notifications at simulators. */
  ownerOrigins?: readonly string[];
}

/** The timetable host an invitee of `school` gets: the owner's override if set, else the school group's. */
export function inviteeTimetableUrl(school: SchoolGroup, env: NodeJS.ProcessEnv = process.env): string {
  return env.CAMPUS_SYNC_MONCAMPUS_URL || SCHOOL_GROUPS[school].url;
}

export function inviteePolicy(opts: InviteePolicyOptions): HostPolicy {
  const env = opts.env ?? process.env;
  const services = serviceDefaults(env);
  const origins = new Set<string>([
    new URL(inviteeTimetableUrl(opts.school, env)).origin,
    ...CAS_ORIGINS,
    ...(services.casUrl ? [new URL(services.casUrl).origin] : []),
    new URL(services.ecalUrl).origin,
    ...PUBLIC_NOTIFY_ORIGINS,
    ...(opts.ownerOrigins ?? []).map((o) => new URL(o).origin),
  ]);
  return { role: 'invitee', origins };
}

/**
 * What the status page's password check may contact (issue 23: its visitor is an invitee, who types a password,
 * never a URL): the config's own timetable and CAS hosts (written by the owner, or under the invitation's
 * policy), the schools' CAS servers and the owner's CAS override. The MonCampus client asks it again before each
 * redirect it is told to follow, so a timetable server cannot send the check elsewhere.
 */
export function configHostsPolicy(moncampus: { url: string; casUrl?: string | undefined }, env: NodeJS.ProcessEnv = process.env): HostPolicy {
  const cas = serviceDefaults(env).casUrl;
  const origins = new Set<string>([
    new URL(moncampus.url).origin,
    ...(moncampus.casUrl ? [new URL(moncampus.casUrl).origin] : []),
    ...CAS_ORIGINS,
    ...(cas ? [new URL(cas).origin] : []),
  ]);
  return { role: 'invitee', origins };
}

export type RefusalReason = 'not-a-url' | 'userinfo' | 'ip-literal' | 'local-name' | 'not-allowed';

export type HostVerdict = { ok: true } | { ok: false; reason: RefusalReason; host: string };

/** `localhost`, `*.localhost`, and names only a home network resolves (mDNS `.local`, `.lan`, `.home.arpa`, `.internal`). */
const LOCAL_NAME = /(^|\.)(localhost|local|lan|home|internal|intranet|home\.arpa)\.?$/i;
/** Spellings WHATWG URL turns into an IPv4 address for http(s) but not for other schemes (`smtp://2130706433`). */
const NUMERIC_HOST = /^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}\.?$/i;

function classify(host: string): RefusalReason {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0 || NUMERIC_HOST.test(bare)) return 'ip-literal';
  if (LOCAL_NAME.test(bare) || !bare.includes('.')) return 'local-name';
  return 'not-allowed';
}

/**
 * May a check under `policy` contact `url`? For an invitee: only an exact origin of the policy, over the
 * canonical form the HTTP client itself will use (WHATWG URL: lower case, punycode, decimal IPs resolved);
 * credentials in the URL, whitespace or control characters are refused outright.
 */
export function mayContact(policy: HostPolicy, url: string): HostVerdict {
  if (policy.role === 'owner') return { ok: true };
  // The URL parser silently drops tabs and newlines inside a URL: a string that holds any is not one we trust.
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return { ok: false, reason: 'not-a-url', host: '' };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, reason: 'not-a-url', host: '' };
  }
  if (u.host === '') return { ok: false, reason: 'not-a-url', host: '' };
  if (u.username !== '' || u.password !== '') return { ok: false, reason: 'userinfo', host: u.host };
  if (policy.origins.has(u.origin)) return { ok: true };
  // A non-http scheme has origin "null": compare scheme and host by hand (smtp://… never matches an https origin).
  if (u.origin === 'null' && policy.origins.has(`${u.protocol}//${u.host}`)) return { ok: true };
  return { ok: false, reason: classify(u.hostname), host: u.host };
}
