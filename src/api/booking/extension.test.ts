import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BookingTypeConfig, InstanceConfig } from '../../config/index.js';
import { AuthError, TransientError } from '../../lib/index.js';
import { openStore, type Store } from '../../store/index.js';
import { createApiServer, type ApiServer } from '../server.js';
import { captureLogger, tempDirs, type TempDirs } from '../test-support.test-helper.js';
import { bookingExtension, proposalNotice, SlotUnavailableError, type BookingNotice, type NewBooking } from './extension.js';
import { fakeClock } from '../../lib/fake-clock.test-helper.js';

const TOKEN = 'cal_live_very_secret_token_123';
const OTHER_SECRET = 'the-webhook-token-456';
/** Monday 26 May 2025, 08:00 in Paris. */
const NOW = '2025-05-26T06:00:00Z';

const CABINET = [
  'timezone: Europe/Paris',
  'booking:',
  '  - type: appel',
  '    title: "Appel <découverte>"',
  '    description: Vingt minutes & un café',
  '    provider: calcom',
  '    eventTypeId: 987654',
  `    token: ${TOKEN}`,
  '    rangeDays: 10',
  'notify:',
  '  - name: team',
  '    type: slack',
  `    url: http://127.0.0.1:9/services/T1/B1/${OTHER_SECRET}`,
  '',
].join('\n');

let dirs: TempDirs;
let store: Store;
let server: ApiServer;
let base: string;
const clock = fakeClock(NOW);
const log = captureLogger();

/** What the fakes were asked, and what they answer next. */
const calls = {
  slots: [] as { type: string; from: string; days: number }[],
  bookings: [] as NewBooking[],
  notices: [] as { instance: string; notice: BookingNotice }[],
};
let slotsAnswer: () => Promise<string[]> = async () => [];
let bookingAnswer: (b: NewBooking) => Promise<{ uid: string; start: string; status: string }> = async (b) => ({
  uid: 'u1',
  start: b.start,
  status: 'accepted',
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; text: string; json: any; headers: Headers }> {
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** As the page's fetch: the browser's language goes along (English here unless a test says; none at all is French). */
const post = (path: string, body: unknown, contentType = 'application/json', lang: Record<string, string> = { 'accept-language': 'en' }) =>
  call(path, { method: 'POST', headers: { 'content-type': contentType, ...lang }, body: typeof body === 'string' ? body : JSON.stringify(body) });
/** The slots query as an English page sends it. */
const EN = { headers: { 'accept-language': 'en-GB,en;q=0.9' } };

const booking = (extra: Record<string, unknown> = {}) => ({
  requestId: `req-${Math.random().toString(16).slice(2)}-0000000000`,
  date: '2025-05-27',
  time: '09:30',
  name: 'Camille',
  email: 'camille@example.org',
  timeZone: 'America/Montreal',
  ...extra,
});

const proposal = (extra: Record<string, unknown> = {}) => ({
  requestId: `prop-${Math.random().toString(16).slice(2)}-0000000000`,
  name: 'Noé',
  email: 'noe@example.org',
  ranges: [
    { date: '2025-05-30', from: '18:00', to: '20:00' },
    { date: '', from: '', to: '' },
  ],
  message: 'Après le travail',
  ...extra,
});

beforeAll(async () => {
  dirs = await tempDirs('campus-sync-booking-');
  await writeFile(join(dirs.configDir, 'cabinet.yml'), CABINET);
  store = await openStore({ dataDir: dirs.dataDir, logger: log.logger });
  server = createApiServer({
    store,
    configDir: dirs.configDir,
    dataDir: dirs.dataDir,
    apiKeys: ['k'],
    logger: log.logger,
    clock,
    env: {},
    extensions: [
      bookingExtension({
        env: {},
        proposalsPerHour: 3,
        fetchSlots: async (type: BookingTypeConfig, w) => {
          calls.slots.push({ type: type.type, from: w.from, days: w.days });
          return slotsAnswer();
        },
        createBooking: async (_type, b) => {
          calls.bookings.push(b);
          return bookingAnswer(b);
        },
        notify: async (instance: InstanceConfig, notice) => {
          calls.notices.push({ instance: instance.name, notice });
        },
      }),
    ],
  });
  ({ url: base } = await server.listen(0));
});

afterAll(async () => {
  await server?.close(100);
  await store?.close();
  await dirs?.cleanup();
});

beforeEach(() => {
  clock.set(NOW);
  calls.slots.length = 0;
  calls.bookings.length = 0;
  calls.notices.length = 0;
});

describe('GET /api/calcom/slots', () => {
  it('answers the seed shape from Cal.com starts, in the type zone, from today for the type range', async () => {
    slotsAnswer = async () => ['2025-05-27T07:00:00Z', '2025-05-27T12:30:00+02:00', '2025-05-29T07:15:00Z', '2025-05-26T05:00:00Z'];
    const r = await call('/api/calcom/slots?type=appel');
    expect(r.status).toBe(200);
    expect(r.json).toEqual([
      { date: '2025-05-27', hours: ['09:00', '12:30'] },
      { date: '2025-05-29', hours: ['09:15'] },
    ]);
    expect(calls.slots).toEqual([{ type: 'appel', from: '2025-05-26', days: 10 }]);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('reads Cal.com again only after SLOTS_CACHE_MS, in chunks of the type range counted from today', async () => {
    clock.advance(31_000);
    slotsAnswer = async () => ['2025-06-02T07:00:00Z'];
    await call('/api/calcom/slots?type=appel&range=7&from=2025-06-02');
    await call('/api/calcom/slots?type=appel&range=7&from=2025-06-02');
    // 2025-06-02..08 is in the first chunk (05-26..06-04) and the second (06-05..06-14): one request each.
    const chunks = [
      { type: 'appel', from: '2025-05-26', days: 10 },
      { type: 'appel', from: '2025-06-05', days: 10 },
    ];
    expect(calls.slots).toEqual(chunks);
    // Other spellings of windows inside the same chunks cost nothing more (the cache cannot be busted).
    for (const q of ['range=3&from=2025-05-27', 'range=12&from=2025-05-30', 'range=1&from=2025-06-10', 'range=20']) {
      expect((await call(`/api/calcom/slots?type=appel&${q}`)).status).toBe(200);
    }
    expect(calls.slots).toEqual(chunks);
    clock.advance(31_000);
    const r = await call('/api/calcom/slots?type=appel&range=7&from=2025-06-02');
    expect(calls.slots).toEqual([...chunks, ...chunks]);
    expect(r.json).toEqual([{ date: '2025-06-02', hours: ['09:00'] }]);
  });

  it('400 names the bad parameter, 404 an unknown type', async () => {
    expect((await call('/api/calcom/slots')).json).toMatchObject({ parameter: 'type' });
    const range = await call('/api/calcom/slots?type=appel&range=0', EN);
    expect(range.status).toBe(400);
    expect(range.json).toEqual({ error: 'range: expected a number of days from 1 to 90', parameter: 'range' });
    // What a French page left open past midnight shows: its `from` is now yesterday.
    expect((await call('/api/calcom/slots?type=appel&from=2025-05-25')).json).toEqual({
      error: 'from: ne doit pas être avant aujourd’hui (2025-05-26)',
      parameter: 'from',
    });
    expect((await call('/api/calcom/slots?type=appel&from=2025-05-25')).json).toMatchObject({ parameter: 'from' });
    const unknown = await call('/api/calcom/slots?type=visio', EN);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: 'There is no booking type "visio".' });
    // A French browser (or one that says nothing) reads it in French.
    expect((await call('/api/calcom/slots?type=visio')).json).toEqual({ error: 'Il n’y a pas de type de rendez-vous « visio ».' });
    expect(calls.slots).toHaveLength(0);
  });

  it('502 when Cal.com fails, saying what happened and never a secret', async () => {
    clock.advance(31_000); // past the cache of the tests above
    slotsAnswer = async () => {
      throw new AuthError(`Cal.com refused the API key (401: token ${TOKEN} and ${OTHER_SECRET})`);
    };
    const r = await call('/api/calcom/slots?type=appel&range=3', EN);
    expect(r.status).toBe(502);
    expect(r.json.error).toBe('The free times could not be loaded: Cal.com refused our credentials. Try again in a moment.');
    expect(r.text).not.toContain(TOKEN);
    expect(r.text).not.toContain(OTHER_SECRET);
    slotsAnswer = async () => {
      throw new TransientError('Cal.com GET /v2/slots answered 503');
    };
    expect((await call('/api/calcom/slots?type=appel&range=4', EN)).json.error).toMatch(/Cal.com is unavailable or busy/);
    expect((await call('/api/calcom/slots?type=appel&range=4')).json.error).toBe(
      'Les créneaux libres n’ont pas pu être chargés : Cal.com est indisponible ou surchargé. Réessayez dans un instant.',
    );
  });
});

describe('GET /book/{type}', () => {
  it('serves the page with its own script and style, escaped text, a strict CSP and no secret', async () => {
    const r = await call('/book/appel');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.text).toContain('<h1>Appel &lt;découverte&gt;</h1>');
    expect(r.text).toContain('Vingt minutes &amp; un café');
    expect(r.text).toMatch(/<script src="\/book\/assets\/tunnel\.[0-9a-f]{16}\.js" defer><\/script>/);
    expect(r.text).not.toMatch(/<script>|\son[a-z]+="/);
    const settings = JSON.parse(/<script type="application\/json" id="booking-settings">(.*?)<\/script>/s.exec(r.text)?.[1] ?? '{}');
    expect(settings).toMatchObject({
      type: 'appel',
      title: 'Appel <découverte>',
      timezone: 'Europe/Paris',
      today: '2025-05-26',
      horizonEnd: '2025-08-24',
      rangeDays: 10,
      datesOffered: 4,
      timesPerDate: 2,
      // No Accept-Language, no cookie: French, the script's sentences included.
      intlLocale: 'fr-FR',
      words: { loading: 'Chargement des créneaux libres…' },
    });
    expect(Object.keys(settings).sort()).toEqual([
      'datesOffered',
      'horizonEnd',
      'intlLocale',
      'rangeDays',
      'timesPerDate',
      'timezone',
      'title',
      'today',
      'type',
      'words',
    ]);
    expect(r.text).toContain('<html lang="fr">');
    for (const path of ['/book/appel', '/book', '/book/assets/tunnel.js', '/book/assets/tunnel.css']) {
      const page = await call(path);
      expect(page.status, path).toBe(200);
      for (const secret of [TOKEN, OTHER_SECRET, '987654']) expect(page.text, path).not.toContain(secret);
    }
    expect((await call('/book/assets/tunnel.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('lists the types at /book, and answers an unknown type with a page', async () => {
    expect((await call('/book')).text).toContain('<a href="/book/appel">Appel &lt;découverte&gt;</a>');
    const r = await call('/book/nope');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.text).toContain('Il n’y a pas de type de rendez-vous « nope ».');
    expect((await call('/book/nope', EN)).text).toContain('There is no booking type &quot;nope&quot;.');
  });

  it("speaks the language of Accept-Language, and keeps the switch's choice in the dashboard's cookie", async () => {
    const en = await call('/book/appel', { headers: { 'accept-language': 'en-US,en;q=0.9' } });
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain('Choose a date');
    expect(en.headers.get('set-cookie')).toBeNull();
    const switched = await call('/book/appel?lang=fr', { headers: { 'accept-language': 'en-US' } });
    expect(switched.text).toContain('<html lang="fr">');
    expect(switched.text).toContain('Choisissez une date');
    expect(switched.headers.get('set-cookie')).toContain('campus_sync_lang=fr');
    const kept = await call('/book', { headers: { 'accept-language': 'en-US', cookie: 'campus_sync_lang=fr' } });
    expect(kept.text).toContain('<html lang="fr">');
    expect(kept.text).toContain('<a href="/book?lang=en" lang="en" hreflang="en" class="lang-link">English</a>');
  });
});

describe('POST /book/{type}/booking', () => {
  it('books the wall-clock time of the type zone for the visitor, once per submission', async () => {
    const body = booking();
    const r = await post('/book/appel/booking', body);
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ booking: { uid: 'u1', date: '2025-05-27', time: '09:30', timezone: 'Europe/Paris', status: 'accepted' } });
    expect(calls.bookings).toEqual([{ start: '2025-05-27T07:30:00.000Z', name: 'Camille', email: 'camille@example.org', timeZone: 'America/Montreal' }]);
    const again = await post('/book/appel/booking', body);
    expect(again.json).toEqual(r.json);
    expect(calls.bookings).toHaveLength(1);
  });

  it('400 with field errors, nothing asked of Cal.com', async () => {
    const r = await post('/book/appel/booking', booking({ name: '  ', email: 'x@', time: '9h30' }));
    expect(r.status).toBe(400);
    expect(r.json.fields).toEqual({ name: 'Enter your name', email: 'Enter an email address such as name@example.com', time: 'Choose a time' });
    expect((await post('/book/appel/booking', booking({ date: '2025-05-26', time: '07:00' }))).json.fields).toEqual({
      time: 'This time has passed. Choose another.',
    });
    expect((await post('/book/appel/booking', booking({ date: '2026-03-29', time: '02:30' }))).json.fields.time).toMatch(/does not exist/);
    expect(calls.bookings).toHaveLength(0);
  });

  it("answers in the page's language: French for a French browser or one that names none, English for en", async () => {
    const bad = booking({ name: '  ', time: '9h30' });
    const expected = { error: 'Vérifiez les champs signalés.', fields: { name: 'Indiquez votre nom', time: 'Choisissez une heure' } };
    expect((await post('/book/appel/booking', bad, 'application/json', {})).json).toEqual(expected);
    expect((await post('/book/appel/booking', bad, 'application/json', { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' })).json).toEqual(expected);
    // The switch's cookie wins over the browser's language, as for the page itself.
    expect((await post('/book/appel/booking', bad, 'application/json', { 'accept-language': 'en', cookie: 'campus_sync_lang=fr' })).json).toEqual(expected);
    expect((await post('/book/appel/booking', bad, 'application/json', { 'accept-language': 'en' })).json).toEqual({
      error: 'Please check the highlighted fields.',
      fields: { name: 'Enter your name', time: 'Choose a time' },
    });
    const past = await post('/book/appel/booking', booking({ date: '2025-05-26', time: '07:00' }), 'application/json', {});
    expect(past.json.fields).toEqual({ time: 'Cette heure est passée. Choisissez-en une autre.' });
    const proposal0 = await post('/book/appel/availability', proposal({ ranges: [] }), 'application/json', {});
    expect(proposal0.json.fields).toEqual({ 'ranges.0.date': 'Indiquez au moins une date et une heure' });
    expect(calls.bookings).toHaveLength(0);
  });

  it('refuses what is not JSON (415: a cross-site form cannot post here) and broken JSON (400)', async () => {
    const form = await post('/book/appel/booking', 'name=x', 'application/x-www-form-urlencoded');
    expect([form.status, form.json?.error]).toEqual([415, 'expected a JSON body (content-type: application/json)']);
    const broken = await post('/book/appel/booking', '{oops');
    expect([broken.status, broken.json?.error]).toEqual([400, 'the body is not valid JSON']);
    // In the page's language: French without Accept-Language, as the page's fetch from a French browser.
    const formFr = await post('/book/appel/availability', 'name=x', 'text/plain', {});
    expect([formFr.status, formFr.json?.error]).toEqual([415, 'attendu : un corps JSON (content-type: application/json)']);
    expect((await post('/book/appel/availability', '{oops', 'application/json', {})).json?.error).toBe('le corps n’est pas du JSON valide');
    expect((await call('/book/appel/booking')).status).toBe(405);
  });

  it('409 when Cal.com says the slot is gone (and a new submission may try again), 502 on other failures', async () => {
    bookingAnswer = async () => {
      throw new SlotUnavailableError('User either already has booking at this time or is not available');
    };
    const body = booking();
    const r = await post('/book/appel/booking', body);
    expect(r.status).toBe(409);
    expect(r.json.error).toBe('This time was just taken. Please choose another one.');
    bookingAnswer = async () => {
      throw new TransientError(`Cal.com POST /v2/bookings answered 500 for ${TOKEN}`);
    };
    const failed = await post('/book/appel/booking', body);
    expect(failed.status).toBe(502);
    expect(failed.json.error).toBe('The booking could not be made: Cal.com is unavailable or busy. Try again in a moment.');
    expect(failed.text).not.toContain(TOKEN);
    bookingAnswer = async (b) => ({ uid: 'u2', start: b.start, status: 'pending' });
    expect((await post('/book/appel/booking', body)).json.booking).toMatchObject({ uid: 'u2', status: 'pending' });
    expect(calls.bookings).toHaveLength(3);
  });
});

describe('POST /book/{type}/availability', () => {
  const file = (): string => join(dirs.dataDir, '.booking', 'appel.jsonl');

  beforeEach(async () => {
    await rm(file(), { force: true });
  });

  it('stores a valid proposal once, notifies the instance channels once, and answers 201', async () => {
    const body = proposal();
    const r = await post('/book/appel/availability', body);
    expect(r.status).toBe(201);
    expect((await post('/book/appel/availability', body)).status).toBe(201);
    const lines = (await readFile(file(), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        requestId: body.requestId,
        name: 'Noé',
        email: 'noe@example.org',
        ranges: [{ date: '2025-05-30', from: '18:00', to: '20:00' }],
        message: 'Après le travail',
        type: 'appel',
        instance: 'cabinet',
        receivedAt: NOW.replace('Z', '.000Z'),
      },
    ]);
    expect(calls.notices).toHaveLength(1);
    expect(calls.notices[0]).toEqual({
      instance: 'cabinet',
      notice: {
        id: `booking-appel-${body.requestId}`,
        // In the config's language (cabinet.yml has no locale: French), whatever the visitor's page spoke.
        title: 'Disponibilités proposées : Appel <découverte>',
        text: 'Noé n’a trouvé aucun horaire libre et propose (Europe/Paris) :\n• ven. 30 mai 2025, 18:00–20:00\n\n“Après le travail”',
        fields: [
          { name: 'Nom', value: 'Noé' },
          { name: 'E-mail', value: 'noe@example.org' },
          { name: 'Type de rendez-vous', value: 'appel' },
        ],
      },
    });
  });

  it('400 with an error per field, keyed by the form row, and nothing stored or sent', async () => {
    const r = await post(
      '/book/appel/availability',
      proposal({
        name: '',
        email: 'nope',
        ranges: [
          { date: '2025-05-20', from: '09:00', to: '10:00' },
          { date: '2025-05-30', from: '', to: '' },
          { date: '2025-05-30', from: '11:00', to: '10:00' },
        ],
      }),
    );
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      error: 'Please check the highlighted fields.',
      fields: {
        name: 'Enter your name',
        email: 'Enter an email address such as name@example.com',
        'ranges.0.date': 'This date is in the past',
        'ranges.1.from': 'Enter a start time (HH:MM)',
        'ranges.1.to': 'Enter an end time (HH:MM)',
        'ranges.2.to': 'The end must be after the start',
      },
    });
    expect((await post('/book/appel/availability', proposal({ ranges: [{ date: '', from: '', to: '' }] }))).json.fields).toEqual({
      'ranges.0.date': 'Give at least one date and time',
    });
    await expect(readFile(file(), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(calls.notices).toHaveLength(0);
  });

  it('429 once a type has had its proposals for the hour, then accepts again an hour later', async () => {
    clock.advance(2 * 3_600_000);
    for (let i = 0; i < 3; i++) expect((await post('/book/appel/availability', proposal())).status).toBe(201);
    const limited = await post('/book/appel/availability', proposal());
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    clock.advance(3_600_001);
    expect((await post('/book/appel/availability', proposal())).status).toBe(201);
    expect(calls.notices).toHaveLength(4);
  });
});

describe('a slug declared by two configs', () => {
  it('is served by neither (503), and the log says which configs', async () => {
    const dup = join(dirs.configDir, 'autre.yml');
    await writeFile(dup, CABINET.replace(TOKEN, 'another-token'));
    try {
      // The catalog caches for a minute unless a file changed: a new file is a change.
      const r = await call('/api/calcom/slots?type=appel&range=5', EN);
      expect(r.status).toBe(503);
      expect(r.json.error).toBe('The booking type "appel" is not available right now.');
      expect((await call('/book/appel')).status).toBe(503);
      expect(log.lines.some((l) => l.level === 'warn' && l.message.includes('type "appel" is declared by autre and cabinet'))).toBe(true);
    } finally {
      await rm(dup);
    }
    expect((await call('/book/appel')).status).toBe(200);
  });
});

describe('proposalNotice', () => {
  const proposed = { requestId: 'p1', name: 'Noé', email: 'noe@example.org', ranges: [{ date: '2025-05-30', from: '18:00', to: '20:00' }], type: 'appel' };
  const entryIn = (locale: 'fr' | 'en') =>
    ({ type: { timezone: 'Europe/Paris', title: 'Appel' }, instance: { locale } }) as unknown as Parameters<typeof proposalNotice>[0];

  it('speaks the config’s language, days included', () => {
    const en = proposalNotice(entryIn('en'), proposed as never);
    expect(en.title).toBe('Availability proposed: Appel');
    expect(en.text).toBe('Noé found no free time and proposes (Europe/Paris):\n• Fri 30 May 2025, 18:00–20:00');
    expect(en.fields.map((f) => f.name)).toEqual(['Name', 'Email', 'Booking type']);
    const fr = proposalNotice(entryIn('fr'), proposed as never);
    expect(fr.title).toBe('Disponibilités proposées : Appel');
    expect(fr.text).toBe('Noé n’a trouvé aucun horaire libre et propose (Europe/Paris) :\n• ven. 30 mai 2025, 18:00–20:00');
    expect(fr.fields.map((f) => f.name)).toEqual(['Nom', 'E-mail', 'Type de rendez-vous']);
  });
});
