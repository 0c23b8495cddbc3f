import { describe, expect, it } from 'vitest';
import {
  DISCORD_LIMITS,
  createAlert,
  digestAlerts,
  discordEmbedSize,
  discordLimitViolations,
  redactAlert,
  renderDiscord,
  renderEmail,
  renderJson,
  renderSlack,
  severityOf,
  splitText,
  type Alert,
} from './message.js';
import { fakeClock } from '../lib/fake-clock.test-helper.js';

const clock = fakeClock('2025-05-26T07:00:00Z');

function slotAlert(n: number, labelLength = 40): Alert {
  return createAlert(
    {
      kind: 'slot.new',
      instance: 'alice',
      title: `${n} new slots`,
      text: 'New appointment slots at the consulate.',
      slots: Array.from({ length: n }, (_, i) => ({
        label: `Slot ${i} ${'x'.repeat(labelLength)}`,
        start: `2025-06-${String((i % 28) + 1).padStart(2, '0')}T09:${String(i % 60).padStart(2, '0')}:00+02:00`,
        bookingUrl: `https://user.clicrdv.com/book?slot=${i}`,
      })),
    },
    clock,
  );
}

describe('alerts', () => {
  it('take their severity from the kind', () => {
    expect(severityOf('auth.failed')).toBe('critical');
    expect(severityOf('sync.failed')).toBe('warning');
    expect(severityOf('deletion.guarded')).toBe('warning');
    expect(severityOf('slot.new')).toBe('info');
    const a = createAlert({ kind: 'auth.failed', instance: 'i', title: 't', text: '' }, clock);
    expect(a).toMatchObject({ severity: 'critical', at: '2025-05-26T07:00:00.000Z' });
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('redactAlert reaches every text, slots and fields included', () => {
    const a = createAlert(
      {
        kind: 'test',
        instance: 'i',
        title: 'S3CRET!',
        text: 'x S3CRET!',
        fields: [{ name: 'S3CRET!', value: 'S3CRET!' }],
        url: 'https://h/S3CRET!',
        slots: [{ label: 'S3CRET!', start: 's', bookingUrl: 'https://b/S3CRET!' }],
      },
      clock,
    );
    const out = JSON.stringify(redactAlert(a, (s) => s.split('S3CRET!').join('[R]')));
    expect(out).not.toContain('S3CRET!');
    expect(out).toContain('[R]');
  });

  it('splitText keeps every character and never exceeds the size', () => {
    const text = ['short', 'y'.repeat(9_000), '', 'tail'].join('\n');
    const pieces = splitText(text, 4_000);
    expect(pieces.every((p) => p.length <= 4_000)).toBe(true);
    expect(pieces.join('').replace(/\n/g, '')).toBe(text.replace(/\n/g, ''));
  });
});

describe('renderDiscord', () => {
  it('splits 200 new slots into several messages, each within every Discord limit, listing every slot once', () => {
    const alert = slotAlert(200, 150);
    const messages = renderDiscord(alert);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(discordLimitViolations(m)).toEqual([]);
    const all = messages.flatMap((m) => m.embeds.map((e) => e.description ?? '')).join('\n');
    for (let i = 0; i < 200; i++) expect(all).toContain(`slot=${i})`);
    expect(all.match(/\[Book\]/g)?.length).toBe(200);
    const first = messages[0]?.embeds[0];
    expect(first).toMatchObject({ title: '200 new slots', timestamp: alert.at, footer: { text: 'campus-sync alice' } });
    expect(messages[1]?.embeds[0]?.title).toBe('200 new slots (continued)');
  });

  it('respects the limits for an enormous text, title, footer and 60 fields', () => {
    const alert = createAlert(
      {
        kind: 'sync.failed',
        instance: 'i'.repeat(3_000),
        title: 'T'.repeat(400),
        text: 'w '.repeat(20_000),
        fields: Array.from({ length: 60 }, (_, i) => ({ name: `n${i}`.repeat(100), value: 'v'.repeat(2_000) })),
      },
      clock,
    );
    const messages = renderDiscord(alert);
    for (const m of messages) {
      expect(discordLimitViolations(m)).toEqual([]);
      expect(m.embeds.every((e) => e.color === 16753920)).toBe(true);
    }
    expect(messages.flatMap((m) => m.embeds).reduce((n, e) => n + (e.fields?.length ?? 0), 0)).toBe(60);
  });

  it('is one message with one embed for a small alert, coloured by severity, pinging no one', () => {
    const m = renderDiscord(createAlert({ kind: 'auth.failed', instance: 'bob', title: 'Login refused @everyone', text: 'CAS said no' }, clock));
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ allowed_mentions: { parse: [] }, embeds: [{ color: 0xe74c3c, description: 'CAS said no' }] });
  });

  it('the limit checker catches each broken limit', () => {
    const embed = {
      title: 't'.repeat(257),
      description: 'd'.repeat(4097),
      color: 0,
      timestamp: '',
      footer: { text: 'f'.repeat(2049) },
      fields: Array.from({ length: 26 }, () => ({ name: 'n'.repeat(257), value: 'v'.repeat(1025) })),
    };
    const v = discordLimitViolations({ content: 'c'.repeat(2001), embeds: Array.from({ length: 11 }, () => embed), allowed_mentions: { parse: [] } });
    for (const word of ['content', 'embeds >', 'title', 'description', 'fields >', 'field name', 'field value', 'footer', 'total']) {
      expect(v.some((line) => line.includes(word))).toBe(true);
    }
    expect(discordEmbedSize({ title: 'ab', description: 'c', color: 0, timestamp: '', footer: { text: 'de' } })).toBe(5);
    expect(DISCORD_LIMITS.total).toBe(6000);
  });
});

describe('other renderers', () => {
  it('Slack: a short text and blocks within Slack limits, slots capped', () => {
    const p = renderSlack(slotAlert(40));
    expect(p.text).toContain('40 new slots');
    expect(p.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: '40 new slots' } });
    const section = JSON.stringify(p.blocks[1]);
    expect(section).toContain('<https://user.clicrdv.com/book?slot=0|Book>');
    expect(section).toContain('and 25 more');
    expect(section.length).toBeLessThan(3_500);
  });

  it('email: subject carries instance and severity; HTML is escaped', () => {
    const e = renderEmail(createAlert({ kind: 'sync.failed', instance: 'alice', title: 'Sync <failed>', text: 'a & b' }, clock));
    expect(e.subject).toBe('[campus-sync alice] WARNING: Sync <failed>');
    expect(e.html).toContain('Sync &lt;failed&gt;');
    expect(e.html).toContain('a &amp; b');
    expect(e.text).toContain('a & b');
  });

  it('JSON: Apprise shape with type by severity and kind', () => {
    expect(renderJson(createAlert({ kind: 'auth.failed', instance: 'i', title: 't', text: 'm' }, clock))).toEqual({
      version: '1.0',
      title: 't',
      message: 'm',
      type: 'failure',
    });
    expect(renderJson(createAlert({ kind: 'sync.failed', instance: 'i', title: 't', text: 'm' }, clock)).type).toBe('warning');
    expect(renderJson(createAlert({ kind: 'sync.recovered', instance: 'i', title: 't', text: 'm' }, clock)).type).toBe('success');
    expect(renderJson(slotAlert(2)).message).toContain('https://user.clicrdv.com/book?slot=1');
  });

  it('a digest carries the worst severity, every slot, a line per alert, and a stable id', () => {
    const a = createAlert({ kind: 'sync.failed', instance: 'i', title: 'A', text: 'first' }, clock);
    const b = slotAlert(3);
    const d = digestAlerts([a, b]);
    expect(d).toMatchObject({ severity: 'warning', kind: 'sync.failed', title: '2 alerts held during quiet hours' });
    expect(d.slots).toHaveLength(3);
    expect(d.text).toContain('A: first');
    expect(digestAlerts([a, b]).id).toBe(d.id);
    expect(digestAlerts([a])).toBe(a);
  });
});

describe('the words renderers add follow the alert locale', () => {
  const clock = fakeClock('2026-12-07T10:00:00Z');
  const slot = { label: '', start: '2026-12-08T09:30:00+01:00', bookingUrl: 'https://example.org/book' };
  it('French: date and booking link in French, no English word', () => {
    const alert = createAlert(
      { kind: 'slot.new', instance: 'lea', title: 'lea : un nouveau créneau (consulat)', text: '', slots: [slot], locale: 'fr' },
      clock,
    );
    const body = JSON.stringify(renderDiscord(alert));
    expect(body).toContain('mar. 8 déc. 2026 09:30');
    expect(body).toContain('[Réserver](https://example.org/book)');
    expect(body).not.toContain('Book');
    expect(renderEmail(alert).html).toContain('>Réserver</a>');
    expect(digestAlerts([alert, { ...alert, id: 'other' }]).title).toBe('2 alertes retenues pendant les heures calmes');
  });
  it('absent: English, as before', () => {
    const alert = createAlert({ kind: 'slot.new', instance: 'lea', title: 't', text: '', slots: [slot] }, clock);
    expect(JSON.stringify(renderDiscord(alert))).toContain('**Tue 8 Dec 2026 09:30** — [Book](https://example.org/book)');
  });
});
