import { localText, renderText, type LocalText } from '../lib/index.js';
import { DEFAULT_MONCAMPUS_URL } from './schema.js';

/**
 * The two MonCampus timetable hosts and the schools behind each, from ../shared/reference/moncampus.md
 * ("Hosts"): a C&D student given the IGENSIA host gets no timetable, so `add-config` asks which group.
 */
export const SCHOOL_GROUPS = {
  igensia: {
    label: 'IGENSIA',
    url: DEFAULT_MONCAMPUS_URL,
    schools: [
      'ipi',
      'esam',
      'ismm',
      'imsi',
      'iscpa',
      'ecm',
      'emi',
      'esa',
      'cnva',
      'icd-business-school',
      'igensia-rh',
      'imis',
      'american-business-college',
      'business-science-institute',
    ],
  },
  cd: {
    label: 'C&D',
    url: 'https://ws-edt-cd.wigorservices.net',
    schools: ['epsi', 'wis', 'idrac-business-school', '3a', 'esail', 'icl', 'ieft', 'iet', 'ifag', 'igefi', 'ihedrea', 'ileri', 'sup-de-com', 'viva-mundi'],
  },
} as const;

export type SchoolGroup = keyof typeof SCHOOL_GROUPS;

/**
 * The CAS login servers of the schools (reference/moncampus.md, "Hosts" and "Facts found in 2026", Which CAS):
 * cas-p for every plain-HTTP client of 2025–2026, and the IGENSIA login server one school table lists. An
 * invitee's check may reach these and nothing else of MonCampus besides the school's timetable host.
 */
export const CAS_ORIGINS = ['https://cas-p.wigorservices.net', 'https://moncampus.igensia-education.fr'] as const;

export const isSchoolGroup = (value: unknown): value is SchoolGroup => typeof value === 'string' && Object.hasOwn(SCHOOL_GROUPS, value);

/** A short name a person types for a school: `IDRAC Business School` and `idrac` both mean idrac-business-school. */
const slug = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/&/g, '')
    .replace(/[\s_]+/g, '-');

/**
 * The timetable host for what someone answered: a group (`igensia`, `cd`, `C&D`), a school of the table
 * (`epsi`, `IDRAC`), or the host's own http(s) URL. An error names what it accepts.
 */
export function timetableUrlFor(answer: string): { url: string } | { error: string; text: LocalText } {
  const text = answer.trim();
  // `error` in English (logs, JSON), `text` for a person in another language.
  const refuse = (key: string, params: Record<string, string>): { error: string; text: LocalText } => {
    const said = localText(`configErrors.school.${key}`, params);
    return { error: renderText(said, 'en'), text: said };
  };
  if (/^https?:\/\//i.test(text)) {
    try {
      const u = new URL(text);
      return { url: `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}` };
    } catch {
      return refuse('notUrl', { text });
    }
  }
  const key = slug(text);
  for (const [group, g] of Object.entries(SCHOOL_GROUPS)) {
    if (key === group || key === slug(g.label)) return { url: g.url };
    if (g.schools.some((s) => s === key || s.split('-')[0] === key)) return { url: g.url };
  }
  return refuse('notGroup', {
    text,
    igensia: SCHOOL_GROUPS.igensia.schools.slice(0, 4).join(', '),
    cd: SCHOOL_GROUPS.cd.schools.slice(0, 4).join(', '),
  });
}
