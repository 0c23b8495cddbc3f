/**
 * invite/: invitation links and the classmates' status-page tokens (issue 23). Owns `data/.invitations/`.
 * May import config, instance and lib (it sits beside instance/ in DESIGN's table); the CLI (`invite`,
 * `invites`) and the API's invitation pages call it.
 */
export {
  createInvitation,
  listInvitations,
  revokeInvitation,
  checkInvitation,
  redeemInvitation,
  invitationsDir,
  KEEP_ENDED_MS,
  type InviteStoreOptions,
  type InvitationState,
  type InvitationView,
  type InvitationCheck,
} from './invitations.js';
export { createInstanceToken, verifyInstanceToken, removeInstanceToken, instanceForToken } from './instance-tokens.js';
export { parseExpiry, DEFAULT_INVITATION_EXPIRY, MAX_INVITATION_EXPIRY_MS, MIN_INVITATION_EXPIRY_MS } from './expiry.js';
export { TOKEN_BYTES, isTokenShaped } from './tokens.js';
export { invitationLink, INVITE_PATH } from './link.js';
