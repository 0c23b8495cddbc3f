import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { csrfAllows, identify, parseCookies, requestOrigin, SESSION_COOKIE, type Caller, type Sessions } from '../dashboard/auth.js';

/**
 * Who posts to the guided form, and whether the post came from its page (issue 23: CSRF on every form). The owner
 * is recognised by the dashboard's login (its session cookie or x-api-key, dashboard/auth.ts); an invitee by the
 * invitation token in the body, checked by the caller against data/.invitations. Each page carries an anti-CSRF
 * token, an HMAC under this process's secret of what identifies the page's visitor (the session cookie, or the
 * invitation), sent back as `x-csrf-token`: another site can neither read it nor make a browser send it.
 */

export const CSRF_HEADER = 'x-csrf-token';

export interface Guard {
  /** The owner as the dashboard knows them, or null. */
  owner(headers: IncomingHttpHeaders, now: Date): Caller;
  /** The page's token for this visitor: `invite:<token>` or the owner's session cookie. */
  csrfFor(subject: string): string;
  /**
   * A post is let through when it is not cross-site and carries the page's token; the owner's x-api-key (a script,
   * never a browser another site drives) needs none, as on the dashboard.
   */
  allows(headers: IncomingHttpHeaders, subject: string, caller?: Caller): boolean;
  /** The owner's subject for csrfFor: their session cookie value (empty with a key). */
  ownerSubject(headers: IncomingHttpHeaders): string;
}

export function createGuard(opts: { sessions: Sessions; keyMatches: (k: string | string[] | undefined) => boolean; secret?: Buffer }): Guard {
  const secret = opts.secret ?? randomBytes(32);
  const mac = (subject: string): Buffer => createHmac('sha256', secret).update(`onboard-csrf|${subject}`).digest();
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
  return {
    owner: (headers, now) => identify(headers, { keyMatches: opts.keyMatches, sessions: opts.sessions, now }),
    csrfFor: (subject) => mac(subject).toString('base64url'),
    ownerSubject: (headers) => `owner:${parseCookies(one(headers.cookie))[SESSION_COOKIE] ?? ''}`,
    allows(headers, subject, caller) {
      if (caller?.by === 'key') return csrfAllows(caller, headers);
      if (requestOrigin(headers) === 'cross') return false;
      const given = Buffer.from(one(headers[CSRF_HEADER]) ?? '', 'base64url');
      const expected = mac(subject);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
