import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, stringify, visit } from 'yaml';
import { ERRORS_FILE } from '../instance/names.js';
import { ConfigError, DEFAULT_LOCALE, localText, parseDurationNs, renderText, type Locale } from '../lib/index.js';
import { bookingSecrets, bookingV1Warnings, normaliseBookingType, type BookingTypeConfig } from './booking-schema.js';
import { configIssue, interpolateEnv, referencedVariables, type ConfigIssue } from './env.js';
import { notifySecrets, type ChannelConfig } from './notify-schema.js';
import { calcomV1Warnings, watcherSecrets, type SlotWatcherConfig } from './slots-schema.js';
import { configErrorFrom, fromZodIssues } from './issues.js';
import { configWarning } from './messages.js';
import { configErrorAt, documentIssues, firstAlias, MAX_CONFIG_FILE_BYTES, MAX_SECRET_LENGTH, MAX_YAML_ALIASES, readConfigText } from './limits.js';
import { displayPath, INSTANCE_NAME_PATTERN, instanceDataDir, instanceNameFromFile, isValidInstanceName, MAX_INSTANCE_NAME_LENGTH } from './paths.js';
import {
  configFileSchema,
  SECRET_FILE_KEYS,
  DEFAULT_ALERT,
  DEFAULT_CHANGE_HORIZON_DAYS,
  DEFAULT_CONCURRENCY,
  DEFAULT_VERIFY_EVERY,
  DEFAULT_ECAL_URL,
  DEFAULT_FUTURE_DAYS,
  DEFAULT_MAX_DELETE_SHARE,
  DEFAULT_MONCAMPUS_URL,
  DEFAULT_PAST_DAYS,
  DEFAULT_RUN_ON_START,
  DEFAULT_SCHEDULE,
  DEFAULT_TIMEZONE,
  LEGACY_KEYS,
  legacyConfigFileSchema,
  STRING_KEYS,
  toDateString,
  type ConfigFile,
  type LegacyConfigFile,
} from './schema.js';

export type SyncWindowConfig = { from: string; to: string } | { pastDays: number; futureDays: number };

/** The normalised config every other module uses. */
export interface InstanceConfig {
  /** The file's stem. */
  name: string;
  /** Absolute path of the file. */
  file: string;
  timezone: string;
  schedule: string;
  runOnStart: boolean;
  /** Absent: the instance only watches slots (no timetable to sync). */
  moncampus?: {
    url: string;
    /** Override of the CAS login URL; absent: discovered from the timetable host at login. */
    casUrl?: string;
    username: string;
    password: string;
    window: SyncWindowConfig;
  };
  /** Absent: the instance only writes its ICS file. */
  ecal?: {
    url: string;
    apiKey: string;
    apiSecret: string;
    calendarId: string;
    alert: string;
    maxDeleteShare: number;
    concurrency: number;
    /** A steady run (timetable unchanged since the last verified run) skips the ECAL listing for this long. */
    verifyEveryMs: number;
  };
  ics: { enabled: boolean };
  /** Language of alerts and calendar text (default fr). */
  locale: Locale;
  /** Timetable-change alerts look this many days ahead (default 7); `digest` "HH:MM": tomorrow's classes daily. */
  changes: { horizonDays: number; digest?: string };
  /** Slot watchers (empty when the file has none). */
  slots: SlotWatcherConfig[];
  /** Notification channels (empty when the file has none). */
  notify: ChannelConfig[];
  /** Booking tunnel types (empty when the file has none); the API process serves them, the worker ignores them. */
  booking: BookingTypeConfig[];
  /** Loaded from the Python original's flat keys. */
  legacy: boolean;
  /** Notes for people (ignored legacy keys and the like). */
  warnings: string[];
  /** Every secret value, for redaction. */
  secrets: string[];
}

export interface ParseOptions {
  /** Path of the file the text came from: names the instance and anchors relative `*File` paths. */
  file: string;
  env?: NodeJS.ProcessEnv;
}

const CONFIG_EXTENSIONS = ['.yml', '.yaml'];
const NESTED_KEYS = new Set(Object.keys(configFileSchema.shape));
const LEGACY_KEY_SET: ReadonlySet<string> = new Set(LEGACY_KEYS);

export async function loadConfigFile(file: string, opts: { env?: NodeJS.ProcessEnv } = {}): Promise<InstanceConfig> {
  return parseConfig(await readConfigText(file), { file, ...opts });
}

/** True when the text refers to the environment (`${VAR}`): such a config reads differently elsewhere. */
export function usesEnv(text: string): boolean {
  return /(^|[^$])\$\{/.test(text);
}

/**
 * What a config needs besides its own text, for a runtime that ships it to another host: the `${VAR}` it
 * refers to and the files its `*File` keys name (as written). Unparseable text gives nothing (the
 * scan reports it invalid anyway).
 */
export function configReferences(text: string): { envVars: string[]; secretFiles: string[] } {
  // Most configs have neither: no second parse of their YAML then (the supervisor scans every config often).
  if (!usesEnv(text) && !/File\s*:/.test(text)) return { envVars: [], secretFiles: [] };
  const files = new Set<string>();
  let doc: unknown;
  try {
    doc = parseDocument(text).toJS();
  } catch {
    return { envVars: [], secretFiles: [] };
  }
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
      for (const [k, x] of Object.entries(v)) {
        if (SECRET_FILE_KEYS.has(k) && typeof x === 'string' && x !== '') files.add(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  return { envVars: referencedVariables(text), secretFiles: [...files].sort() };
}

/**
 * The config with every `${VAR}` replaced from `env`, as YAML text a worker can read WITHOUT that
 * environment (a Docker worker gets no secrets in its env). Literal `${` are written back escaped (`$${`)
 * so the worker's own interpolation leaves them alone. Throws ConfigError as parseConfig would.
 */
export function resolveConfigText(text: string, opts: ParseOptions): string {
  const shown = displayPath(path.resolve(opts.file));
  const raw = parseYaml(text, shown);
  const interpolated = interpolateEnv(raw.value, opts.env ?? process.env);
  if (interpolated.issues.length > 0) throw configErrorFrom(shown, interpolated.issues);
  const escapeReferences = (v: unknown): unknown =>
    typeof v === 'string'
      ? v.replaceAll('${', '$${')
      : Array.isArray(v)
        ? v.map(escapeReferences)
        : v !== null && typeof v === 'object' && !(v instanceof Date)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeReferences(x)]))
          : v;
  return `# Resolved by the campus-sync supervisor from ${path.basename(shown)}: \${VAR} replaced. Do not edit.\n${stringify(escapeReferences(interpolated.value))}`;
}

export async function parseConfig(text: string, opts: ParseOptions): Promise<InstanceConfig> {
  const file = path.resolve(opts.file);
  const shown = displayPath(file);
  const env = opts.env ?? process.env;
  const name = instanceNameFromFile(file);
  if (!isValidInstanceName(name)) {
    throw configErrorFrom(shown, [
      configIssue([], 'load.badName', { name: JSON.stringify(name), pattern: INSTANCE_NAME_PATTERN.source, max: MAX_INSTANCE_NAME_LENGTH }),
    ]);
  }

  const raw = parseYaml(text, shown);
  const interpolated = interpolateEnv(raw.value, env);
  if (interpolated.issues.length > 0) throw configErrorFrom(shown, interpolated.issues);
  const data = interpolated.value as Record<string, unknown>;

  const keys = Object.keys(data);
  const legacyKeys = keys.filter((k) => LEGACY_KEY_SET.has(k));
  const nestedKeys = keys.filter((k) => NESTED_KEYS.has(k));
  if (legacyKeys.length > 0 && nestedKeys.length > 0) {
    throw configErrorFrom(shown, [configIssue([], 'load.mixed', { legacy: legacyKeys.join(', '), nested: nestedKeys.join(', ') })]);
  }

  const ctx: NormaliseContext = { name, file, shown, env, warnings: raw.warnings };
  const config = legacyKeys.length > 0 ? await fromLegacy(data, ctx) : await fromNested(data, ctx);
  const issues = purposeIssues(config);
  if (issues.length > 0) throw configErrorFrom(shown, issues);
  if (config.slots.length > 0 && config.notify.length === 0) {
    config.warnings.push(configWarning('slotsNoNotify'));
  }
  if (config.booking.length > 0 && config.notify.length === 0) {
    config.warnings.push(configWarning('bookingNoNotify'));
  }
  config.warnings.push(...calcomV1Warnings(config.slots), ...bookingV1Warnings(config.booking));
  return config;
}

/** A config must give the worker something to do, and sections that only make sense together come together. */
function purposeIssues(config: InstanceConfig): ConfigIssue[] {
  if (config.moncampus === undefined) {
    if (config.ecal !== undefined) return [configIssue(['moncampus'], 'load.moncampusForEcal')];
    if (config.slots.length === 0 && config.booking.length === 0) {
      return [configIssue([], 'load.nothingToDo')];
    }
    return [];
  }
  if (config.ecal === undefined && !config.ics.enabled) {
    return [configIssue([], 'load.noOutput')];
  }
  return [];
}

/** `*.yml` and `*.yaml` files of `dir`, sorted by name; a missing directory has none. */
export async function listConfigFiles(dir: string): Promise<{ name: string; file: string }[]> {
  const abs = path.resolve(dir);
  let entries;
  try {
    entries = await readdir(abs, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const found: { name: string; file: string }[] = [];
  for (const entry of entries) {
    if (!isConfigFileName(entry.name)) continue;
    // Symlinks count (Kubernetes/compose mount configs that way); directories do not.
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    found.push({ name: instanceNameFromFile(entry.name), file: path.join(abs, entry.name) });
  }
  return found.sort((a, b) => (a.name === b.name ? cmp(a.file, b.file) : cmp(a.name, b.name)));
}

/** Skips dotfiles (editor swap files, `.alice.yml`) and backups (`alice.yml~`, `alice.yml.swp`). */
export function isConfigFileName(fileName: string): boolean {
  if (fileName.startsWith('.') || fileName.endsWith('~') || fileName.startsWith('#')) return false;
  const ext = path.extname(fileName);
  return CONFIG_EXTENSIONS.includes(ext) && fileName.length > ext.length;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface NormaliseContext {
  name: string;
  file: string;
  shown: string;
  env: NodeJS.ProcessEnv;
  warnings: string[];
}

function parseYaml(text: string, shown: string): { value: Record<string, unknown>; warnings: string[] } {
  // Text handed in directly (the dashboard's editor) gets the file's size limit too.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_FILE_BYTES) {
    throw configErrorFrom(shown, [configIssue([], 'load.textTooLarge', { bytes, max: MAX_CONFIG_FILE_BYTES })]);
  }
  const lineCounter = new LineCounter();
  // Messages without source excerpts: an excerpt could show a password on the faulty line.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    // The yaml package's own description of the fault stays in English: it names YAML's terms.
    const lines = (locale: Locale): string =>
      doc.errors
        .map((e) => {
          const { line, col } = lineCounter.linePos(e.pos[0]);
          return `${shown}:${line}:${col}: ${renderText(localText('configErrors.load.yaml', { detail: e.message }), locale)}`;
        })
        .join('\n');
    throw new ConfigError(lines('en'), { localized: lines });
  }
  const warnings = doc.warnings.map((w) => {
    const { line } = lineCounter.linePos(w.pos[0]);
    return configWarning('yaml', { line, detail: w.message });
  });
  if (doc.contents === null) throw configErrorFrom(shown, [configIssue([], 'load.empty')]);
  if (!isMap(doc.contents)) {
    throw configErrorFrom(shown, [configIssue([], 'load.notMapping')]);
  }
  const limits = documentIssues(doc, lineCounter);
  if (limits.length > 0) throw configErrorAt(shown, limits);
  keepSourceOfTextValues(doc);
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as Record<string, unknown>, warnings };
  } catch (err) {
    // The yaml package's own guards (an alias expanding into too many nodes): its message lacks the file.
    const at = firstAlias(doc, lineCounter);
    const issue = configIssue([], 'load.yaml', { detail: err instanceof Error ? err.message : String(err) });
    if (at) throw configErrorAt(shown, [{ ...issue, ...at }]);
    throw configErrorFrom(shown, [issue]);
  }
}

/**
 * YAML reads `password: 0123` as the number 123 and an all-digit calendar id as a float: for keys
 * that hold text, take the characters as written, as the user meant them.
 */
function keepSourceOfTextValues(doc: ReturnType<typeof parseDocument>): void {
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || !isScalar(pair.value)) return;
      if (typeof pair.key.value !== 'string' || !STRING_KEYS.has(pair.key.value)) return;
      const value = pair.value;
      if (value.type === 'PLAIN' && typeof value.value !== 'string' && value.value !== null && value.source) {
        value.value = value.source;
      }
    },
  });
}

async function fromNested(data: Record<string, unknown>, ctx: NormaliseContext): Promise<InstanceConfig> {
  const parsed = configFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw configErrorFrom(ctx.shown, fromZodIssues(parsed.error.issues, configFileSchema));
  const f: ConfigFile = parsed.data;

  const issues: ConfigIssue[] = [];
  const dir = path.dirname(ctx.file);
  const [password, apiKey, apiSecret] = await Promise.all([
    f.moncampus ? readSecret(f.moncampus.password, f.moncampus.passwordFile, ['moncampus', 'passwordFile'], dir, issues) : undefined,
    f.ecal ? readSecret(f.ecal.apiKey, f.ecal.apiKeyFile, ['ecal', 'apiKeyFile'], dir, issues) : undefined,
    f.ecal ? readSecret(f.ecal.apiSecret, f.ecal.apiSecretFile, ['ecal', 'apiSecretFile'], dir, issues) : undefined,
  ]);
  const bookingSecretsRead = await Promise.all(
    (f.booking ?? []).map(async (b, i) => ({
      apiKey: await readSecret(b.apiKey, b.apiKeyFile, ['booking', i, 'apiKeyFile'], dir, issues),
      token: await readSecret(b.token, b.tokenFile, ['booking', i, 'tokenFile'], dir, issues),
    })),
  );
  if (issues.length > 0) throw configErrorFrom(ctx.shown, issues);
  const timezone = f.timezone ?? DEFAULT_TIMEZONE;
  const booking = (f.booking ?? []).map((b, i) => normaliseBookingType(b, bookingSecretsRead[i] ?? {}, timezone));

  if (f.moncampus === undefined && f.ics?.enabled === true) {
    throw configErrorFrom(ctx.shown, [configIssue(['ics', 'enabled'], 'load.icsNeedsMoncampus')]);
  }
  const w = f.moncampus?.window;
  const window: SyncWindowConfig =
    w?.from !== undefined && w.to !== undefined
      ? { from: toDateString(w.from), to: toDateString(w.to) }
      : { pastDays: w?.pastDays ?? DEFAULT_PAST_DAYS, futureDays: w?.futureDays ?? DEFAULT_FUTURE_DAYS };

  const ecal =
    f.ecal === undefined
      ? undefined
      : {
          url: stripTrailingSlashes(f.ecal.url ?? serviceDefaults(ctx.env).ecalUrl),
          apiKey: apiKey ?? '',
          apiSecret: apiSecret ?? '',
          calendarId: f.ecal.calendarId.toLowerCase(),
          alert: f.ecal.alert ?? DEFAULT_ALERT,
          maxDeleteShare: f.ecal.maxDeleteShare ?? DEFAULT_MAX_DELETE_SHARE,
          concurrency: f.ecal.concurrency ?? DEFAULT_CONCURRENCY,
          verifyEveryMs: durationMs(f.ecal.verifyEvery ?? DEFAULT_VERIFY_EVERY),
        };

  return {
    name: ctx.name,
    file: ctx.file,
    timezone,
    schedule: f.schedule ?? DEFAULT_SCHEDULE,
    runOnStart: f.runOnStart ?? DEFAULT_RUN_ON_START,
    ...(f.moncampus
      ? {
          moncampus: {
            url: stripTrailingSlashes(f.moncampus.url ?? serviceDefaults(ctx.env).moncampusUrl),
            ...optionalCasUrl(f.moncampus.casUrl ?? serviceDefaults(ctx.env).casUrl),
            username: f.moncampus.username,
            password: password ?? '',
            window,
          },
        }
      : {}),
    ...(ecal ? { ecal } : {}),
    ics: { enabled: f.moncampus !== undefined && (f.ics?.enabled ?? true) },
    locale: f.locale ?? DEFAULT_LOCALE,
    changes: { horizonDays: f.changes?.horizonDays ?? DEFAULT_CHANGE_HORIZON_DAYS, ...(f.changes?.digest ? { digest: f.changes.digest } : {}) },
    slots: f.slots ?? [],
    notify: f.notify ?? [],
    booking,
    legacy: false,
    warnings: ctx.warnings,
    secrets: secretsOf([
      password,
      apiKey,
      apiSecret,
      ...(f.slots ?? []).flatMap(watcherSecrets),
      ...notifySecrets(f.notify ?? []),
      ...booking.flatMap(bookingSecrets),
    ]),
  };
}

async function fromLegacy(data: Record<string, unknown>, ctx: NormaliseContext): Promise<InstanceConfig> {
  const parsed = legacyConfigFileSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) throw configErrorFrom(ctx.shown, fromZodIssues(parsed.error.issues, legacyConfigFileSchema));
  const l: LegacyConfigFile = parsed.data;

  const warnings = [...ctx.warnings];
  if (l.error_file_path !== undefined) {
    const errorsLog = displayPath(path.join(instanceDataDir(ctx.name, ctx.env), ERRORS_FILE));
    warnings.push(configWarning('errorFilePath', { file: errorsLog }));
  }
  if (l.instance_name !== undefined && l.instance_name !== ctx.name) {
    warnings.push(configWarning('instanceName', { given: JSON.stringify(l.instance_name), name: JSON.stringify(ctx.name) }));
  }

  const window: SyncWindowConfig =
    l.moncampus_start_date !== undefined && l.moncampus_end_date !== undefined
      ? { from: toDateString(l.moncampus_start_date), to: toDateString(l.moncampus_end_date) }
      : { pastDays: DEFAULT_PAST_DAYS, futureDays: DEFAULT_FUTURE_DAYS };

  const ecal =
    l.ecal_api_key !== undefined && l.ecal_api_secret !== undefined && l.ecal_calendar_id !== undefined
      ? {
          url: stripTrailingSlashes(serviceDefaults(ctx.env).ecalUrl),
          apiKey: l.ecal_api_key,
          apiSecret: l.ecal_api_secret,
          calendarId: l.ecal_calendar_id.toLowerCase(),
          alert: DEFAULT_ALERT,
          maxDeleteShare: DEFAULT_MAX_DELETE_SHARE,
          concurrency: DEFAULT_CONCURRENCY,
          verifyEveryMs: durationMs(DEFAULT_VERIFY_EVERY),
        }
      : undefined;

  return {
    name: ctx.name,
    file: ctx.file,
    timezone: DEFAULT_TIMEZONE,
    schedule: DEFAULT_SCHEDULE,
    runOnStart: DEFAULT_RUN_ON_START,
    moncampus: {
      url: stripTrailingSlashes(serviceDefaults(ctx.env).moncampusUrl),
      ...optionalCasUrl(serviceDefaults(ctx.env).casUrl),
      username: l.moncampus_username,
      password: l.moncampus_password,
      window,
    },
    ...(ecal ? { ecal } : {}),
    ics: { enabled: true },
    locale: DEFAULT_LOCALE,
    changes: { horizonDays: DEFAULT_CHANGE_HORIZON_DAYS },
    slots: [],
    notify: [],
    booking: [],
    legacy: true,
    warnings,
    secrets: secretsOf([l.moncampus_password, l.ecal_api_key, l.ecal_api_secret]),
  };
}

/** Docker-secret style: the value is the file's content without its trailing newline(s). */
async function readSecret(
  inline: string | undefined,
  fromFile: string | undefined,
  fileKeyPath: readonly PropertyKey[],
  dir: string,
  issues: ConfigIssue[],
): Promise<string | undefined> {
  if (inline !== undefined || fromFile === undefined) return inline;
  const target = path.resolve(dir, fromFile);
  let content: string;
  try {
    // A FIFO or /dev/zero named by mistake would block or fill memory: only a small regular file is read.
    const info = await stat(target);
    if (!info.isFile()) {
      issues.push(configIssue(fileKeyPath, 'load.secretNotFile', { file: displayPath(target) }));
      return undefined;
    }
    if (info.size > MAX_SECRET_LENGTH + 2) {
      issues.push(configIssue(fileKeyPath, 'load.secretTooLarge', { file: displayPath(target), bytes: info.size, max: MAX_SECRET_LENGTH }));
      return undefined;
    }
    content = await readFile(target, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    issues.push(configIssue(fileKeyPath, 'load.secretUnreadable', { file: displayPath(target), code }));
    return undefined;
  }
  const value = content.replace(/[\r\n]+$/, '');
  if (value === '') issues.push(configIssue(fileKeyPath, 'load.secretEmpty', { file: displayPath(target) }));
  return value;
}

function secretsOf(values: readonly (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))];
}

/**
 * The service addresses a config gets when it names none. Env may move them (a self-hosted proxy, the
 * demo's simulators, or a legacy flat file, which has no URL keys); a URL in the file always wins.
 */
export function serviceDefaults(env: NodeJS.ProcessEnv): { moncampusUrl: string; casUrl: string | undefined; ecalUrl: string } {
  return {
    moncampusUrl: env.CAMPUS_SYNC_MONCAMPUS_URL || DEFAULT_MONCAMPUS_URL,
    // No default CAS: the timetable host names its own (reference/moncampus.md, "Facts found in 2026", Which CAS).
    casUrl: env.CAMPUS_SYNC_CAS_URL || undefined,
    ecalUrl: env.CAMPUS_SYNC_ECAL_URL || DEFAULT_ECAL_URL,
  };
}

/** `casUrl` only when one is set (exactOptionalPropertyTypes: an absent key, never `undefined`). */
function optionalCasUrl(casUrl: string | undefined): { casUrl?: string } {
  return casUrl ? { casUrl } : {};
}

function stripTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

/** A duration the schema already checked, in milliseconds. */
function durationMs(text: string): number {
  return Math.round((parseDurationNs(text) ?? 0) / 1e6);
}
