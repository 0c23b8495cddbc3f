/** Where the API serves an invitation's form: `<base>/invite/<token>` (the pages come with the dashboard form). */
export const INVITE_PATH = '/invite/';

/** The link to give a classmate. The token is in it: it is shown to the owner once and never logged. */
export function invitationLink(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${INVITE_PATH}${encodeURIComponent(token)}`;
}
