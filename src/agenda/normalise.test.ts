import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { buildDetails, extractTeamsUrls, normaliseCourse, normaliseCourses, parseMonCampusWallClock, privateLink, UnusableCourseError } from './normalise.js';
import { rawCourse } from './fixtures.test-data.js';

const PARIS = { timezone: 'Europe/Paris' };

describe('normaliseCourse: the time-zone quirk', () => {
  it('reads the UTC clock of the instant as the Paris wall clock, summer and winter', () => {
    const summer = normaliseCourse(rawCourse({ Start: '2025-06-10T10:30:00+02:00', End: '2025-06-10T12:30:00+02:00' }), PARIS);
    expect(summer.start).toBe('2025-06-10T08:30:00+02:00');
    expect(summer.end).toBe('2025-06-10T10:30:00+02:00');
    const winter = normaliseCourse(rawCourse({ Start: '2025-01-10T09:30:00+01:00', End: '2025-01-10T12:30:00+01:00' }), PARIS);
    expect(winter.start).toBe('2025-01-10T08:30:00+01:00');
    expect(winter.end).toBe('2025-01-10T11:30:00+01:00');
    expect(winter.timezone).toBe('Europe/Paris');
  });

  it('keeps 08:30 at 08:30 on both sides of the spring change (30 March 2025)', () => {
    const friday = normaliseCourse(rawCourse({ Start: '2025-03-28T09:30:00+01:00', End: '2025-03-28T12:30:00+01:00' }), PARIS);
    const monday = normaliseCourse(rawCourse({ Start: '2025-03-31T10:30:00+02:00', End: '2025-03-31T13:30:00+02:00' }), PARIS);
    expect(friday.start).toBe('2025-03-28T08:30:00+01:00');
    expect(monday.start).toBe('2025-03-31T08:30:00+02:00');
    expect(monday.end).toBe('2025-03-31T11:30:00+02:00');
  });

  it('keeps 08:30 at 08:30 on both sides of the autumn change (26 October 2025)', () => {
    const friday = normaliseCourse(rawCourse({ Start: '2025-10-24T10:30:00+02:00', End: '2025-10-24T12:00:00+02:00' }), PARIS);
    const monday = normaliseCourse(rawCourse({ Start: '2025-10-27T09:30:00+01:00', End: '2025-10-27T11:00:00+01:00' }), PARIS);
    expect(friday.start).toBe('2025-10-24T08:30:00+02:00');
    expect(monday.start).toBe('2025-10-27T08:30:00+01:00');
    expect(monday.end).toBe('2025-10-27T10:00:00+01:00');
  });

  it('reads ASP.NET /Date(ms)/ by the same rule, with or without the offset suffix', () => {
    // 1727676000000 = 2024-09-30T06:00:00Z → 06:00 on the wall clock.
    const e = normaliseCourse(rawCourse({ Start: '/Date(1727676000000)/', End: '/Date(1727683200000+0200)/' }), PARIS);
    expect(e.start).toBe('2024-09-30T06:00:00+02:00');
    expect(e.end).toBe('2024-09-30T08:00:00+02:00');
    // 08:30 on Monday 31 March 2025, as the UTC clock of the instant.
    expect(normaliseCourse(rawCourse({ Start: '/Date(1743409800000)/', End: '' }), PARIS).start).toBe('2025-03-31T08:30:00+02:00');
  });

  it('reads Z and offset-less strings as the wall clock itself', () => {
    expect(normaliseCourse(rawCourse({ Start: '2025-03-31T08:30:00Z' }), PARIS).start).toBe('2025-03-31T08:30:00+02:00');
    expect(normaliseCourse(rawCourse({ Start: '2025-03-31T08:30:00' }), PARIS).start).toBe('2025-03-31T08:30:00+02:00');
  });

  it('reads `YYYY-MM-DD HH:MM:SS` (a space instead of T) as the wall clock, not as unreadable', () => {
    const e = normaliseCourse(rawCourse({ Start: '2025-03-31 08:30:00', End: '2025-03-31 10:00:00' }), PARIS);
    expect(e.start).toBe('2025-03-31T08:30:00+02:00');
    expect(e.end).toBe('2025-03-31T10:00:00+02:00');
    expect(parseMonCampusWallClock('2025-01-10 09:30')?.toISO()).toBe('2025-01-10T09:30:00.000Z');
    // Only the date/time separator is forgiven: a space elsewhere stays unreadable.
    expect(parseMonCampusWallClock('2025-01-10 9:30')).toBeNull();
  });

  it('places the wall clock in the zone asked for', () => {
    const e = normaliseCourse(rawCourse(), { timezone: 'America/Martinique' });
    expect(e.start).toBe('2025-03-31T08:30:00-04:00');
    expect(normaliseCourse(rawCourse(), { timezone: 'UTC' }).start).toBe('2025-03-31T08:30:00+00:00');
  });

  it('round-trips any wall clock the way MonCampus encodes it (property)', () => {
    const minute = 60_000;
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2027, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: from / minute, max: to / minute }), (m) => {
        const wall = DateTime.fromMillis(m * minute, { zone: 'utc' });
        const inParis = DateTime.fromObject(
          { year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute },
          { zone: 'Europe/Paris' },
        );
        fc.pre(inParis.hour === wall.hour); // the spring-forward gap has no such wall clock
        // MonCampus: the wall clock as a UTC instant, printed with the server's Paris offset.
        const raw = wall.setZone('Europe/Paris').toISO() ?? '';
        const e = normaliseCourse(rawCourse({ Start: raw, End: '', Duree: 90 }), PARIS);
        const back = DateTime.fromISO(e.start, { setZone: true });
        expect(back.toFormat('yyyy-MM-dd HH:mm')).toBe(wall.toFormat('yyyy-MM-dd HH:mm'));
        expect(back.offset).toBe(inParis.offset);
        expect(DateTime.fromISO(e.end).diff(back, 'minutes').minutes).toBe(90);
      }),
      { numRuns: 300 },
    );
  });
});

describe('normaliseCourse: fields', () => {
  it('maps a full record', () => {
    expect(normaliseCourse(rawCourse(), PARIS)).toEqual({
      sourceId: '412345',
      title: 'Administration BDD: SQL Server',
      location: 'B110-S(Bâtiment B)',
      start: '2025-03-31T08:30:00+02:00',
      end: '2025-03-31T11:30:00+02:00',
      timezone: 'Europe/Paris',
      allDay: false,
      teacher: 'CEZERA STÉPHANE',
      groupLabel: 'Administration des bases de données',
      teamsUrls: [],
      remote: false,
      details: 'Intervenant : CEZERA STÉPHANE\nNom complet du cours : Administration des bases de données',
    });
  });

  it('falls back from the COMMENTAIRE placeholder or an empty comment to Matiere, then to Title without its group prefix', () => {
    expect(normaliseCourse(rawCourse({ Commentaire: 'COMMENTAIRE' }), PARIS).title).toBe('Administration des BDD');
    expect(normaliseCourse(rawCourse({ Commentaire: ' commentaire ' }), PARIS).title).toBe('Administration des BDD');
    expect(normaliseCourse(rawCourse({ Commentaire: '   ', Matiere: null }), PARIS).title).toBe('Administration des BDD');
    expect(normaliseCourse(rawCourse({ Commentaire: null, Matiere: null, Title: 'G12 Réseaux' }), PARIS).title).toBe('Réseaux');
    // The prefix is only stripped from Title, never from a comment that happens to look like one.
    expect(normaliseCourse(rawCourse({ Commentaire: 'G2 Soutenance' }), PARIS).title).toBe('G2 Soutenance');
    expect(normaliseCourse(rawCourse({ Commentaire: null, Matiere: '', Title: null, LibelleGroupe: 'Anglais' }), PARIS).title).toBe('Anglais');
  });

  it('treats "Aucune" and null rooms as no location, and DISTANCIEL as remote', () => {
    expect(normaliseCourse(rawCourse({ Salles: 'Aucune' }), PARIS).location).toBe('');
    expect(normaliseCourse(rawCourse({ Salles: null }), PARIS).location).toBe('');
    const remote = normaliseCourse(rawCourse({ Salles: 'Distanciel' }), PARIS);
    expect(remote.remote).toBe(true);
    expect(remote.location).toBe('Distanciel');
  });

  it('takes every Teams link of both fields, decoded and deduped, and marks the course remote', () => {
    const url1 = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_A%40thread.v2/0?context=%7b%22Tid%22%7d&amp;x=1';
    const url2 = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_B%40thread.v2/0';
    const e = normaliseCourse(
      rawCourse({
        NomProf: '  DUPONT Marie ',
        TeamsUrl: `<a href="${url1}" target="_blank"><img src="/Content/MTeams_G1.png"></a><a href='${url2}'><img src="/Content/MTeams_G2.png"></a>`,
        TeamsURL: `<a href="${url1}"><img src="x.png"></a>`,
      }),
      PARIS,
    );
    const decoded1 = url1.replace('&amp;', '&');
    expect(e.teamsUrls).toEqual([decoded1, url2]);
    expect(e.remote).toBe(true);
    expect(e.teacher).toBe('DUPONT Marie');
    expect(e.details).toBe(
      `Intervenant : DUPONT Marie\nNom complet du cours : Administration des bases de données\nLien Teams : ${decoded1}\nLien Teams : ${url2}`,
    );
  });

  it('derives the end from Duree when End is missing', () => {
    expect(normaliseCourse(rawCourse({ End: '', Duree: 45 }), PARIS).end).toBe('2025-03-31T09:15:00+02:00');
  });

  it('rejects unusable records with a reason', () => {
    const reason = (o: Parameters<typeof rawCourse>[0]) => {
      try {
        normaliseCourse(rawCourse(o), PARIS);
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(UnusableCourseError);
        return (err as UnusableCourseError).reason;
      }
    };
    expect(reason({ Start: '' })).toBe('no start');
    expect(reason({ Start: 'lundi matin' })).toBe('unreadable start "lundi matin"');
    expect(reason({ End: '', Duree: null })).toBe('no end');
    expect(reason({ End: '2025-03-31T10:30:00+02:00' })).toBe('end is not after start');
    expect(reason({ End: '2025-03-31T09:30:00+02:00' })).toBe('end is not after start');
  });

  it('refuses an unknown time zone instead of guessing', () => {
    expect(() => normaliseCourse(rawCourse(), { timezone: 'Europe/Pariss' })).toThrow(RangeError);
    expect(() => normaliseCourses([rawCourse()], { timezone: 'Mars/Olympus' })).toThrow(RangeError);
  });
});

describe('normaliseCourses', () => {
  it('skips unusable records with their id and reason, dedupes repeats, sorts by start', () => {
    const { events, skipped } = normaliseCourses(
      [
        rawCourse({ NoCours: 3, Start: '2025-03-31T14:00:00+02:00', End: '2025-03-31T16:00:00+02:00', Commentaire: 'Anglais' }),
        rawCourse({ NoCours: 1 }),
        rawCourse({ NoCours: 2, Start: '' }),
        rawCourse({ NoCours: 1 }), // the same record twice (overlapping weeks)
        rawCourse({ NoCours: 4, End: '2025-03-31T10:00:00+02:00' }),
      ],
      PARIS,
    );
    expect(events.map((e) => [e.sourceId, e.start])).toEqual([
      ['1', '2025-03-31T08:30:00+02:00'],
      ['3', '2025-03-31T12:00:00+02:00'],
    ]);
    expect(skipped).toEqual([
      { sourceId: '2', reason: 'no start' },
      { sourceId: '4', reason: 'end is not after start' },
    ]);
  });

  it('returns nothing for nothing', () => {
    expect(normaliseCourses([], PARIS)).toEqual({ events: [], skipped: [] });
  });
});

describe('extractTeamsUrls', () => {
  it('handles null, empty, bare URLs, unquoted hrefs and non-http links', () => {
    expect(extractTeamsUrls(null)).toEqual([]);
    expect(extractTeamsUrls(undefined)).toEqual([]);
    expect(extractTeamsUrls('')).toEqual([]);
    expect(extractTeamsUrls('https://teams.microsoft.com/l/x?a=1&amp;b=2')).toEqual(['https://teams.microsoft.com/l/x?a=1&b=2']);
    expect(extractTeamsUrls('<a href=https://t.example/a>x</a><A HREF="mailto:x@y.z">m</A>')).toEqual(['https://t.example/a']);
    expect(extractTeamsUrls('<a href="https://t.example/&#x3F;q&#61;1">x</a>')).toEqual(['https://t.example/?q=1']);
    expect(extractTeamsUrls('<img src="MTeams_G1.png">')).toEqual([]);
  });
});

describe('privateLink: no personal redirect reaches a calendar', () => {
  const teams = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_X%40thread.v2/0?context=%7b%7d';
  it('keeps Teams links as they are', () => {
    expect(privateLink(teams)).toBe(teams);
  });
  it('takes the Teams link a redirect carries in a parameter', () => {
    expect(privateLink(`https://ws-edt-igs.wigorservices.net/Home/Teams?Tel=jean.dupont&url=${encodeURIComponent(teams)}`)).toBe(teams);
  });
  it('drops Tel=<login> and hash-like parameters from a redirect it cannot resolve', () => {
    const link = 'https://ws-edt-igs.wigorservices.net/Home/LienTeams?IdCours=103&Tel=jean.dupont&Hash=9f86d081884c7d659a2feaa0c55ad015';
    expect(privateLink(link)).toBe('https://ws-edt-igs.wigorservices.net/Home/LienTeams?IdCours=103');
    expect(privateLink('https://x.example/r?k=AbCdEfGhIjKlMnOpQrStUvWxYz012345&id=7')).toBe('https://x.example/r?id=7');
  });
  it('applies to every Teams field of a course', () => {
    const e = normaliseCourse(
      rawCourse({
        TeamsUrl: '<a href="https://ws-edt-igs.wigorservices.net/Home/LienTeams?IdCours=1&amp;Tel=jean.dupont&amp;Hash=9f86d081884c7d659a2feaa0c55ad015"></a>',
      }),
      PARIS,
    );
    expect(e.teamsUrls).toEqual(['https://ws-edt-igs.wigorservices.net/Home/LienTeams?IdCours=1']);
    expect(e.details).not.toContain('jean.dupont');
  });
});

describe('buildDetails', () => {
  it('omits the lines whose value is missing', () => {
    expect(buildDetails({ teacher: null, groupLabel: null, teamsUrls: [] })).toBe('');
    expect(buildDetails({ teacher: null, groupLabel: 'Anglais B2', teamsUrls: ['https://t/1'] })).toBe(
      'Nom complet du cours : Anglais B2\nLien Teams : https://t/1',
    );
  });
});

describe('parseMonCampusWallClock', () => {
  it('returns null for what it cannot read', () => {
    expect(parseMonCampusWallClock(null)).toBeNull();
    expect(parseMonCampusWallClock('/Date(abc)/')).toBeNull();
    expect(parseMonCampusWallClock('2025-13-40T00:00:00Z')).toBeNull();
  });
});
