import { existsSync } from 'node:fs';
import { chown, readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { createLineReader, editedAnswer, withoutEcho } from './hidden-input.js';
import { stringify } from 'yaml';
import { configDir, DEFAULT_MONCAMPUS_URL, isValidInstanceName, parseConfig, timetableUrlFor } from '../config/index.js';
import { ConfigError, renderText, translator, type Locale } from '../lib/index.js';
import { loadWorkerTemplate, renderStaticCompose, scanConfigs, type DesiredWorker } from '../supervisor/index.js';
import { DEFAULT_STACK_NAME, renderStackFile } from '../supervisor/stack-static.js';
import { SUPERVISOR_COMPOSE } from './compose-files.js';
import { outputLocale } from './locale.js';
import { EXIT, UsageError } from './output.js';
import { dockerSettings, withHostPaths } from './runtime.js';
import type { VerbContext } from './main.js';

/**
 * generate-compose: compose.yml for the supervisor (default), or with --static one service per config
 * rendered from compose.template.yml, for those who won't mount the Docker socket (the original's mode).
 */
export async function generateComposeVerb({ values, out }: VerbContext): Promise<number> {
  const isStatic = values.static === true;
  if (values.stack === true) {
    if (isStatic) throw new UsageError('--stack and --static are two different files: choose one');
    return generateStack(values, out);
  }
  // Both modes write compose.yml, so `docker compose up -d` starts whichever mode was generated last.
  const output = (values.output as string | undefined) ?? 'compose.yml';
  let text: string;
  if (isStatic) {
    const s = await withHostPaths(dockerSettings());
    const desired = await validConfigs(out);
    if (desired === null) return EXIT.usage;
    text = renderStaticCompose({
      template: await loadWorkerTemplate(s.templatePath),
      configs: desired.map((d) => ({ name: d.name, configSha: d.configSha })),
      image: s.image,
      hostConfigDir: s.hostConfigDir,
      hostDataDir: s.hostDataDir,
      vars: s.vars,
    });
  } else {
    text = SUPERVISOR_COMPOSE;
  }
  if (output === '-') process.stdout.write(text);
  else {
    await writeFile(output, text);
    const compose = output === 'compose.yml' ? 'docker compose' : `docker compose -f ${output}`;
    out.line(
      `${out.green('✓')} wrote ${output} (${isStatic ? 'one service per config; run this again after adding a config' : 'supervisor mode'}) — start it with: ${compose} up -d`,
    );
  }
  return EXIT.ok;
}

/** The valid configs, each invalid one reported as skipped; null (said) when none is valid. */
async function validConfigs(out: VerbContext['out']): Promise<DesiredWorker[] | null> {
  const { desired, invalid } = await scanConfigs(configDir());
  for (const i of invalid) out.error(`skipped invalid config ${i.name}: ${i.error}`);
  if (desired.length > 0) return desired;
  out.error(`no valid config in ${configDir()}`);
  return null;
}

/** Where `generate-compose --stack` writes by default: not compose.yml, which `docker compose up` would pick up. */
export const DEFAULT_STACK_FILE = 'campus-sync-stack.yml';

/**
 * generate-compose --stack: a `docker stack deploy` file, one service per config, from the same template and
 * delivery rules as the swarm runtime (config as a Swarm config, `*File` as secrets, `${VAR}` as external
 * secrets the header says how to create). For swarms run without a supervisor.
 */
async function generateStack(values: VerbContext['values'], out: VerbContext['out']): Promise<number> {
  const output = (values.output as string | undefined) ?? DEFAULT_STACK_FILE;
  const s = await withHostPaths(dockerSettings());
  const desired = await validConfigs(out);
  if (desired === null) return EXIT.usage;
  const configs = [];
  for (const d of desired) {
    const secretFiles = [];
    for (const path of d.secretFiles ?? []) {
      const file = isAbsolute(path) ? path : resolve(dirname(d.configFile), path);
      try {
        secretFiles.push({ path, data: await readFile(file) });
      } catch (err) {
        out.error(`config ${d.name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}): skipped`);
      }
    }
    configs.push({
      name: d.name,
      configSha: d.configSha,
      configText: await readFile(d.configFile),
      ...(d.inlineSecrets !== undefined ? { inlineSecrets: d.inlineSecrets } : {}),
      ...(d.envVars ? { envVars: d.envVars } : {}),
      secretFiles,
    });
  }
  const text = renderStackFile({
    template: await loadWorkerTemplate(s.templatePath),
    configs,
    image: s.image,
    hostConfigDir: s.hostConfigDir,
    hostDataDir: s.hostDataDir,
    vars: s.vars,
  });
  if (output === '-') process.stdout.write(text);
  else {
    await writeFile(output, text);
    out.line(
      `${out.green('✓')} wrote ${output} (one Swarm service per config; run this again after a change) — deploy it with: docker stack deploy -c ${output} ${DEFAULT_STACK_NAME}`,
    );
  }
  return EXIT.ok;
}

/** The image's `node` user: the uid worker containers run as (compose.template.yml `user:`). */
const WORKER_UID = 1000;

interface Answers {
  name: string;
  /** The timetable host (moncampus.url); written only when it is not the default (IGENSIA's). */
  moncampusUrl?: string;
  /** Optional override: the CAS is found from the timetable host (moncampus.casUrl). */
  casUrl?: string;
  username: string;
  password?: string;
  passwordFile?: string;
  calendarId?: string;
  apiKey?: string;
  apiKeyFile?: string;
  apiSecret?: string;
  apiSecretFile?: string;
  /** Optional override of ECAL's API address (ecal.url). */
  ecalUrl?: string;
  timezone?: string;
  schedule?: string;
  from?: string;
  to?: string;
}

/**
 * add-config: asks for what a config needs (or takes it from flags, for scripts), validates it with the
 * same schema as every config, refuses an existing name, and writes configs/<name>.yml readable by its owner only.
 */
export async function addConfigVerb({ args, values, out }: VerbContext): Promise<number> {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const interactive = process.stdin.isTTY === true && values['no-input'] !== true;
  // Questions and the result in LANG's language (the written config is the same either way).
  const locale = outputLocale(out.json);
  const t = translator(locale);
  // Lines are read through one reader: answers typed (or pasted) ahead of their question are kept.
  const lines = interactive ? createLineReader(process.stdin) : undefined;
  const ask = async (question: string, fallback?: string, check?: (v: string) => string | null): Promise<string | undefined> => {
    if (!lines) return fallback;
    for (;;) {
      process.stdout.write(`${question}${fallback ? ` [${fallback}]` : ''}: `);
      const next = await lines.next();
      if (next === undefined) throw new UsageError(t('cli.addConfig.inputEnded'));
      const answer = next.trim() || fallback;
      const problem = answer === undefined ? t('cli.addConfig.required') : (check?.(answer) ?? null);
      if (!problem) return answer;
      out.line(out.red(`  ${problem}`));
    }
  };
  // Secrets are typed with the terminal's echo off; Ctrl-C there ends the command as it would anywhere.
  const askSecret = async (question: string): Promise<string | undefined> => {
    const answer = await withoutEcho(
      process.stdin,
      () => ask(question),
      () => {
        process.stdout.write('\n');
        process.exit(130);
      },
    );
    if (process.stdin.isTTY) process.stdout.write('\n');
    return answer === undefined ? undefined : editedAnswer(answer);
  };
  try {
    const dir = configDir();
    const nameCheck = (v: string): string | null =>
      !isValidInstanceName(v)
        ? t('cli.addConfig.nameRule')
        : existsSync(join(dir, `${v}.yml`)) || existsSync(join(dir, `${v}.yaml`))
          ? t('cli.addConfig.exists', { name: v })
          : null;
    const name = (await ask(t('cli.addConfig.name'), args[0], nameCheck)) ?? '';
    if (!name) throw new UsageError(t('cli.addConfig.nameMissing'));
    const problem = nameCheck(name);
    if (problem) {
      out.error(problem);
      return EXIT.usage;
    }
    const a: Answers = {
      name,
      moncampusUrl: await askSchool(str, ask, t, locale),
      username: (await ask(t('cli.addConfig.username'), str('username'))) ?? '',
    };
    a.casUrl = str('cas-url');
    a.passwordFile = str('password-file');
    a.password = a.passwordFile ? undefined : (str('password') ?? (lines ? await askSecret(t('cli.addConfig.password')) : undefined));
    const calendarId = str('calendar-id') ?? (lines ? await ask(t('cli.addConfig.calendarId'), '') : undefined);
    if (!calendarId && str('ecal-url') !== undefined) throw new UsageError(t('cli.addConfig.ecalUrlAlone'));
    if (calendarId) {
      a.calendarId = calendarId;
      a.apiKeyFile = str('api-key-file');
      a.apiKey = a.apiKeyFile ? undefined : (str('api-key') ?? (await askSecret(t('cli.addConfig.apiKey'))));
      a.apiSecretFile = str('api-secret-file');
      a.apiSecret = a.apiSecretFile ? undefined : (str('api-secret') ?? (await askSecret(t('cli.addConfig.apiSecret'))));
      a.ecalUrl = str('ecal-url');
    }
    a.timezone = str('timezone') ?? (await ask(t('cli.addConfig.timezone'), 'Europe/Paris'));
    a.schedule = str('schedule') ?? (await ask(t('cli.addConfig.schedule'), '46 6-18 * * *'));
    a.from = str('from');
    a.to = str('to');
    const file = join(dir, `${a.name}.yml`);
    const text = renderConfig(a);
    try {
      await parseConfig(text, { file });
    } catch (err) {
      if (err instanceof ConfigError) {
        out.error(err.localized(locale));
        return EXIT.usage;
      }
      throw err;
    }
    await writeFile(file, text, { mode: 0o600, flag: 'wx' });
    // Worker containers run as the image's `node` user (uid 1000) and read this file through a bind mount.
    if (process.getuid?.() === 0) await chown(file, WORKER_UID, WORKER_UID);
    out.result({ name: a.name, file }, () =>
      out.line(
        `${out.green('✓')} ${t('cli.addConfig.wrote', { file: relative(process.cwd(), file) || file, command: process.env.CAMPUS_SYNC_COMMAND || 'campus-sync', name: a.name })}`,
      ),
    );
    return EXIT.ok;
  } finally {
    lines?.close();
  }
}

type Ask = (question: string, fallback?: string, check?: (v: string) => string | null) => Promise<string | undefined>;

/**
 * The timetable host: --school (a group, a school of the table, or a URL) or --moncampus-url, else asked
 * (IGENSIA by default: the C&D schools have a host of their own, reference/moncampus.md "Hosts").
 */
async function askSchool(str: (k: string) => string | undefined, ask: Ask, t: ReturnType<typeof translator>, locale: Locale): Promise<string> {
  const question = t('cli.addConfig.school');
  const school = str('school');
  const url = str('moncampus-url');
  if (school !== undefined && url !== undefined) throw new UsageError(t('cli.addConfig.schoolOrUrl'));
  const problem = (v: string): string | null => {
    const r = timetableUrlFor(v);
    return 'error' in r ? renderText(r.text, locale) : null;
  };
  const given = school ?? url;
  if (given !== undefined) {
    const why = problem(given);
    if (why) throw new UsageError(t('cli.addConfig.badFlag', { flag: school !== undefined ? '--school' : '--moncampus-url', why }));
  }
  const answer = given ?? (await ask(question, 'igensia', problem)) ?? 'igensia';
  const r = timetableUrlFor(answer);
  return 'url' in r ? r.url : DEFAULT_MONCAMPUS_URL;
}

function renderConfig(a: Answers): string {
  const drop = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
  const doc = drop({
    timezone: a.timezone,
    schedule: a.schedule,
    moncampus: drop({
      url: a.moncampusUrl === DEFAULT_MONCAMPUS_URL ? undefined : a.moncampusUrl,
      casUrl: a.casUrl,
      username: a.username,
      password: a.password,
      passwordFile: a.passwordFile,
      window: a.from && a.to ? { from: a.from, to: a.to } : undefined,
    }),
    ecal: a.calendarId
      ? drop({ url: a.ecalUrl, apiKey: a.apiKey, apiKeyFile: a.apiKeyFile, apiSecret: a.apiSecret, apiSecretFile: a.apiSecretFile, calendarId: a.calendarId })
      : undefined,
  });
  return `# Written by \`campus-sync add-config\`. Reference: configs/examples/example.yml\n${stringify(doc)}`;
}
