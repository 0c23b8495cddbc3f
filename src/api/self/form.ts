import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The CSRF field of the status page's forms: an HMAC of the page's token under a secret of this process, so a
 * form can only be posted by someone who was shown the page (the request must also not come from another site:
 * api/dashboard/auth.ts requestOrigin). Random per process by default: a restart only asks for a reload.
 */
export function createFormTokens(secret: Buffer = randomBytes(32)): { issue(scope: string): string; verify(scope: string, presented: unknown): boolean } {
  const issue = (scope: string): string => createHmac('sha256', secret).update(`campus-sync self form\0${scope}`).digest('base64url');
  return {
    issue,
    verify(scope, presented) {
      if (typeof presented !== 'string') return false;
      const want = Buffer.from(issue(scope));
      const got = Buffer.from(presented);
      // Compared only at equal lengths (timingSafeEqual's rule); a wrong length is a wrong token.
      return got.length === want.length && timingSafeEqual(got, want);
    },
  };
}

/** An urlencoded form body (what a plain HTML form posts); anything else reads as an empty form. */
export function formFields(body: Buffer | undefined, contentType: unknown): URLSearchParams {
  if (typeof contentType !== 'string' || !/^application\/x-www-form-urlencoded\b/i.test(contentType)) return new URLSearchParams();
  return new URLSearchParams((body ?? Buffer.alloc(0)).toString('utf8'));
}

/** A write refused by the file system: configs/ mounted read-only (an older compose.yml), or not ours to write. */
export function isReadOnlyError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}
