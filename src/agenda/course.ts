import { z } from 'zod';

/**
 * One record of MonCampus `/Home/Get` (field names and types as the public scrapers read them; see
 * reference/moncampus.md). `NoCours` is the course's identity.
 */
export interface MonCampusCourse {
  NoCours: number;
  NoGroupe: number;
  Commentaire: string | null;
  LibelleGroupe: string | null;
  LibelleSemaine: string | null;
  Matiere: string | null;
  Salles: string | null;
  NomEcole: string | null;
  LogoEcole: string | null;
  CoursMixtePicto: string | null;
  CoursMixteInfoBulle: string | null;
  FondCour: string | null;
  NomProf: string | null;
  RecurrenceRule: string | null;
  RecurrenceID: string | null;
  RecurrenceException: string | null;
  Title: string | null;
  Description: string | null;
  StartTimezone: string | null;
  EndTimezone: string | null;
  TeamsURL: string | null;
  TeamsUrl: string | null;
  LienTrack: string | null;
  /** Minutes. */
  Duree: number | null;
  IsAllDay: boolean;
  /** ISO with a (misleading) offset, or ASP.NET `/Date(ms)/`; see normalise.ts for the time-zone quirk. */
  Start: string;
  End: string;
  ColorRed: number;
  ColorGreen: number;
  ColorBlue: number;
  Origine: number;
}

// Lenient on purpose: one odd field (a number where a string was expected, a missing colour) must not
// throw away a whole timetable; only a record without an identity is unusable.
const text = z.string().nullable().catch(null);
const int = z.number().catch(0);

/** NoCours sometimes travels as a numeric string in hand-made exports; accept both. */
const noCours = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d+$/)
    .transform((s) => Number(s)),
]);

export const monCampusCourseSchema = z.object({
  NoCours: noCours,
  NoGroupe: int,
  Commentaire: text,
  LibelleGroupe: text,
  LibelleSemaine: text,
  Matiere: text,
  Salles: text,
  NomEcole: text,
  LogoEcole: text,
  CoursMixtePicto: text,
  CoursMixteInfoBulle: text,
  FondCour: text,
  NomProf: text,
  RecurrenceRule: text,
  RecurrenceID: text,
  RecurrenceException: text,
  Title: text,
  Description: text,
  StartTimezone: text,
  EndTimezone: text,
  TeamsURL: text,
  TeamsUrl: text,
  LienTrack: text,
  Duree: z.number().nullable().catch(null),
  IsAllDay: z.boolean().catch(false),
  // An empty string is kept (not rejected) so normalisation can report the record as skipped with a reason.
  Start: z.string().catch(''),
  End: z.string().catch(''),
  ColorRed: int,
  ColorGreen: int,
  ColorBlue: int,
  Origine: int,
});

// Compile-time check that the schema and the hand-written interface agree in both directions.
type Parsed = z.infer<typeof monCampusCourseSchema>;
const _schemaMatchesInterface: [Parsed] extends [MonCampusCourse] ? ([MonCampusCourse] extends [Parsed] ? true : never) : never = true;
void _schemaMatchesInterface;

/** Kendo DataSourceResult; `Data` may be null when there is nothing. A bare array is accepted too. */
const envelopeSchema = z.union([
  z.object({
    Data: z.array(z.unknown()).nullable().optional(),
    Total: z.number().nullable().optional(),
    Errors: z.unknown().optional(),
  }),
  z.array(z.unknown()),
]);

export interface ParsedCourseList {
  courses: MonCampusCourse[];
  /** Records without a usable NoCours (index in Data), dropped. */
  invalid: number[];
  /** Kendo's `Errors` when the server filled it. */
  serverErrors: unknown;
}

/** Reads a `/Home/Get` JSON body already decoded by JSON.parse; null when it is not a DataSourceResult. */
export function parseCourseList(body: unknown): ParsedCourseList | null {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return null;
  const rows = Array.isArray(envelope.data) ? envelope.data : (envelope.data.Data ?? []);
  const serverErrors = Array.isArray(envelope.data) ? null : (envelope.data.Errors ?? null);
  const courses: MonCampusCourse[] = [];
  const invalid: number[] = [];
  rows.forEach((row, index) => {
    const parsed = monCampusCourseSchema.safeParse(row);
    if (parsed.success) courses.push(parsed.data);
    else invalid.push(index);
  });
  return { courses, invalid, serverErrors };
}
