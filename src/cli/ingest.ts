import { dataDir } from '../config/index.js';
import {
  backfill,
  channelHealth,
  DISCORD_ENV,
  ingestConfigFromEnv,
  pollOnce,
  progressPrinter,
  recordIngestHealth,
  type BackfillResult,
  type ChannelOutcome,
  type IngestSettings,
  type LiveSink,
  type MessageSink,
  type PollResult,
} from '../ingest/index.js';
import { ConfigError, createLogger, describeError, makeRedactor, wantsJson, type Logger } from '../lib/index.js';
import { openStore, type Store } from '../store/index.js';
import { startDiscordIngestion } from './discord-ingestion.js';
import { EXIT, UsageError, type Output } from './output.js';
import type { VerbContext } from './main.js';

/**
 * `campus-sync ingest backfill [--restart]`: Discord channel history into the reporting store, resumable.
 * `campus-sync ingest poll [--recheck]`: one `after`-poll (plus the edit/deletion re-read when due, or
 * forced), for cron. Settings from the environment (DISCORD_*, see src/ingest/env.ts), the store from
 * DATABASE_URL or SQLite under the data dir. Exit 0 done, 1 the work failed (or a backfill was
 * interrupted: run it again to resume), 2 bad usage or settings.
 *
 * This is where ingestion meets the store: neither imports the other, and the assignment below is the
 * compile-time proof that the store is a MessageSink.
 */

export interface IngestVerbDeps {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the progress bar is drawn (default stderr); only when it is a terminal and not --json. */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default: one for `ingest`, redacting the token. */
  logger?: Logger;
  /** Stops a backfill between pages (default: the first SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

const SUBCOMMANDS = ['backfill', 'poll', 'live'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

export async function ingestVerb({ args, values, out }: VerbContext, deps: IngestVerbDeps = {}): Promise<number> {
  const sub = args[0];
  if (args.length !== 1 || !SUBCOMMANDS.includes(sub as Subcommand)) {
    throw new UsageError(
      'say what to do: `campus-sync ingest live` (real time through the Gateway, until stopped), `campus-sync ingest backfill [--restart]` (history) or `campus-sync ingest poll [--recheck]` (new messages, once)',
    );
  }
  if (sub === 'live' && (values.restart === true || values.recheck === true)) throw new UsageError('`ingest live` takes neither --restart nor --recheck');
  if (sub === 'poll' && values.restart === true) throw new UsageError('--restart goes with `ingest backfill`');
  if (sub === 'backfill' && values.recheck === true) throw new UsageError('--recheck goes with `ingest poll`');
  const env = deps.env ?? process.env;

  let settings: IngestSettings | null;
  try {
    settings = await ingestConfigFromEnv(env);
    if (settings === null) {
      throw new ConfigError(
        `${DISCORD_ENV.token} is not set: ingestion needs the bot token (or ${DISCORD_ENV.tokenFile}), ${DISCORD_ENV.guildId} and ${DISCORD_ENV.channels}`,
      );
    }
  } catch (err) {
    return failWith(out, err, (t) => t);
  }
  const redact = makeRedactor([settings.token]);
  const logger = deps.logger ?? createLogger({ instance: 'ingest', secrets: [settings.token], json: wantsJson(out.json || undefined) });

  let store: Store;
  try {
    const databaseUrl = env.DATABASE_URL?.trim() || undefined;
    store = await openStore({ dataDir: dataDir(env), logger, ...(databaseUrl !== undefined ? { databaseUrl } : {}) });
  } catch (err) {
    return failWith(out, err, redact);
  }
  const sink: MessageSink = store;

  // Each channel's reading is recorded where `status` and the dashboard read it (data/.ingest/discord.json).
  const record = async (outcomes: ChannelOutcome[], by: 'backfill' | 'poll'): Promise<void> => {
    const configured = settings.channels.map((c) => c.channelId);
    await recordIngestHealth(dataDir(env), channelHealth(outcomes, new Date().toISOString(), by), configured).catch((err: unknown) =>
      logger.warn(`cannot record the ingestion's health: ${describeError(err)}`),
    );
  };
  try {
    if (sub === 'live') return await runLive(out, { ...settings, mode: 'gateway' }, store, dataDir(env), logger, deps.signal);
    if (sub === 'backfill') return await runBackfill(out, settings, sink, store.description, logger, values.restart === true, deps, record);
    return await runPoll(out, settings, sink, store.description, logger, values.recheck === true, record);
  } catch (err) {
    // A store failure, or Discord refusing the token (AuthError: its message names the setting, never the token).
    return failWith(out, err, redact);
  } finally {
    await store.close();
  }
}

function failWith(out: Output, err: unknown, redact: (t: string) => string): number {
  out.error(redact(describeError(err)));
  return err instanceof ConfigError ? EXIT.usage : EXIT.failed;
}

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

async function runBackfill(
  out: Output,
  settings: IngestSettings,
  sink: MessageSink,
  database: string,
  logger: Logger,
  restart: boolean,
  deps: IngestVerbDeps,
  record: (outcomes: ChannelOutcome[], by: 'backfill') => Promise<void>,
): Promise<number> {
  const stream = deps.progressStream ?? process.stderr;
  const printer = stream.isTTY === true && !out.json ? progressPrinter(stream) : undefined;
  // The bar ends its line when a channel is done; a stop mid-channel must end it too.
  let lineOpen = false;
  const onProgress =
    printer &&
    ((p: Parameters<typeof printer>[0]): void => {
      printer(p);
      lineOpen = !p.done;
    });
  const stop = deps.signal === undefined ? stopOnSignal(logger) : undefined;
  const started = Date.now();
  let result: BackfillResult;
  try {
    result = await backfill({
      ...settings,
      sink,
      logger,
      restart,
      signal: deps.signal ?? stop!.signal,
      ...(onProgress !== undefined ? { onProgress } : {}),
    });
  } finally {
    stop?.dispose();
    if (lineOpen) stream.write('\n');
  }
  const durationMs = Date.now() - started;
  await record(result.channels, 'backfill');
  const blocked = result.channels.filter((c) => c.problem !== undefined);
  const sum = (k: 'pages' | 'fetched' | 'inserted' | 'updated'): number => result.channels.reduce((n, c) => n + c[k], 0);
  const totals = { pages: sum('pages'), fetched: sum('fetched'), inserted: sum('inserted'), updated: sum('updated') };
  out.result({ command: 'ingest backfill', database, interrupted: result.interrupted, durationMs, ...totals, channels: result.channels }, () => {
    const done = result.channels.filter((c) => c.done).length;
    const status = result.interrupted
      ? out.yellow('interrupted (run it again to resume)')
      : blocked.length > 0
        ? out.red(`stopped in ${plural(blocked.length, 'channel')} (a permission or intent is missing)`)
        : out.green('done');
    out.line(
      `backfill ${status}: ${plural(done, 'channel')} of ${settings.channels.length} complete, ${plural(totals.fetched, 'message')} read ` +
        `(${totals.inserted} new, ${totals.updated} updated, ${plural(totals.pages, 'page')} this run) into ${database} in ${(durationMs / 1000).toFixed(1)} s`,
    );
  });
  // Said even with --json: a person running it must not miss why a channel stays empty.
  for (const c of blocked) out.error(`channel ${c.channelId}: ${c.problem!.message}`);
  return result.interrupted || blocked.length > 0 ? EXIT.failed : EXIT.ok;
}

async function runPoll(
  out: Output,
  settings: IngestSettings,
  sink: MessageSink,
  database: string,
  logger: Logger,
  recheck: boolean,
  record: (outcomes: ChannelOutcome[], by: 'poll') => Promise<void>,
): Promise<number> {
  const result: PollResult = await pollOnce({ ...settings, sink, logger, recheck: recheck ? true : 'auto' });
  await record(result.channels, 'poll');
  const failed = result.channels.filter((c) => c.error !== undefined);
  const sum = (k: 'fetched' | 'inserted' | 'updated' | 'deleted'): number => result.channels.reduce((n, c) => n + c[k], 0);
  const totals = { fetched: sum('fetched'), inserted: sum('inserted'), updated: sum('updated'), deleted: sum('deleted') };
  // An Error serialises to {}: the message is what a script can use.
  const channels = result.channels.map(({ error, ...c }) => ({ ...c, ...(error !== undefined ? { error: error.message } : {}) }));
  out.result({ command: 'ingest poll', database, at: result.at, ...totals, channels }, () => {
    const rechecked = result.channels.filter((c) => c.rechecked).length;
    out.line(
      `poll ${failed.length === 0 ? out.green('done') : out.red(`failed in ${plural(failed.length, 'channel')}`)}: ` +
        `${totals.inserted} new, ${totals.updated} updated, ${totals.deleted} marked deleted in ${plural(result.channels.length, 'channel')} ` +
        `(${rechecked} re-read for edits and deletions) into ${database}`,
    );
  });
  for (const c of failed) out.error(`channel ${c.channelId}: ${c.error!.message}`);
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

/**
 * Live ingestion alone (what `serve` runs beside the API when ingestion is configured): until SIGINT/SIGTERM
 * (exit 0, after closing the Gateway with 1000 and writing what is queued) or a stop that needs a person
 * (refused token or Message Content intent: exit 1 with the reason).
 */
async function runLive(out: Output, settings: IngestSettings, sink: LiveSink, dir: string, logger: Logger, signal?: AbortSignal): Promise<number> {
  const live = startDiscordIngestion({ settings, sink, dataDir: dir, logger });
  const stop = signal === undefined ? stopOnSignal(logger, 'closing the Gateway and writing what is queued') : undefined;
  const aborted = signal ?? stop!.signal;
  const why = await Promise.race([
    live.stopped.then((h) => ({ fatal: h.fatal === true, reason: h.reason })),
    new Promise<{ fatal: false; reason?: string }>((resolve) => {
      if (aborted.aborted) resolve({ fatal: false });
      aborted.addEventListener('abort', () => resolve({ fatal: false }), { once: true });
    }),
  ]);
  stop?.dispose();
  await live.stop();
  if (why.fatal) {
    out.error(`live ingestion stopped: ${why.reason ?? 'unknown reason'}`);
    return EXIT.failed;
  }
  out.result({ command: 'ingest live', stopped: 'signal' }, () => out.line('live ingestion stopped'));
  return EXIT.ok;
}

/** The first SIGINT/SIGTERM stops the backfill after the page in hand (stored, so a rerun resumes); a second one exits. */
function stopOnSignal(logger: Logger, what = 'stopping after the current page; run the backfill again to resume'): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT.failed);
    logger.warn(`${sig}: ${what}`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
