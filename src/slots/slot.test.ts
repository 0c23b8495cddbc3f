import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { makeSlot, sortSlots, uniqueSlots } from './slot.js';

describe('makeSlot', () => {
  it('writes start and label in the zone, and an id that does not depend on it', () => {
    const instant = DateTime.fromISO('2026-01-05T08:00:00Z');
    const paris = makeSlot('clicrdv', instant, 'Europe/Paris', { slotId: '42', bookingUrl: 'https://b.example' });
    const tokyo = makeSlot('clicrdv', instant, 'Asia/Tokyo', { slotId: '42' });
    expect(paris).toEqual({
      id: 'clicrdv:2026-01-05T08:00:00Z:42',
      start: '2026-01-05T09:00:00+01:00',
      label: 'lun. 5 janv. 09:00',
      bookingUrl: 'https://b.example',
    });
    expect(tokyo).toEqual({ id: paris.id, start: '2026-01-05T17:00:00+09:00', label: 'lun. 5 janv. 17:00' });
  });
});

describe('sortSlots and uniqueSlots', () => {
  it('orders by instant, not by text, and keeps the first of each id', () => {
    const a = { id: 'a', start: '2026-01-05T09:00:00+01:00', label: '' };
    const b = { id: 'b', start: '2026-01-05T08:30:00Z', label: '' };
    expect(sortSlots([b, a]).map((s) => s.id)).toEqual(['a', 'b']);
    expect(uniqueSlots([a, { ...a, label: 'dup' }, b])).toEqual([a, b]);
  });
});
