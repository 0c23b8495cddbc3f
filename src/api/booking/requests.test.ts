import { describe, expect, it } from 'vitest';
import { MAX_RANGES, validateBookingRequest, validateProposal } from './requests.js';

const ID = '0123456789abcdef0123456789abcdef';

describe('validateBookingRequest', () => {
  it('trims what a person typed and keeps a known zone', () => {
    const r = validateBookingRequest(
      {
        requestId: ID,
        date: '2025-05-27',
        time: '09:30',
        name: '  Camille ',
        email: ' camille@example.org ',
        timeZone: 'Asia/Tokyo',
        notes: ' hi ',
      },
      'en',
    );
    expect(r).toEqual({
      ok: true,
      value: { requestId: ID, date: '2025-05-27', time: '09:30', name: 'Camille', email: 'camille@example.org', timeZone: 'Asia/Tokyo', notes: 'hi' },
    });
  });

  it('drops a zone the server does not know (the type zone is used) rather than refusing the booking', () => {
    const r = validateBookingRequest({ requestId: ID, date: '2025-05-27', time: '09:30', name: 'C', email: 'c@example.org', timeZone: 'Mars/Base' }, 'en');
    expect(r.ok && r.value.timeZone).toBe(undefined);
  });

  it('says what to fix for each field', () => {
    const r = validateBookingRequest(
      { requestId: 'short', date: '2025-02-30', time: '24:00', name: 'x'.repeat(101), email: 'a@b', notes: 'n'.repeat(1001) },
      'en',
    );
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
    expect(validateBookingRequest(null, 'en')).toMatchObject({ ok: false, fields: { form: expect.any(String) } });
    expect(validateBookingRequest({}, 'en')).toMatchObject({ ok: false, fields: { name: 'Enter your name', email: 'Enter your email address' } });
  });
});

describe('validateProposal', () => {
  const today = '2025-05-26';
  const base = { requestId: ID, name: 'Noé', email: 'noe@example.org' };

  it('keeps the filled rows, ignores the blank ones, leaves out an empty message', () => {
    const r = validateProposal(
      { ...base, message: '  ', ranges: [{ date: '', from: '', to: '' }, { date: '2025-05-26', from: '18:00', to: '19:00' }, {}] },
      today,
      'en',
    );
    expect(r).toEqual({ ok: true, value: { ...base, ranges: [{ date: '2025-05-26', from: '18:00', to: '19:00' }] } });
  });

  it('needs at least one range, each within a year from today, at most MAX_RANGES', () => {
    expect(validateProposal({ ...base, ranges: [] }, today, 'en')).toEqual({ ok: false, fields: { 'ranges.0.date': 'Give at least one date and time' } });
    expect(validateProposal({ ...base, ranges: [{ date: '2026-05-27', from: '09:00', to: '10:00' }] }, today, 'en')).toEqual({
      ok: false,
      fields: { 'ranges.0.date': 'Choose a date within a year' },
    });
    const many = Array.from({ length: MAX_RANGES + 1 }, () => ({ date: '2025-06-01', from: '09:00', to: '10:00' }));
    expect(validateProposal({ ...base, ranges: many }, today, 'en')).toMatchObject({ ok: false, fields: { ranges: `Give at most ${MAX_RANGES} ranges` } });
    expect(validateProposal({ ...base, ranges: 'tomorrow' }, today, 'en')).toMatchObject({ ok: false, fields: { ranges: expect.any(String) } });
  });

  it('reports the rows and the other fields together, so the visitor fixes everything at once', () => {
    const r = validateProposal(
      { requestId: ID, name: '', email: '', ranges: [{ date: '2025-05-27', from: '10:00', to: '10:00' }], message: 'm'.repeat(2001) },
      today,
      'en',
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

  it("speaks the visitor's language: French field errors for a French page, English for an English one", () => {
    const blank = {
      requestId: ID,
      name: '',
      email: 'a@b',
      ranges: [
        { date: '2025-05-20', from: '10:00', to: '09:00' },
        { date: '2025-05-27', from: '10:00', to: '09:00' },
      ],
    };
    expect(validateProposal(blank, today, 'fr')).toEqual({
      ok: false,
      fields: {
        name: 'Indiquez votre nom',
        email: 'Indiquez une adresse e-mail comme nom@exemple.fr',
        'ranges.0.to': 'La fin doit être après le début',
        'ranges.1.to': 'La fin doit être après le début',
      },
    });
    expect(validateProposal({ ...base, ranges: [{ date: '2025-05-20', from: '09:00', to: '10:00' }] }, today, 'fr')).toEqual({
      ok: false,
      fields: { 'ranges.0.date': 'Cette date est passée' },
    });
    expect(validateBookingRequest({ requestId: ID, date: '2025-05-27', time: '9h', name: 'n'.repeat(101), email: 'c@example.org' }, 'fr')).toEqual({
      ok: false,
      fields: { time: 'Choisissez une heure', name: '100 caractères au plus' },
    });
    expect(validateBookingRequest({ requestId: ID, date: '2025-05-27', time: '9h', name: 'C', email: 'c@example.org' }, 'en')).toEqual({
      ok: false,
      fields: { time: 'Choose a time' },
    });
  });
});
