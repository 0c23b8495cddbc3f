import { spawn } from 'node:child_process';
import { configDir, dataDir, isValidInstanceName } from '../config/index.js';
// From its module, not the folder's index: that one loads Discord's client libraries (~0.35 CPU-s at every start
// of status, list, logs…), which these verbs never use (they read the health file).
import { readIngestHealth, type ChannelHealth, type GatewayHealth } from '../ingest/health.js';
import { createLogger, describeError, translator, type Locale } from '../lib/index.js';
import { askSupervisor } from './ask-supervisor.js';
import { byName, collectStatus, readSupervisorStatus, type Runtime } from '../supervisor/index.js';
import { explainBuildFailure } from './build-failure.js';
import { configErrorsIn, configZones, hostZone, personTime, stateWord } from './human.js';
import { cliLocale, outputLocale } from './locale.js';
import { humanLogLine } from './log-lines.js';
import { EXIT, UsageError, type Output } from './output.js';
import { dockerSettings, openRuntime, parseRuntimeChoice, runtimeOfRunningSupervisor, APP_ROOT } from './runtime.js';
import type { VerbContext } from './main.js';

async function runtimeFor(values: VerbContext['values']): Promise<Runtime> {
  const { choice } = await runtimeOfRunningSupervisor(parseRuntimeChoice(values.runtime), dataDir());
  return openRuntime(choice, createLogger({ instance: 'cli', level: 'warn' }));
}

function checkName(name: string | undefined): void {
  if (name !== undefined && !isValidInstanceName(name)) throw new UsageError(`"${name}" is not a config name`);
}

/**
 * start/stop/restart [name]: Docker and Swarm workers are driven through the engine directly; process workers
 * belong to the running supervisor, so the request goes through its control socket.
 */
export function lifecycleVerb(verb: 'start' | 'stop' | 'restart') {
  return async ({ args, values, out }: VerbContext): Promise<number> => {
    const name = args[0];
    checkName(name);
    const runtime = await runtimeFor(values);
    try {
      const known = await knownWorkers(runtime);
      const targets = name ? [name] : known;
      if (name && !known.includes(name)) {
        out.error(`no worker named ${name} (${runtime.kind} runtime): is the supervisor running? \`campus-sync status\` shows the configs`);
        return EXIT.failed;
      }
      if (targets.length === 0) {
        out.error(`no workers yet: start the supervisor (\`./campus-sync up\` or \`campus-sync supervise\`)`);
        return EXIT.failed;
      }
      let failed = 0;
      for (const target of targets) {
        try {
          if (runtime.capabilities.sharedWorkers) await runtime[verb](target);
          else await viaSupervisor(verb, target);
          out.result({ name: target, verb, ok: true }, () => out.line(`${out.green('✓')} ${verb} ${target}`));
        } catch (err) {
          failed++;
          out.result({ name: target, verb, ok: false, error: describeError(err) }, () => out.line(`${out.red('✗')} ${verb} ${target}: ${describeError(err)}`));
        }
      }
      return failed > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      await runtime.close();
    }
  };
}

/** Process workers belong to the running supervisor: it knows them (status.json), a fresh runtime here does not. */
async function knownWorkers(runtime: Runtime): Promise<string[]> {
  if (runtime.capabilities.sharedWorkers) return (await runtime.list()).map((w) => w.name);
  const status = await readSupervisorStatus(dataDir());
  return (status?.instances ?? []).filter((i) => i.state !== 'invalid' && i.state !== 'missing').map((i) => i.name);
}

async function viaSupervisor(verb: string, name: string): Promise<void> {
  const answer = await askSupervisor(dataDir(), `/workers/${name}/${verb}`);
  if (answer.kind === 'ok') return;
  if (answer.kind === 'no-supervisor' || answer.kind === 'unanswered') {
    throw new Error('no supervisor is running (process runtime): start it with `campus-sync supervise`');
  }
  throw new Error(answer.why);
}

/** logs [name] [-f] [--json]: one worker's log, or every worker's; readable lines unless --json. */
export async function logsVerb({ args, values, out }: VerbContext): Promise<number> {
  const name = args[0];
  checkName(name);
  const runtime = await runtimeFor(values);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const names = name ? [name] : await knownWorkers(runtime);
    if (names.length === 0) {
      out.error(translator(outputLocale(out.json))('cli.logs.noWorkers'));
      return EXIT.failed;
    }
    const follow = values.follow === true;
    const tail = values.tail === undefined ? (follow ? 50 : undefined) : Number(values.tail);
    // Each worker's lines on its config's clock (the host's for a config that cannot be read).
    const zones = out.json ? new Map<string, string>() : await configZones(configDir());
    await Promise.all(
      names.map(async (n) => {
        for await (const line of runtime.logs(n, { follow, ...(tail !== undefined ? { tail } : {}), signal: abort.signal })) {
          // --json: the lines as the worker wrote them; else one readable line per event (local time, [instance]).
          if (out.json) process.stdout.write(name ? `${line}\n` : `${JSON.stringify({ worker: n, line })}\n`);
          else {
            const h = humanLogLine(line, n, zones.get(n) ?? hostZone(), cliLocale());
            const paint = h.level === 'error' ? out.red : h.level === 'warn' ? out.yellow : (t: string) => t;
            process.stdout.write(`${paint(h.text)}\n`);
          }
        }
      }),
    );
    return EXIT.ok;
  } catch (err) {
    if (abort.signal.aborted) return EXIT.ok;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
  }
}

/** status: one line per config — running/failing/stopped/crash-looping/invalid, last run, next run. */
export async function statusVerb({ values, out }: VerbContext): Promise<number> {
  const runtime = await runtimeFor(values);
  try {
    const collected = await collectStatus({ configDir: configDir(), dataDir: dataDir(), runtime });
    // Discord ingestion's last reading of each channel (recorded by `ingest` and the API's polling), if any.
    const ingest = await readIngestHealth(dataDir());
    const status = { ...collected, discord: ingest?.channels ?? [], ...(ingest?.gateway ? { discordGateway: ingest.gateway } : {}) };
    const zones = out.json ? new Map<string, string>() : await configZones(configDir());
    // --json keeps status.json's English configError; a person reads it in LANG's language.
    const configErrors = out.json ? new Map<string, string>() : await configErrorsIn(configDir(), cliLocale());
    out.result(status, () => printStatus(out, status, { locale: cliLocale(), zones, configErrors }));
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}

type Status = Awaited<ReturnType<typeof collectStatus>> & { discord: ChannelHealth[]; discordGateway?: GatewayHealth };

/** The human lines of `status`, in LANG's language, each time in its config's zone (the host's otherwise). */
function printStatus(out: Output, status: Status, opts: { locale: Locale; zones: Map<string, string>; configErrors: Map<string, string> }): void {
  const { locale } = opts;
  const t = translator(locale);
  const host = hostZone();
  const when = (iso: string, zone = host): string => personTime(iso, zone, locale);
  if (status.runtimeError) out.line(out.red(status.runtimeError));
  const sup = status.supervisor
    ? t('cli.status.supervisor', { pid: status.supervisor.pid, at: when(status.supervisor.heartbeatAt) })
    : t('cli.status.noSupervisor');
  out.line(out.dim(`${t('cli.status.runtime', { runtime: status.runtime })}${sup}`));
  if (status.instances.length === 0) out.line(out.dim(t('cli.status.noConfigs', { dir: configDir() })));
  for (const i of status.instances) {
    const paint = i.state === 'running' ? out.green : i.state === 'invalid' || i.state === 'crash-looping' || i.state === 'failing' ? out.red : out.yellow;
    const zone = opts.zones.get(i.name) ?? host;
    const last = i.lastRun
      ? `${t('cli.status.lastRun', { at: when(i.lastRun.finishedAt, zone), outcome: stateWord('outcome', i.lastRun.outcome, locale) })} (+${i.lastRun.counts.created} ~${i.lastRun.counts.updated} -${i.lastRun.counts.deleted})`
      : t('cli.status.neverRun');
    // On a swarm, the node the worker runs on: where to look when it misbehaves.
    const node = i.node ? t('cli.status.onNode', { node: i.node }) : '';
    out.line(
      `${i.name.padEnd(20)} ${paint(stateWord('state', i.state, locale).padEnd(13))} ${node}${last}${i.nextRun ? t('cli.status.next', { at: when(i.nextRun, zone) }) : ''}`,
    );
    if (i.configError) out.line(`  ${out.red(opts.configErrors.get(i.name) ?? i.configError)}`);
    if (i.reason) out.line(`  ${out.red(i.reason)}`);
  }
  const g = status.discordGateway;
  if (g) {
    // Live ingestion's Gateway, as last recorded (on change, and every few minutes while connected).
    const paint = g.status === 'connected' ? out.green : g.status === 'stopped' ? out.red : out.yellow;
    const last = g.lastEventAt ? `${t('cli.status.gatewayLast', { at: when(g.lastEventAt) })}${g.lagMs !== null ? ` (lag ${g.lagMs} ms)` : ''}` : '';
    out.line(`${'discord gateway'.padEnd(20)} ${paint(g.status.padEnd(13))} ${t('cli.status.gatewaySince', { at: when(g.since) })}${last}`);
    if (g.reason !== undefined && g.status !== 'connected') out.line(`  ${g.status === 'stopped' ? out.red(g.reason) : g.reason}`);
  }
  for (const c of status.discord) {
    const state = c.ok ? out.green('ok'.padEnd(13)) : out.red('failing'.padEnd(13));
    out.line(`${`discord ${c.channelId}`.padEnd(20)} ${state} ${t('cli.status.channelLast', { by: c.by, at: when(c.at) })}`);
    const why = c.problem?.message ?? c.error;
    if (why !== undefined) out.line(`  ${out.red(why)}`);
  }
}

/** Enough of a build's output to find why it failed (the last steps' lines). */
const BUILD_OUTPUT_KEPT = 64 * 1024;

/** build: the worker image with Docker, or the JavaScript build for the process runtime. */
export async function buildVerb({ values, out }: VerbContext): Promise<number> {
  const choice = parseRuntimeChoice(values.runtime);
  const image = dockerSettings().image;
  const [cmd, args] =
    choice === 'process'
      ? ['npm', ['run', 'build']]
      : ['docker', ['build', ...(process.env.NODE_IMAGE ? ['--build-arg', `NODE_IMAGE=${process.env.NODE_IMAGE}`] : []), '-t', image, APP_ROOT]];
  out.line(out.dim(`$ ${cmd} ${args.join(' ')}`));
  // The output is shown as it comes and its tail kept: a failed download is then explained (build-failure.ts).
  let tail = '';
  const keep = (chunk: Buffer, to: NodeJS.WriteStream): void => {
    to.write(chunk);
    tail = (tail + chunk.toString()).slice(-BUILD_OUTPUT_KEPT);
  };
  const code = await new Promise<number>((resolve) => {
    const child = spawn(cmd, args, { stdio: ['inherit', 'pipe', 'pipe'], cwd: APP_ROOT });
    child.stdout.on('data', (c: Buffer) => keep(c, process.stdout));
    child.stderr.on('data', (c: Buffer) => keep(c, process.stderr));
    child.on('error', (err) => {
      out.error(`${cmd}: ${err.message}`);
      resolve(EXIT.failed);
    });
    child.on('close', (c) => resolve(c ?? EXIT.failed));
  });
  if (code !== 0 && choice !== 'process') {
    const why = explainBuildFailure(tail, image);
    if (why) out.error(why);
  }
  return code === 0 ? EXIT.ok : EXIT.failed;
}

/** clean: removes every managed worker (the supervisor recreates the desired ones) and stale run locks. */
export async function cleanVerb({ values, out }: VerbContext): Promise<number> {
  const runtime = await runtimeFor(values);
  try {
    let failed = 0;
    for (const name of await knownWorkers(runtime)) {
      try {
        if (runtime.capabilities.sharedWorkers) await runtime.remove(byName(name));
        else await viaSupervisor('remove', name);
        out.line(`${out.green('✓')} removed ${name}`);
      } catch (err) {
        failed++;
        out.line(`${out.red('✗')} ${name}: ${describeError(err)}`);
      }
    }
    if (values.images === true && runtime.capabilities.sharedWorkers) {
      const code = await new Promise<number>((resolve) => {
        const child = spawn('docker', ['image', 'rm', dockerSettings().image], { stdio: 'inherit' });
        child.on('error', () => resolve(1));
        child.on('close', (c) => resolve(c ?? 1));
      });
      if (code !== 0) failed++;
    }
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await runtime.close();
  }
}
