import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configErrorsIn, humanErrorLine, personTime, stateWord } from './human.js';

describe('personTime', () => {
  it('shows an instant on the config zone clock in the reader language, never an ISO Z', () => {
    expect(personTime('2026-12-08T08:00:00.000Z', 'Europe/Paris', 'fr')).toBe('mar. 8 déc. 09:00');
    expect(personTime('2026-12-08T08:00:00.000Z', 'America/Montreal', 'en')).toBe('Tue 8 Dec 03:00');
  });

  it('shows a value it cannot read as it is', () => {
    expect(personTime('not a time', 'Europe/Paris', 'fr')).toBe('not a time');
  });
});

describe('stateWord', () => {
  it('keeps the English words scripts know, and speaks French from the dashboard catalogue', () => {
    expect(stateWord('state', 'running', 'en')).toBe('running');
    expect(stateWord('outcome', 'success', 'en')).toBe('success');
    expect(stateWord('state', 'running', 'fr')).not.toBe('running');
    expect(stateWord('state', 'no-such-state', 'fr')).toBe('no-such-state');
  });
});

describe('humanErrorLine', () => {
  it('puts the time on the config clock and keeps the code and the sentence as written', () => {
    const line = '2026-12-08T07:00:00.000Z login [login.refused] MonCampus refuse la connexion (identifiant ou mot de passe) : x';
    expect(humanErrorLine(line, 'Europe/Paris', 'fr')).toBe(
      'mar. 8 déc. 08:00 login [login.refused] MonCampus refuse la connexion (identifiant ou mot de passe) : x',
    );
    expect(humanErrorLine('2026-12-08T07:00:00.000Z fetch no answer', 'Europe/Paris', 'en')).toBe('Tue 8 Dec 08:00 fetch no answer');
    expect(humanErrorLine('a line of another format', 'Europe/Paris', 'en')).toBe('a line of another format');
  });
});

describe('configErrorsIn', () => {
  it('says why each config cannot be loaded in the asked language, and nothing for a valid one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cs-human-'));
    try {
      await writeFile(join(dir, 'alice.yml'), 'moncampus:\n  username: a\n  password: p\n');
      await writeFile(join(dir, 'bob.yml'), 'moncampus:\n  username: b\n  password: p\n  colour: blue\n');
      const fr = await configErrorsIn(dir, 'fr');
      expect([...fr.keys()]).toEqual(['bob']);
      expect(fr.get('bob')).toMatch(/bob\.yml: moncampus\.colour: clé inconnue$/);
      expect((await configErrorsIn(dir, 'en')).get('bob')).toMatch(/bob\.yml: moncampus\.colour: unknown key$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
