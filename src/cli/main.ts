import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, describeError } from '../lib/index.js';
import { createOutput, EXIT, UsageError, type Output } from './output.js';
import { outputLocale } from './locale.js';

export interface VerbContext {
  args: string[];
  values: Record<string, string | boolean | undefined>;
  out: Output;
}

interface Verb {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(ctx: VerbContext): Promise<number>;
}

const common = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
// Verbs are loaded when called: `worker` must not pay for Docker's client, and the HEALTHCHECK runs
// `health` every 30 s in every container.
const runtimeOption = { runtime: { type: 'string' } } as const;

export const VERBS: Record<string, Verb> = {
  validate: {
    summary: 'check config files (all of configs/ when none is named)',
    usage: 'campus-sync validate [files…] [--json]',
    options: { ...common },
    run: async (ctx) => (await import('./validate.js')).validateVerb(ctx),
  },
  'run-once': {
    summary: 'sync one config now and print the plan and counts',
    usage: 'campus-sync run-once <name|--config path> [--dry-run] [--verify] [--json]',
    options: { ...common, config: { type: 'string', short: 'c' }, 'dry-run': { type: 'boolean' }, verify: { type: 'boolean' } },
    run: async (ctx) => (await import('./run-once.js')).runOnceVerb(ctx),
  },
  worker: {
    summary: 'run one config on its schedule until stopped (RUN_ONCE=1: one cycle)',
    usage: 'campus-sync worker <name|--config path> [--json]',
    options: { ...common, config: { type: 'string', short: 'c' } },
    run: async (ctx) => (await import('./worker.js')).workerVerb(ctx),
  },
  list: {
    summary: 'list configs with their state and last run',
    usage: 'campus-sync list [--json]',
    options: { ...common },
    run: async (ctx) => (await import('./list.js')).listVerb(ctx),
  },
  errors: {
    summary: "print a config's error file (data/<name>/errors.log)",
    usage: 'campus-sync errors <name> [-n lines] [--json]',
    options: { ...common, lines: { type: 'string', short: 'n' } },
    run: async (ctx) => (await import('./errors.js')).errorsVerb(ctx),
  },
  supervise: {
    summary: 'run one worker per config (Docker containers, or child processes) and keep them right',
    usage:
      'campus-sync supervise [--runtime auto|docker|process|swarm] [--remove-workers-on-exit] [--no-api] [--take-over] [--json]   (the reporting API runs beside it on PORT unless --no-api or CAMPUS_SYNC_API=off; --take-over: adopt the workers another supervisor labelled on this engine)',
    options: { ...common, ...runtimeOption, 'remove-workers-on-exit': { type: 'boolean' }, 'no-api': { type: 'boolean' }, 'take-over': { type: 'boolean' } },
    run: async (ctx) => (await import('./supervise.js')).superviseVerb(ctx),
  },
  ingest: {
    summary:
      'ingest live: Discord messages in real time through the Gateway (serve runs it too); ingest backfill: channel history (progress bar); ingest poll: new messages once (the fallback, for cron)',
    usage:
      'campus-sync ingest live [--json] | campus-sync ingest backfill [--restart] [--json] | campus-sync ingest poll [--recheck] [--json]   (env: DISCORD_BOT_TOKEN, DISCORD_GUILD_ID, DISCORD_CHANNEL_IDS, DATABASE_URL)',
    options: { ...common, restart: { type: 'boolean' }, recheck: { type: 'boolean' } },
    run: async (ctx) => (await import('./ingest.js')).ingestVerb(ctx),
  },
  serve: {
    summary: 'the reporting API alone: store, import of the workers’ files, HTTP on PORT/HOST (default 127.0.0.1:8080)',
    usage: 'campus-sync serve [--json]   (env: PORT, HOST, DATABASE_URL, API_KEY / API_KEYS / API_KEYS_FILE)',
    options: { ...common },
    run: async (ctx) => (await import('./serve.js')).serveVerb(ctx),
  },
  'api-key': {
    summary: 'the dashboard and API key (made at the first start of the supervisor)',
    usage: 'campus-sync api-key [--json]   (prints the key; data/.supervisor/api-key)',
    options: { ...common },
    run: async (ctx) => (await import('./api-key.js')).apiKeyVerb(ctx),
  },
  'feed-url': {
    summary: "the calendar subscription URL of a config's timetable (ICS feed served by the API)",
    usage: 'campus-sync feed-url <name|--config path> [--base-url URL]   (default base: PUBLIC_URL, else http://127.0.0.1:$PORT)',
    options: { ...common, config: { type: 'string' }, 'base-url': { type: 'string' } },
    run: async (ctx) => (await import('./feed-url.js')).feedUrlVerb(ctx),
  },
  status: {
    summary: 'one line per config: running/stopped/crash-looping/invalid, last run, next run',
    usage: 'campus-sync status [--runtime auto|docker|process|swarm] [--json]',
    options: { ...common, ...runtimeOption },
    run: async (ctx) => (await import('./manage.js')).statusVerb(ctx),
  },
  'add-config': {
    summary: 'create configs/<name>.yml by answering questions (or with flags, for scripts)',
    usage:
      'campus-sync add-config [name] [--school igensia|cd|<school>|<url> | --moncampus-url url] [--cas-url url] [--username u] [--password p | --password-file f] ' +
      '[--calendar-id id] [--api-key k | --api-key-file f] [--api-secret s | --api-secret-file f] [--ecal-url url] [--timezone tz] [--schedule cron] [--from YYYY-MM-DD --to YYYY-MM-DD] [--no-input]',
    options: {
      ...common,
      school: { type: 'string' },
      'moncampus-url': { type: 'string' },
      'cas-url': { type: 'string' },
      'ecal-url': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'password-file': { type: 'string' },
      'calendar-id': { type: 'string' },
      'api-key': { type: 'string' },
      'api-key-file': { type: 'string' },
      'api-secret': { type: 'string' },
      'api-secret-file': { type: 'string' },
      timezone: { type: 'string' },
      schedule: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'no-input': { type: 'boolean' },
    },
    run: async (ctx) => (await import('./config-verbs.js')).addConfigVerb(ctx),
  },
  invite: {
    summary: 'a single-use link (7 days by default) for a classmate to add their own timetable from a phone; a QR code on a terminal',
    usage: 'campus-sync invite [--expires 7d] [--base-url URL] [--json]   (default base: PUBLIC_URL, else the dashboard address)',
    options: { ...common, expires: { type: 'string' }, 'base-url': { type: 'string' } },
    run: async (ctx) => (await import('./invite.js')).inviteVerb(ctx),
  },
  invites: {
    summary: 'list invitations with their state (pending, used, expired, revoked); invites revoke <id> revokes one',
    usage: 'campus-sync invites [revoke <id>] [--json]',
    options: { ...common },
    run: async (ctx) => (await import('./invite.js')).invitesVerb(ctx),
  },
  config: {
    summary: 'list configs (same as list)',
    usage: 'campus-sync config [--json]',
    options: { ...common },
    run: async (ctx) => (await import('./list.js')).listVerb(ctx),
  },
  'generate-compose': {
    summary: 'write compose.yml (supervisor mode), with --static one service per config, or with --stack a `docker stack deploy` file',
    usage: 'campus-sync generate-compose [--static | --stack] [-o file|-]   (--stack writes campus-sync-stack.yml by default)',
    options: { ...common, static: { type: 'boolean' }, stack: { type: 'boolean' }, output: { type: 'string', short: 'o' } },
    run: async (ctx) => (await import('./config-verbs.js')).generateComposeVerb(ctx),
  },
  build: {
    summary: 'build the image (docker build), or the JavaScript for the process runtime',
    usage: 'campus-sync build [--runtime docker|process]',
    options: { ...common, ...runtimeOption },
    run: async (ctx) => (await import('./manage.js')).buildVerb(ctx),
  },
  start: {
    summary: 'start one worker, or all',
    usage: 'campus-sync start [name] [--runtime auto|docker|process|swarm]',
    options: { ...common, ...runtimeOption },
    run: async (ctx) => (await import('./manage.js')).lifecycleVerb('start')(ctx),
  },
  stop: {
    summary: 'stop one worker, or all (stays stopped until start)',
    usage: 'campus-sync stop [name] [--runtime auto|docker|process|swarm]',
    options: { ...common, ...runtimeOption },
    run: async (ctx) => (await import('./manage.js')).lifecycleVerb('stop')(ctx),
  },
  restart: {
    summary: 'restart one worker, or all',
    usage: 'campus-sync restart [name] [--runtime auto|docker|process|swarm]',
    options: { ...common, ...runtimeOption },
    run: async (ctx) => (await import('./manage.js')).lifecycleVerb('restart')(ctx),
  },
  logs: {
    summary: "one worker's log, or all of them (-f follows)",
    usage:
      'campus-sync logs [name] [-f] [--tail N] [--json] [--runtime auto|docker|process|swarm]   (readable lines with local time and [instance]; --json: the lines as written)',
    options: { ...common, ...runtimeOption, follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' } },
    run: async (ctx) => (await import('./manage.js')).logsVerb(ctx),
  },
  clean: {
    summary: 'remove every worker (the supervisor recreates those still configured); --images removes the image too',
    usage: 'campus-sync clean [--images] [--runtime auto|docker|process|swarm]',
    options: { ...common, ...runtimeOption, images: { type: 'boolean' } },
    run: async (ctx) => (await import('./manage.js')).cleanVerb(ctx),
  },
  slots: {
    summary: 'slots check <name>: what each slot watcher sees now (nothing is notified or recorded)',
    usage: 'campus-sync slots check <name|--config path> [--watcher w] [--json]',
    options: { ...common, config: { type: 'string', short: 'c' }, watcher: { type: 'string' } },
    run: async (ctx) => (await import('./slots-notify.js')).slotsVerb(ctx),
  },
  notify: {
    summary: 'notify test <name>: one test message per notification channel, each result printed (--dry-run: what each would call, nothing sent)',
    usage: 'campus-sync notify test <name|--config path> [--channel c] [--dry-run] [--json]',
    options: { ...common, config: { type: 'string', short: 'c' }, channel: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    run: async (ctx) => (await import('./slots-notify.js')).notifyVerb(ctx),
  },
  health: {
    summary: 'exit 0 when this container is healthy (used by the image HEALTHCHECK)',
    usage: 'campus-sync health [name]',
    options: { ...common },
    run: async (ctx) => (await import('./health.js')).healthVerb(ctx),
  },
};

export function helpText(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  const lines = Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`);
  return [
    'campus-sync — MonCampus timetables into ECAL, kept right.',
    '',
    'Usage: campus-sync <verb> [options]   (every verb answers --help)',
    '',
    ...lines,
    `  help${' '.repeat(Math.max(0, width - 4))}  this text`,
    '',
    'Exit codes: 0 success, 1 the work failed, 2 bad usage or invalid config.',
    'Env: CAMPUS_SYNC_CONFIG_DIR (default ./configs), CAMPUS_SYNC_DATA_DIR (default ./data), NO_COLOR, LOG_LEVEL.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [verbName, ...rest] = argv;
  if (!verbName || verbName === 'help' || verbName === '--help' || verbName === '-h') {
    process.stdout.write(`${helpText()}\n`);
    return verbName ? EXIT.ok : EXIT.usage;
  }
  const verb = VERBS[verbName];
  if (!verb) {
    process.stderr.write(`unknown verb "${verbName}"\n\n${helpText()}\n`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: verb.options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${describeError(err)}\nusage: ${verb.usage}\n`);
    return EXIT.usage;
  }
  const values = parsed.values as VerbContext['values'];
  if (values.help) {
    process.stdout.write(`${verb.usage}\n\n${verb.summary}\n`);
    return EXIT.ok;
  }
  const out = createOutput(values.json === true);
  try {
    return await verb.run({ args: parsed.positionals, values, out });
  } catch (err) {
    if (err instanceof UsageError) {
      out.error(`${err.message}\nusage: ${verb.usage}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      out.error(err.localized(outputLocale(out.json)));
      return EXIT.usage;
    }
    out.error(describeError(err));
    return EXIT.failed;
  }
}
