import { describe, expect, it } from 'vitest';
import { renderCourse } from './moncampus.js';
import { SLOTS, generateTimetable } from './timetable-gen.js';

describe('generateTimetable', () => {
  const year = generateTimetable({ count: 600, start: '2025-09-01', seed: 3 });

  it('produces exactly count courses with unique ids, deterministic per seed', () => {
    expect(year).toHaveLength(600);
    expect(new Set(year.map((c) => c.id)).size).toBe(600);
    expect(generateTimetable({ count: 600, start: '2025-09-01', seed: 3 })).toEqual(year);
    expect(generateTimetable({ count: 600, start: '2025-09-01', seed: 4 })).not.toEqual(year);
    expect(generateTimetable({ count: 0, start: '2025-09-01' })).toEqual([]);
  });

  it('only uses weekdays from the start date and the four school slots', () => {
    const slots = new Set(SLOTS.map((s) => `${s.start}-${s.end}`));
    for (const c of year) {
      const day = new Date(`${c.start.slice(0, 10)}T00:00:00Z`).getUTCDay();
      expect(day === 0 || day === 6, c.start).toBe(false);
      expect(c.start >= '2025-09-01').toBe(true);
      expect(c.start.slice(0, 10)).toBe(c.end.slice(0, 10));
      expect(slots.has(`${c.start.slice(11)}-${c.end.slice(11)}`), c.start).toBe(true);
    }
    expect(new Set(year.map((c) => c.start)).size).toBe(600);
  });

  it('contains the quirks of the real data', () => {
    expect(year.some((c) => c.room === 'Aucune')).toBe(true);
    const remote = year.filter((c) => c.room === 'DISTANCIEL');
    expect(remote.length).toBeGreaterThan(0);
    expect(remote.every((c) => c.teamsUrl?.startsWith('https://teams.microsoft.com/'))).toBe(true);
    expect(year.filter((c) => c.room !== 'DISTANCIEL').every((c) => c.teamsUrl === null)).toBe(true);
    expect(year.some((c) => c.comment === 'COMMENTAIRE')).toBe(true);
    expect(year.some((c) => c.teacher === null)).toBe(true);
    expect(new Set(year.map((c) => c.title)).size).toBeGreaterThan(5);
    expect(new Set(year.map((c) => c.room)).size).toBeGreaterThan(4);
    expect(year.every((c) => /^G\d /.test(c.title))).toBe(true);
  });

  it('refuses a malformed start', () => {
    expect(() => generateTimetable({ count: 1, start: '01/09/2025' })).toThrow();
  });
});

describe('generateTimetable output as MonCampus JSON', () => {
  it('renders every course (valid wall-clock times) with the slot durations', () => {
    const courses = generateTimetable({ count: 400, start: '2025-01-06', seed: 9 }).map(renderCourse);
    expect(new Set(courses.map((c) => c.Duree))).toEqual(new Set([90, 120]));
    expect(courses.every((c) => c.IsAllDay === false && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+0[12]:00$/.test(c.Start))).toBe(true);
  });
});
