import { DEFAULT_TIMEZONE } from '../../config/index.js';
import type { InvitationView } from '../../invite/index.js';
import { formatWhen, translator, type Locale } from '../../lib/index.js';
import { esc } from '../dashboard/html.js';

/**
 * The owner's invitations on their page (issue 23, "listed with its state, revocable"): created, expires, state
 * (pending, used for which instance, expired, revoked), and a Revoke button on a pending one. Built from the
 * store's views (invite/invitations.ts `listInvitations`, as `campus-sync invites` lists them): an id and times,
 * never a token or its hash.
 */

/** One invitation's state, as the CLI says it (`invite.state.*`), with the instance a used one made. */
export function stateText(v: InvitationView, locale: Locale): string {
  const t = translator(locale);
  const state = t(`invite.state.${v.state}`);
  if (v.state === 'used' && v.instance && v.usedAt)
    return `${state} — ${t('invite.usedFor', { instance: v.instance, at: formatWhen(v.usedAt, DEFAULT_TIMEZONE, locale) })}`;
  return state;
}

function row(v: InvitationView, locale: Locale): string {
  const t = translator(locale);
  const created = formatWhen(v.createdAt, DEFAULT_TIMEZONE, locale);
  const action =
    v.state === 'pending'
      ? `<button type="button" class="secondary" data-revoke="${esc(v.id)}" aria-label="${esc(t('onboardEdit.invites.revokeLabel', { created }))}">${esc(t('onboardEdit.invites.revoke'))}</button>`
      : '';
  return `<tr id="invitation-${esc(v.id)}" data-state="${v.state}">
  <td>${esc(created)}</td>
  <td>${esc(formatWhen(v.expiresAt, DEFAULT_TIMEZONE, locale))}</td>
  <td class="invitation-state">${esc(stateText(v, locale))}</td>
  <td>${action}</td>
</tr>`;
}

export function invitationsSection(list: readonly InvitationView[], locale: Locale): string {
  const t = translator(locale);
  const table =
    list.length === 0
      ? `<p class="hint" id="invitations-empty">${esc(t('onboardEdit.invites.empty'))}</p>`
      : `<table id="invitations-table">
<thead><tr><th scope="col">${esc(t('onboardEdit.invites.created'))}</th><th scope="col">${esc(t('onboardEdit.invites.expires'))}</th><th scope="col">${esc(t('onboardEdit.invites.state'))}</th><th scope="col">${esc(t('onboardEdit.invites.action'))}</th></tr></thead>
<tbody>${list.map((v) => row(v, locale)).join('')}</tbody>
</table>`;
  return `<section class="card" id="invitations" aria-labelledby="invitations-title">
  <h2 id="invitations-title">${esc(t('onboardEdit.invites.title'))}</h2>
  ${table}
  <p class="result" id="invitations-result" role="status" aria-live="polite"></p>
</section>`;
}
