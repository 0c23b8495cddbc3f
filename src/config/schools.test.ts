import { describe, expect, it } from 'vitest';
import { renderText } from '../lib/index.js';
import { SCHOOL_GROUPS, timetableUrlFor } from './schools.js';

describe('timetableUrlFor', () => {
  it('maps a group, its label, or one of its schools to its timetable host (reference/moncampus.md "Hosts")', () => {
    expect(timetableUrlFor('igensia')).toEqual({ url: 'https://ws-edt-igs.wigorservices.net' });
    expect(timetableUrlFor('cd')).toEqual({ url: 'https://ws-edt-cd.wigorservices.net' });
    expect(timetableUrlFor(' C&D ')).toEqual({ url: 'https://ws-edt-cd.wigorservices.net' });
    expect(timetableUrlFor('EPSI')).toEqual({ url: SCHOOL_GROUPS.cd.url });
    expect(timetableUrlFor('IDRAC')).toEqual({ url: SCHOOL_GROUPS.cd.url });
    expect(timetableUrlFor('idrac business school')).toEqual({ url: SCHOOL_GROUPS.cd.url });
    expect(timetableUrlFor('ipi')).toEqual({ url: SCHOOL_GROUPS.igensia.url });
    expect(timetableUrlFor('american business college')).toEqual({ url: SCHOOL_GROUPS.igensia.url });
  });

  it('takes a URL as given, without a trailing slash', () => {
    expect(timetableUrlFor('http://127.0.0.1:4567/')).toEqual({ url: 'http://127.0.0.1:4567' });
    expect(timetableUrlFor('https://ws-edt-cd.wigorservices.net')).toEqual({ url: 'https://ws-edt-cd.wigorservices.net' });
  });

  it('names what it accepts when it does not know the answer', () => {
    const r = timetableUrlFor('sorbonne');
    expect(r).toMatchObject({ error: expect.stringMatching(/^"sorbonne" is not a school group: answer igensia \(ipi, .*cd \(epsi, .*timetable host's URL$/) });
    expect(timetableUrlFor('http://')).toMatchObject({ error: '"http://" is not a URL' });
  });

  it('says it in French too, the answer quoted as typed', () => {
    const r = timetableUrlFor('sorbonne');
    expect('text' in r && renderText(r.text, 'fr')).toMatch(
      /^"sorbonne" n’est pas un groupe d’écoles : répondez igensia \(ipi, .*\), cd \(epsi, .*\), le nom d’une école ou l’URL de l’hôte de l’emploi du temps$/,
    );
    const u = timetableUrlFor('http://');
    expect('text' in u && renderText(u.text, 'fr')).toBe('"http://" n’est pas une URL');
  });
});
