import { describe, expect, it } from 'vitest';
import { MAX_RANGES, validateBookingRequest, validateProposal } from './requests.js';

const ID = '0123456789abcdef0123456789abcdef';

describe('validateBookingRequest', () => {
  it('trims what a person typed and keeps a known zone', () => {
    const r = validateBookingRequest({
      requestId: ID,
      date: '2025-05-27',
      time: '09:30',
      name: '  Camille ',
      email: ' camille@example.org ',
      timeZone: 'Asia/Tokyo',
      notes: ' hi ',
    });
    expect(r).toEqual({
      ok: true,
      value: { requestId: ID, date: '2025-05-27', time: '09:30', name: 'Camille', email: 'camille@example.org', timeZone: 'Asia/Tokyo', notes: 'hi' },
    });
  });

  it('drops a zone the server does not know (the type zone is used) rather than refusing the booking', () => {
    const r = validateBookingRequest({ requestId: ID, date: '2025-05-27', time: '09:30', name: 'C', email: 'c@example.org', timeZone: 'Mars/Base' });
    expect(r.ok && r.value.timeZone).toBe(undefined);
  });

  it('says what to fix for each field', () => {
    const r = validateBookingRequest({ requestId: 'short', date: '2025-02-30', time: '24:00', name: 'x'.repeat(101), email: 'a@b', notes: 'n'.repeat(1001) });
    expect(r).toEqual({
      ok: false,
      fields: {
        requestId: 'Reload the page and try again',
        date: 'Choose a date',
        time: 'Choose a time',
        name: 'Keep it under 100 characters',
        email: 'Enter an email address such as name@example.com',
        notes: 'Keep it under 1000 characters',
      },
    });
    expect(validateBookingRequest(null)).toMatchObject({ ok: false, fields: { form: expect.any(String) } });
    expect(validateBookingRequest({})).toMatchObject({ ok: false, fields: { name: 'Enter your name', email: 'Enter your email address' } });
  });
});

describe('validateProposal', () => {
  const today = '2025-05-26';
  const base = { requestId: ID, name: 'Noé', email: 'noe@example.org' };

  it('keeps the filled rows, ignores the blank ones, leaves out an empty message', () => {
    const r = validateProposal(
      { ...base, message: '  ', ranges: [{ date: '', from: '', to: '' }, { date: '2025-05-26', from: '18:00', to: '19:00' }, {}] },
      today,
    );
    expect(r).toEqual({ ok: true, value: { ...base, ranges: [{ date: '2025-05-26', from: '18:00', to: '19:00' }] } });
  });

  it('needs at least one range, each within a year from today, at most MAX_RANGES', () => {
    expect(validateProposal({ ...base, ranges: [] }, today)).toEqual({ ok: false, fields: { 'ranges.0.date': 'Give at least one date and time' } });
    expect(validateProposal({ ...base, ranges: [{ date: '2026-05-27', from: '09:00', to: '10:00' }] }, today)).toEqual({
      ok: false,
      fields: { 'ranges.0.date': 'Choose a date within a year' },
    });
    const many = Array.from({ length: MAX_RANGES + 1 }, () => ({ date: '2025-06-01', from: '09:00', to: '10:00' }));
    expect(validateProposal({ ...base, ranges: many }, today)).toMatchObject({ ok: false, fields: { ranges: `Give at most ${MAX_RANGES} ranges` } });
    expect(validateProposal({ ...base, ranges: 'tomorrow' }, today)).toMatchObject({ ok: false, fields: { ranges: expect.any(String) } });
  });

  it('reports the rows and the other fields together, so the visitor fixes everything at once', () => {
    const r = validateProposal(
      { requestId: ID, name: '', email: '', ranges: [{ date: '2025-05-27', from: '10:00', to: '10:00' }], message: 'm'.repeat(2001) },
      today,
    );
    expect(r).toEqual({
      ok: false,
      fields: {
        name: 'Enter your name',
        email: 'Enter your email address',
        message: 'Keep it under 2000 characters',
        'ranges.0.to': 'The end must be after the start',
      },
    });
  });
});
