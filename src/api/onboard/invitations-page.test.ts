import { describe, expect, it } from 'vitest';
import type { InvitationView } from '../../invite/index.js';
import { invitationsSection, stateText } from './invitations-page.js';

const base = { createdAt: '2026-12-01T08:00:00.000Z', expiresAt: '2026-12-08T08:00:00.000Z' };
const list: InvitationView[] = [
  { id: 'aaaaaaaaaaaa', state: 'pending', ...base },
  { id: 'bbbbbbbbbbbb', state: 'used', usedAt: '2026-12-02T09:30:00.000Z', instance: 'lea', ...base },
  { id: 'cccccccccccc', state: 'expired', ...base },
  { id: 'dddddddddddd', state: 'revoked', revokedAt: '2026-12-03T10:00:00.000Z', ...base },
];

describe('the invitations list', () => {
  it('says each state in the page’s language, a used one with the instance it made', () => {
    expect(list.map((v) => stateText(v, 'fr'))).toEqual(['en attente', expect.stringMatching(/^utilisée — utilisée pour lea le /), 'expirée', 'révoquée']);
    expect(stateText(list[1] as InvitationView, 'en')).toMatch(/^used — used for lea on /);
  });

  it('offers Revoke on a pending one only, named for screen readers, with headers for each column', () => {
    const html = invitationsSection(list, 'en');
    expect(html.match(/data-revoke=/g)).toHaveLength(1);
    expect(html).toContain('data-revoke="aaaaaaaaaaaa" aria-label="Revoke the invitation created');
    expect(html.match(/<th scope="col">/g)).toHaveLength(4);
    expect(invitationsSection([], 'fr')).toContain('Aucune invitation pour l’instant.');
  });
});
