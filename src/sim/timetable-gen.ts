import type { SimCourseSpec } from './moncampus.js';
import { createPrng, pick } from './prng.js';

export interface GenerateTimetableOptions {
  /** How many courses to produce. */
  count: number;
  /** First day considered, 'YYYY-MM-DD' (weekends are skipped). */
  start: string;
  /** Same seed, same timetable. */
  seed?: number;
}

/** The day's slots of the schools (Paris wall clock). */
export const SLOTS: readonly { start: string; end: string }[] = [
  { start: '08:30', end: '10:00' },
  { start: '10:15', end: '12:15' },
  { start: '13:30', end: '15:30' },
  { start: '15:45', end: '17:45' },
];

/** Share of slots left empty: real weeks have holes, so not every slot of a day is a class. */
const EMPTY_SLOT_RATE = 0.2;
/** Shares of the quirky values the reference mentions, high enough that any 50 courses meet each. */
const NO_ROOM_RATE = 0.1;
const REMOTE_RATE = 0.12;
const PLACEHOLDER_COMMENT_RATE = 0.1;
const NO_TEACHER_RATE = 0.1;
/** NoCours values look like the real ones (six or seven digits) and never collide. */
const FIRST_ID = 1_200_000;

const SUBJECTS: readonly { subject: string; detail: string }[] = [
  { subject: 'Administration des BDD', detail: 'Administration BDD: SQL Server' },
  { subject: 'Développement Web', detail: 'Développement Web: React et Node.js' },
  { subject: 'Réseaux', detail: 'Réseaux: routage et VLAN' },
  { subject: 'Anglais professionnel', detail: 'Anglais: présentations orales' },
  { subject: 'Gestion de projet', detail: 'Gestion de projet agile: Scrum' },
  { subject: 'Cybersécurité', detail: 'Cybersécurité: durcissement Linux' },
  { subject: 'Algorithmique', detail: 'Algorithmique: graphes' },
  { subject: 'Droit du numérique', detail: 'Droit: RGPD' },
  { subject: 'Cloud computing', detail: 'Cloud: conteneurs et orchestration' },
  { subject: 'Communication', detail: 'Communication écrite et orale' },
];
const ROOMS = ['B110-S(Bâtiment B)', 'B204(Bâtiment B)', 'A012(Bâtiment A)', 'A105-INFO(Bâtiment A)', 'C301(Bâtiment C)', 'Amphi 1(Bâtiment A)'];
const TEACHERS = ['CEZERA STÉPHANE', 'MARTIN CLAIRE', 'DUBOIS JÉRÔME', 'LEFÈVRE AMÉLIE', "N'DIAYE MOUSSA", 'GARCÍA LUCÍA', 'ROUSSEAU PAUL'];
const GROUPS = ['BACH3 DEV G1', 'BACH3 DEV G2', 'M1 EXPERT IT G1'];

function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * 86_400_000);
}

/** A realistic MonCampus timetable: weekdays, the four daily slots, varied rooms, teachers and quirks. */
export function generateTimetable(opts: GenerateTimetableOptions): SimCourseSpec[] {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.start) || Number.isNaN(Date.parse(`${opts.start}T00:00:00Z`))) {
    throw new Error(`generateTimetable: bad start '${opts.start}', want YYYY-MM-DD`);
  }
  const random = createPrng(opts.seed ?? 42);
  const out: SimCourseSpec[] = [];
  let id = FIRST_ID;
  for (let day = new Date(`${opts.start}T00:00:00Z`); out.length < opts.count; day = addDays(day, 1)) {
    const weekday = day.getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    const date = day.toISOString().slice(0, 10);
    for (const slot of SLOTS) {
      if (out.length >= opts.count) break;
      if (random() < EMPTY_SLOT_RATE) continue;
      const { subject, detail } = pick(random, SUBJECTS);
      const group = pick(random, GROUPS);
      const groupNo = /G(\d)$/.exec(group)?.[1] ?? '1';
      const remote = random() < REMOTE_RATE;
      const noRoom = !remote && random() < NO_ROOM_RATE;
      id += 1 + Math.floor(random() * 3);
      const meeting = `19%3ameeting_${id.toString(36)}${Math.floor(random() * 1e9).toString(36)}%40thread.v2`;
      out.push({
        id,
        title: `G${groupNo} ${subject}`,
        start: `${date}T${slot.start}`,
        end: `${date}T${slot.end}`,
        comment: random() < PLACEHOLDER_COMMENT_RATE ? 'COMMENTAIRE' : detail,
        subject,
        room: remote ? 'DISTANCIEL' : noRoom ? 'Aucune' : pick(random, ROOMS),
        teacher: random() < NO_TEACHER_RATE ? null : pick(random, TEACHERS),
        group,
        teamsUrl: remote ? `https://teams.microsoft.com/l/meetup-join/${meeting}/0?context=%7b%22Tid%22%3a%22igs%22%7d` : null,
      });
    }
  }
  return out;
}
