import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, describeError } from '../lib/index.js';
import { createOutput, EXIT, UsageError, type Output } from './output.js';
import { validateVerb } from './validate.js';
import { runOnceVerb } from './run-once.js';
import { workerVerb } from './worker.js';
import { listVerb } from './list.js';
import { errorsVerb } from './errors.js';

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

export const VERBS: Record<string, Verb> = {
  validate: {
    summary: 'check config files (all of configs/ when none is named)',
    usage: 'campus-sync validate [files…] [--json]',
    options: { ...common },
    run: validateVerb,
  },
  'run-once': {
    summary: 'sync one config now and print the plan and counts',
    usage: 'campus-sync run-once <name|--config path> [--dry-run] [--json]',
    options: { ...common, config: { type: 'string', short: 'c' }, 'dry-run': { type: 'boolean' } },
    run: runOnceVerb,
  },
  worker: {
    summary: 'run one config on its schedule until stopped (RUN_ONCE=1: one cycle)',
    usage: 'campus-sync worker <name|--config path> [--json]',
    options: { ...common, config: { type: 'string', short: 'c' } },
    run: workerVerb,
  },
  list: {
    summary: 'list configs with their state and last run',
    usage: 'campus-sync list [--json]',
    options: { ...common },
    run: listVerb,
  },
  errors: {
    summary: "print a config's error file (data/<name>/errors.log)",
    usage: 'campus-sync errors <name> [-n lines] [--json]',
    options: { ...common, lines: { type: 'string', short: 'n' } },
    run: errorsVerb,
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
    '  help' + ' '.repeat(Math.max(0, width - 4)) + '  this text',
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
      out.error(err.message);
      return EXIT.usage;
    }
    out.error(describeError(err));
    return EXIT.failed;
  }
}
