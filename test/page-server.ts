/**
 * The page tests' common set-up, once per file: a booking host (the Cal.com and Slack simulators and a
 * `cabinet` config offering one Cal.com type), the files a slot watcher leaves for the dashboard, and the real
 * API server (startApi, SQLite) with one Chromium beside it. Each file composes the server's extensions itself.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { startApi, type RunningApi, type StartApiOptions } from '../src/api/index.js';
import { loadConfigFile } from '../src/config/index.js';
import { silentLogger } from '../src/lib/index.js';
import { startCalcomSim, startSlackSim, type CalcomSim, type SlackSim } from '../src/sim/index.js';
import { createSlotWatcher } from '../src/slots/index.js';
import { makeSlot } from '../src/slots/slot.js';
import { launchBrowser, type BrowserSession } from './browser.js';

/** The lines of a config's `notify:` list with one Slack channel named `team`. */
export function slackNotify(webhook: string): string[] {
  return ['notify:', '  - name: team', '    type: slack', `    url: ${webhook}`];
}

export interface BookingHostOptions {
  configDir: string;
  /** The Cal.com simulator's free slots and the token it accepts (written to `cal.token` beside the config). */
  slots: { eventTypeId: number; start: string }[];
  token: string;
  eventTypeId: number;
  timezone: string;
  /** The booking type's title and description: DISCOVERY_CALL unless given. */
  type?: { title: string; description?: string };
}

/** The booking type the page tests offer: a French title and description (accents included). */
export const DISCOVERY_CALL = { title: 'Appel découverte', description: 'Vingt minutes au téléphone pour faire connaissance.' } as const;

export interface BookingHost {
  cal: CalcomSim;
  slack: SlackSim;
  /** The Slack webhook `cabinet.yml` notifies. */
  webhook: string;
  close(): Promise<void>;
}

/**
 * Starts the Cal.com and Slack simulators and writes `cabinet.yml`: one booking type `appel` on Cal.com
 * (its token in `cal.token`), owner alerts to Slack.
 */
export async function startBookingHost(o: BookingHostOptions): Promise<BookingHost> {
  const cal = await startCalcomSim({ slots: o.slots, token: o.token });
  const slack = await startSlackSim();
  const webhook = slack.createWebhook();
  const type: { title: string; description?: string } = o.type ?? DISCOVERY_CALL;
  await writeFile(join(o.configDir, 'cal.token'), `${o.token}\n`);
  await writeFile(
    join(o.configDir, 'cabinet.yml'),
    [
      `timezone: ${o.timezone}`,
      'booking:',
      '  - type: appel',
      `    title: ${type.title}`,
      ...(type.description ? [`    description: ${type.description}`] : []),
      '    provider: calcom',
      `    eventTypeId: ${o.eventTypeId}`,
      '    tokenFile: cal.token',
      `    url: ${cal.url}`,
      ...slackNotify(webhook),
      '',
    ].join('\n'),
  );
  return { cal, slack, webhook, close: async () => void (await Promise.all([cal.close(), slack.close()])) };
}

/**
 * What the watcher of the config's first `slots:` entry leaves in `<dataDir>/<instance>/slots/`, written by the
 * watcher itself (its provider answers from here): a baseline of one slot in two days, then one new slot in four.
 */
export async function writeWatcherState(o: { configFile: string; dataDir: string; instance: string; timezone: string }): Promise<void> {
  const config = await loadConfigFile(o.configFile);
  const at = (days: number, hour: number, minute: number) =>
    makeSlot('clicrdv', DateTime.now().plus({ days }).set({ hour, minute, second: 0, millisecond: 0 }), o.timezone);
  let offered = [at(2, 9, 30)];
  const watcher = createSlotWatcher({
    config: config.slots[0]!,
    stateFile: join(o.dataDir, o.instance, 'slots', `${config.slots[0]!.name}.json`),
    timezone: o.timezone,
    provider: { check: async () => ({ slots: offered, requests: 1 }) },
  });
  await (await watcher.check()).commit(); // the baseline
  offered = [...offered, at(4, 14, 0)];
  await (await watcher.check()).commit(); // one new slot
}

export interface PageServer {
  api: RunningApi;
  /** The server's URL. */
  base: string;
  /** The file's one Chromium. */
  session: BrowserSession;
  close(): Promise<void>;
}

/** The real API server on a free port of 127.0.0.1 with these extensions, and one Chromium for the file. */
export async function startPageServer(opts: Omit<StartApiOptions, 'logger' | 'port' | 'host'>): Promise<PageServer> {
  const api = await startApi({ logger: silentLogger, port: 0, host: '127.0.0.1', ...opts });
  try {
    const session = await launchBrowser();
    return {
      api,
      base: api.url,
      session,
      async close() {
        await session.close();
        await api.stop(1_000);
      },
    };
  } catch (err) {
    await api.stop(1_000);
    throw err;
  }
}
