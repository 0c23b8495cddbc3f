/**
 * The demo's world: every outside service campus-sync talks to, simulated on 127.0.0.1 with generated
 * data (one MonCampus per student, one ECAL, ClicRDV, Cal.com and Discord), and the configs that point
 * the workers at them. The simulators are the test ones (src/sim); nothing here re-implements them.
 */
import { DateTime } from 'luxon';
import type { z } from 'zod';
import type { configFileSchema } from '../config/index.js';
import {
  generateTimetable,
  startCalcomSim,
  startClicrdvSim,
  startDiscordGatewaySim,
  startEcalSim,
  startMonCampusSim,
  type CalcomSim,
  type CalcomSlotSpec,
  type ClicrdvSim,
  type ClicrdvSlot,
  type DiscordGatewaySim,
  type EcalSim,
  type MonCampusSim,
  type SimCourseSpec,
} from '../sim/index.js';

/** What a config file may say (before the loader's defaults): the demo writes these as YAML. */
export type DemoConfig = z.input<typeof configFileSchema>;

export const ZONE = 'Europe/Paris';
/** Every 30 s: a class moved in MonCampus shows up in ECAL within half a minute. */
export const TIMETABLE_SCHEDULE = '*/30 * * * * *';
/** Every 5 s: a slot opened by the demo reaches Discord a few seconds later (real configs check every 5 min). */
export const SLOT_SCHEDULE = '*/5 * * * * *';
/** About seven weeks of classes from a week ago: a full first sync that still takes seconds. */
const COURSES_PER_STUDENT = 120;
/** The demo moves classes of the next few days: inside the default `changes.horizonDays` (7), so the move alerts. */
const MOVE_WITHIN_DAYS = 5;
/** Both slot sources are asked this far ahead; every slot the demo opens falls inside. */
const SLOT_DAYS_AHEAD = 14;

const CLICRDV_KEY = 'demo-clicrdv-key';
const CLICRDV_GROUP = 4242;
const CLICRDV_INTERVENTION = 17;
const CALCOM_TOKEN = 'demo-calcom-token';
const CALCOM_EVENT_TYPE = 1001;
/** The booking tunnel's page: /book/<type>. */
export const BOOKING_TYPE = 'tutorat';

export interface DemoStudent {
  /** Instance name: configs/<name>.yml. */
  name: string;
  calendarId: string;
  moncampus: MonCampusSim;
  courses: SimCourseSpec[];
}

/** A slot watcher of a demo config and the simulator it watches. */
export interface DemoWatcher {
  instance: string;
  watcher: string;
  provider: 'clicrdv' | 'calcom';
}

export interface DemoWorld {
  students: DemoStudent[];
  ecal: EcalSim;
  clicrdv: ClicrdvSim;
  calcom: CalcomSim;
  /** REST and Gateway (discord-gateway.ts): the alerts' webhooks land here, and the reporting channel is read live. */
  discord: DiscordGatewaySim;
  /** The channel Discord ingestion reads (through the Gateway), where the demo posts people's messages. */
  reportingChannel: string;
  /** DISCORD_* settings for the supervisor's API: live ingestion of the reporting channel from the simulator. */
  ingestEnv: Record<string, string>;
  /** Posts the n-th message of a student in the reporting channel; returns who wrote what. */
  postReport(n: number): string;
  /** Webhook id → the Discord channel it posts into, as the demo names it. */
  webhooks: Map<string, { channel: string; url: string }>;
  watchers: DemoWatcher[];
  /** The configs to write, by instance name. */
  configs: Record<string, DemoConfig>;
  /** Opens the n-th new slot on the watcher's simulator; returns its start as people read it. */
  openSlot(w: DemoWatcher, n: number): string;
  /** Moves one upcoming class of the first student to another room (a timetable change); returns what moved. */
  moveClass(round: number): string;
  close(): Promise<void>;
}

/** The simulated bot's token (a simulator's, not a secret): the API's live ingestion identifies with it. */
const DEMO_BOT_TOKEN = 'demo-bot-token';
/** What the demo's students write in the reporting channel, in turn. */
const REPORT_LINES = ['Le cours de 10h est déplacé en salle 204 ?', 'Qui a les notes du TD de mardi ?', 'Rendu du projet repoussé à vendredi', 'Merci !'];

const STUDENTS = [
  { name: 'alice', seed: 11, calendarId: 'a11ce0000000000000000001' },
  { name: 'bob', seed: 22, calendarId: 'b0b000000000000000000002' },
] as const;

/** Day offset, hour and minute of the n-th slot: distinct for the first hundred, always tomorrow or later. */
function slotTime(n: number, now: DateTime): DateTime {
  return now
    .setZone(ZONE)
    .startOf('day')
    .plus({ days: 1 + (n % (SLOT_DAYS_AHEAD - 2)) })
    .set({ hour: 8 + (Math.floor(n / (SLOT_DAYS_AHEAD - 2)) % 9), minute: (n % 4) * 15 });
}

const clicrdvSlot = (n: number, now: DateTime): ClicrdvSlot => ({ start: slotTime(n, now).toFormat('yyyy-MM-dd HH:mm:ss'), slot: 5000 + n });
const calcomSlot = (n: number, now: DateTime): CalcomSlotSpec => ({ eventTypeId: CALCOM_EVENT_TYPE, start: slotTime(n, now).toISO()! });

/** The slots open when the demo starts: the watchers' first check records them without alerting. */
const INITIAL_SLOTS = [0, 1, 2];
/** New slots are numbered after those. */
const FIRST_NEW_SLOT = 10;

export async function startDemoWorld(opts: { clock?: () => DateTime } = {}): Promise<DemoWorld> {
  const clock = opts.clock ?? (() => DateTime.now());
  const now = clock().setZone(ZONE);
  const started: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(sim: T): T => {
    started.push(sim);
    return sim;
  };
  const close = async (): Promise<void> => void (await Promise.allSettled(started.map((s) => s.close())));
  try {
    const students: DemoStudent[] = [];
    for (const s of STUDENTS) {
      const courses = generateTimetable({ count: COURSES_PER_STUDENT, start: now.minus({ days: 7 }).toISODate()!, seed: s.seed });
      const moncampus = track(await startMonCampusSim({ users: { [`${s.name}.etudiant`]: `${s.name}-demo-password` }, courses }));
      students.push({ name: s.name, calendarId: s.calendarId, moncampus, courses });
    }
    const ecal = track(
      await startEcalSim({
        keys: Object.fromEntries(STUDENTS.map((s) => [`${s.name}-ecal-key`, `${s.name}-ecal-secret`])),
        calendars: STUDENTS.map((s) => s.calendarId),
      }),
    );
    const clicSlots = INITIAL_SLOTS.map((n) => clicrdvSlot(n, now));
    const calSlots = INITIAL_SLOTS.map((n) => calcomSlot(n, now));
    const clicrdv = track(await startClicrdvSim({ apikey: CLICRDV_KEY, groupId: CLICRDV_GROUP, slots: [...clicSlots] }));
    const calcom = track(await startCalcomSim({ token: CALCOM_TOKEN, slots: [...calSlots] }));
    const discord = track(await startDiscordGatewaySim({ botToken: DEMO_BOT_TOKEN }));
    const reportingChannel = discord.createChannel();

    const webhooks = new Map<string, { channel: string; url: string }>();
    const webhook = (channel: string): string => {
      const hook = discord.createWebhook();
      webhooks.set(hook.id, { channel, url: hook.url });
      return hook.url;
    };

    const configs: Record<string, DemoConfig> = {};
    for (const s of students) {
      configs[s.name] = {
        timezone: ZONE,
        schedule: TIMETABLE_SCHEDULE,
        moncampus: { url: s.moncampus.url, casUrl: s.moncampus.casUrl, username: `${s.name}.etudiant`, password: `${s.name}-demo-password` },
        ecal: { url: ecal.url, apiKey: `${s.name}-ecal-key`, apiSecret: `${s.name}-ecal-secret`, calendarId: s.calendarId },
      };
    }
    const first = students[0]!;
    configs[first.name] = {
      ...configs[first.name],
      slots: [
        {
          name: 'medecin',
          provider: 'clicrdv',
          url: `${clicrdv.url}/api/v2/availabletimeslots?group_id=${CLICRDV_GROUP}&appointments[0][intervention_id]=${CLICRDV_INTERVENTION}&apikey=${CLICRDV_KEY}`,
          schedule: SLOT_SCHEDULE,
          daysAhead: SLOT_DAYS_AHEAD,
        },
      ],
      notify: [{ name: 'discord', type: 'discord-webhook', url: webhook(`#${first.name}`) }],
    };
    configs['office-hours'] = {
      timezone: ZONE,
      slots: [
        {
          name: 'tutor',
          provider: 'calcom',
          eventTypeId: CALCOM_EVENT_TYPE,
          token: CALCOM_TOKEN,
          url: calcom.url,
          schedule: SLOT_SCHEDULE,
          rangeDays: SLOT_DAYS_AHEAD,
        },
      ],
      notify: [{ name: 'discord', type: 'discord-webhook', url: webhook('#office-hours') }],
      // The booking tunnel's page /book/tutorat offers the same Cal.com event type's slots to visitors.
      booking: [
        {
          type: BOOKING_TYPE,
          title: 'Tutorat (30 min)',
          provider: 'calcom',
          eventTypeId: CALCOM_EVENT_TYPE,
          token: CALCOM_TOKEN,
          url: calcom.url,
          rangeDays: SLOT_DAYS_AHEAD,
        },
      ],
    };

    return {
      students,
      ecal,
      clicrdv,
      calcom,
      discord,
      reportingChannel,
      ingestEnv: {
        DISCORD_BOT_TOKEN: DEMO_BOT_TOKEN,
        DISCORD_GUILD_ID: discord.guildId,
        DISCORD_CHANNEL_IDS: reportingChannel,
        DISCORD_API_URL: discord.url,
      },
      postReport(n) {
        const who = students[n % students.length]?.name ?? 'alice';
        const text = REPORT_LINES[n % REPORT_LINES.length] ?? 'bonjour';
        discord.addMessage(reportingChannel, { content: text, authorName: who });
        return `${who}: "${text}"`;
      },
      webhooks,
      watchers: [
        { instance: first.name, watcher: 'medecin', provider: 'clicrdv' },
        { instance: 'office-hours', watcher: 'tutor', provider: 'calcom' },
      ],
      configs,
      openSlot(w, n) {
        const k = FIRST_NEW_SLOT + n;
        // Kept open afterwards: the next slot is news on its own, not a re-run of this one.
        if (w.provider === 'clicrdv') {
          clicSlots.push(clicrdvSlot(k, now));
          clicrdv.setSlots(clicSlots);
        } else {
          calSlots.push(calcomSlot(k, now));
          calcom.setSlots(calSlots);
        }
        return slotTime(k, now).toFormat('ccc d LLL HH:mm');
      },
      moveClass(round) {
        // A class of the coming days (inside the default change-alert horizon, after the next hour), moved an hour
        // later into another room: the next sync updates it in ECAL and the worker's change alert names it.
        const from = clock().setZone(ZONE).plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm");
        const until = clock().setZone(ZONE).plus({ days: MOVE_WITHIN_DAYS }).toFormat("yyyy-MM-dd'T'HH:mm");
        const upcoming = first.courses.map((c, i) => ({ c, i })).filter(({ c }) => c.start > from && c.start < until);
        const pick = upcoming[(round * 7) % Math.max(1, upcoming.length)];
        if (!pick) return 'no class in the coming days to move';
        const later = (wall: string): string => DateTime.fromISO(wall, { zone: ZONE }).plus({ hours: 1 }).toFormat("yyyy-MM-dd'T'HH:mm");
        const moved = { ...pick.c, start: later(pick.c.start), end: later(pick.c.end), room: `Salle ${100 + round}(Bâtiment D)` };
        first.courses = first.courses.map((c, i) => (i === pick.i ? moved : c));
        first.moncampus.setCourses(first.courses);
        return `${first.name}'s "${pick.c.subject ?? pick.c.title}" on ${pick.c.start.replace('T', ' ')} moves an hour later to ${moved.room}`;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
