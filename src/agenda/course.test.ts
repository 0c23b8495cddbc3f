import { describe, it, expect } from 'vitest';
import { parseCourseList } from './course.js';
import { rawCourse } from './fixtures.test-data.js';

describe('parseCourseList', () => {
  it('reads a Kendo DataSourceResult', () => {
    const body = JSON.parse(JSON.stringify({ Data: [rawCourse()], Total: 1, AggregateResults: null, Errors: null }));
    const out = parseCourseList(body);
    expect(out?.courses).toEqual([rawCourse()]);
    expect(out?.invalid).toEqual([]);
    expect(out?.serverErrors).toBeNull();
  });

  it('accepts Data: null and a bare array', () => {
    expect(parseCourseList({ Data: null, Total: 0 })?.courses).toEqual([]);
    expect(parseCourseList([rawCourse({ NoCours: 5 })])?.courses.map((c) => c.NoCours)).toEqual([5]);
  });

  it('is lenient on odd fields but drops records without a NoCours', () => {
    const odd = { ...rawCourse(), NoCours: '77', NomProf: 42, Salles: undefined, IsAllDay: 'no', ColorRed: null, Extra: 'x' };
    const out = parseCourseList({ Data: [odd, { ...rawCourse(), NoCours: null }, 'junk'] });
    expect(out?.invalid).toEqual([1, 2]);
    expect(out?.courses).toHaveLength(1);
    const c = out?.courses[0];
    expect(c?.NoCours).toBe(77);
    expect(c?.NomProf).toBeNull();
    expect(c?.Salles).toBeNull();
    expect(c?.IsAllDay).toBe(false);
    expect(c?.ColorRed).toBe(0);
    expect(c && 'Extra' in c).toBe(false);
  });

  it('keeps a record with a missing Start (as empty) so normalisation can report it', () => {
    const { Start: _drop, ...noStart } = rawCourse();
    expect(parseCourseList({ Data: [noStart] })?.courses[0]?.Start).toBe('');
  });

  it('returns null for what is not a timetable', () => {
    expect(parseCourseList('<html>')).toBeNull();
    expect(parseCourseList({ Data: 'x' })).toBeNull();
    expect(parseCourseList(null)).toBeNull();
  });
});
