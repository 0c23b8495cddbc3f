import type { MonCampusCourse } from './course.js';

/**
 * A raw `/Home/Get` record as the real service sends it (values from reference/moncampus.md), for tests.
 * Kept as a plain data module (no logic to test) so several test files share one realistic shape.
 */
export function rawCourse(overrides: Partial<MonCampusCourse> = {}): MonCampusCourse {
  return {
    NoCours: 412345,
    NoGroupe: 1,
    Commentaire: 'Administration BDD: SQL Server',
    LibelleGroupe: 'Administration des bases de données',
    LibelleSemaine: 'S14',
    Matiere: 'Administration des BDD',
    Salles: 'B110-S(Bâtiment B)',
    NomEcole: 'IPI',
    LogoEcole: null,
    CoursMixtePicto: null,
    CoursMixteInfoBulle: null,
    FondCour: null,
    NomProf: 'CEZERA STÉPHANE',
    RecurrenceRule: null,
    RecurrenceID: null,
    RecurrenceException: null,
    Title: 'G1 Administration des BDD',
    Description: null,
    StartTimezone: null,
    EndTimezone: null,
    TeamsURL: null,
    TeamsUrl: null,
    LienTrack: null,
    Duree: 180,
    IsAllDay: false,
    // 08:30–11:30 Paris, disguised as UTC (the quirk): the UTC clock of these instants is the wall clock.
    Start: '2025-03-31T10:30:00+02:00',
    End: '2025-03-31T13:30:00+02:00',
    ColorRed: 120,
    ColorGreen: 200,
    ColorBlue: 80,
    Origine: 0,
    ...overrides,
  };
}
