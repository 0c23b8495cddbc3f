/**
 * `npm run demo`: the whole sync visible with no account anywhere. Starts the MonCampus and ECAL
 * simulators on 127.0.0.1 with a generated timetable around today, writes a demo config, and runs a real
 * worker on it every 30 seconds; between runs a class moves, so each run shows one update landing in the
 * simulated ECAL. Ctrl+C stops everything it started.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DateTime } from 'luxon';
import { loadConfigFile } from '../config/index.js';
import { createLogger } from '../lib/index.js';
import { generateTimetable, startEcalSim, startMonCampusSim, type SimCourseSpec } from '../sim/index.js';
import { startWorker, ICS_FILE } from '../worker/index.js';

/** Often enough to watch changes land, rare enough to read the log between runs. */
const DEMO_SCHEDULE = '*/30 * * * * *';
const USER = 'demo.student';
const PASSWORD = 'demo-password';
const API_KEY = 'demo-key';
const API_SECRET = 'demo-secret';
const CALENDAR = 'dddddddddddddddddddddddd';

const root = resolve(process.env.CAMPUS_SYNC_DEMO_DIR ?? 'demo-data');
const configDir = join(root, 'configs');
const dataDir = join(root, 'data', 'demo');

const today = DateTime.now().setZone('Europe/Paris').startOf('day');
let courses: SimCourseSpec[] = generateTimetable({ count: 250, start: today.minus({ days: 7 }).toISODate()!, seed: 42 });

const mc = await startMonCampusSim({ users: { [USER]: PASSWORD }, courses });
const ecal = await startEcalSim({ keys: { [API_KEY]: API_SECRET }, calendars: [CALENDAR] });
await mkdir(configDir, { recursive: true });
const file = join(configDir, 'demo.yml');
await writeFile(
  file,
  [
    '# Written by `npm run demo`: points at the local simulators.',
    'timezone: Europe/Paris',
    `schedule: "${DEMO_SCHEDULE}"`,
    'moncampus:',
    `  url: ${mc.url}`,
    `  casUrl: ${mc.casUrl}`,
    `  username: ${USER}`,
    `  password: ${PASSWORD}`,
    'ecal:',
    `  url: ${ecal.url}`,
    `  apiKey: ${API_KEY}`,
    `  apiSecret: ${API_SECRET}`,
    `  calendarId: ${CALENDAR}`,
    '',
  ].join('\n'),
);
const config = await loadConfigFile(file);
const logger = createLogger({ instance: 'demo', secrets: config.secrets, json: false });

const say = (text: string): void => void process.stdout.write(`\n${text}\n`);
say(`MonCampus simulator: ${mc.url} (CAS ${mc.casUrl}) — ${courses.length} courses around today`);
say(`ECAL simulator:      ${ecal.url}/apiv2/ — calendar ${CALENDAR}`);
say(`Config: ${file}\nData:   ${dataDir} (errors.log, ${ICS_FILE}, last-run.json)\n`);

let round = 0;
const worker = startWorker({
  config,
  dir: dataDir,
  logger,
  onRunFinished: ({ record }) => {
    const upcoming = ecal
      .events()
      .filter((e) => e.startDate >= today.toISODate()!)
      .sort((a, b) => `${a.startDate}${a.startTime}`.localeCompare(`${b.startDate}${b.startTime}`))
      .slice(0, 5);
    say(
      `ECAL now holds ${ecal.events().length} events (run: ${record.counts.created} created, ${record.counts.updated} updated, ` +
        `${record.counts.deleted} deleted, ${record.counts.unchanged} unchanged). Next classes:\n` +
        upcoming.map((e) => `  ${e.startDate} ${e.startTime}–${e.endTime}  ${e.name} @ ${e.location}`).join('\n'),
    );
    // Move one class for the next run, as a timetable change would.
    round++;
    const i = (round * 7) % courses.length;
    const c = courses[i]!;
    const moved = { ...c, room: `Salle ${100 + round}` };
    courses = courses.map((x, j) => (j === i ? moved : x));
    mc.setCourses(courses);
    say(`MonCampus changed: "${c.comment ?? c.title}" on ${c.start.slice(0, 10)} moves to ${moved.room}; the next run updates it in place.`);
  },
});

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) process.exit(1);
  stopping = true;
  say('stopping the worker and the simulators…');
  await worker.stop();
  await Promise.all([mc.close(), ecal.close()]);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
