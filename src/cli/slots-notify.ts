import { slotStatePath } from '../instance/index.js';
import { createLogger, describeError, makeRedactor, translator, wantsJson } from '../lib/index.js';
import { describeChannel, sendTestMessages, testAlert, type ChannelPlan } from '../notify/index.js';
import { createSlotWatcher } from '../slots/index.js';
import { outputLocale } from './locale.js';
import { EXIT, UsageError } from './output.js';
import { loadInstance } from './resolve.js';
import type { VerbContext } from './main.js';

/** How many slots a person sees per watcher; `--json` prints them all. */
const SHOWN_SLOTS = 20;

/**
 * `slots check <name> [--watcher w]`: what each watcher sees now, without notifying and without touching
 * its seen set (the seed's `python api_client.py`).
 */
export async function slotsVerb({ args, values, out }: VerbContext): Promise<number> {
  const [sub, name] = args;
  if (sub !== 'check') throw new UsageError('the slots verb has one subcommand: `campus-sync slots check <name>`');
  const { config, dir } = await loadInstance(name, values.config as string | undefined);
  const logger = createLogger({ instance: config.name, secrets: config.secrets, json: wantsJson(out.json || undefined), level: 'warn' });
  const watchers = config.slots.filter((w) => !values.watcher || w.name === values.watcher);
  if (watchers.length === 0) {
    out.error(values.watcher ? `no slot watcher named ${String(values.watcher)} in ${config.name}` : `${config.name} has no slots: section`);
    return EXIT.usage;
  }
  let failed = 0;
  for (const w of watchers) {
    const watcher = createSlotWatcher({ config: w, stateFile: slotStatePath(dir, w.name), timezone: config.timezone, logger });
    try {
      const { all, requests } = await watcher.peek();
      out.result({ watcher: w.name, provider: w.provider, requests, slots: all }, () => {
        out.line(`${out.green('✓')} ${w.name} (${w.provider}): ${all.length} slot(s) now, ${requests} request(s)`);
        for (const s of all.slice(0, SHOWN_SLOTS)) out.line(`  ${s.label}${s.bookingUrl ? `  ${out.dim(s.bookingUrl)}` : ''}`);
        if (all.length > SHOWN_SLOTS) out.line(out.dim(`  … and ${all.length - SHOWN_SLOTS} more (--json lists them all)`));
      });
    } catch (err) {
      failed++;
      out.result({ watcher: w.name, provider: w.provider, error: describeError(err) }, () => out.line(`${out.red('✗')} ${w.name}: ${describeError(err)}`));
    }
  }
  return failed > 0 ? EXIT.failed : EXIT.ok;
}

/** The plan of one channel as lines for a person. */
function planLines(p: ChannelPlan): string[] {
  const lines = [`${p.channel}: ${p.service}`, `  call     ${p.endpoint}`, `  server   ${p.host}:${p.port}, ${p.tls}`];
  if (p.login) lines.push(`  login    ${p.login}`);
  lines.push(`  targets  ${p.targets.join(', ') || '-'}`);
  for (const [k, v] of Object.entries(p.headers)) lines.push(`  header   ${k}: ${v}`);
  for (const [k, v] of Object.entries(p.options)) lines.push(`  option   ${k}=${v}`);
  return lines;
}

/** `notify test <name> [--channel c]`: one test message per channel, each result printed (the seed's test commands). */
export async function notifyVerb({ args, values, out }: VerbContext): Promise<number> {
  const [sub, name] = args;
  if (sub !== 'test') throw new UsageError('the notify verb has one subcommand: `campus-sync notify test <name> [--channel c] [--dry-run]`');
  const { config } = await loadInstance(name, values.config as string | undefined);
  const t = translator(outputLocale(out.json));
  const channels = config.notify.filter((c) => !values.channel || c.name === values.channel);
  if (channels.length === 0) {
    out.error(t(values.channel ? 'cli.notify.noChannel' : 'cli.notify.noNotify', { channel: String(values.channel), name: config.name }));
    return EXIT.usage;
  }
  if (values['dry-run']) {
    // Like `apprise --dry-run`: what would be called, secrets masked; nothing is sent.
    const redact = makeRedactor(config.secrets);
    for (const c of channels) {
      const plan = describeChannel(c);
      const safe = JSON.parse(redact(JSON.stringify(plan))) as ChannelPlan;
      out.result({ ...safe, dryRun: true }, () => {
        for (const line of planLines(safe)) out.line(line);
      });
    }
    return EXIT.ok;
  }
  // The message is an alert like the others: in the config's language (`locale:`), whatever the shell speaks.
  const alert = testAlert(config.name, config.locale);
  const results = await sendTestMessages({ channels, alert, secrets: config.secrets, locale: config.locale });
  for (const r of results) {
    const vars = { channel: r.channel, type: r.type, detail: r.detail };
    out.result(r.ok ? { channel: r.channel, type: r.type, ok: true } : { channel: r.channel, type: r.type, ok: false, error: r.detail }, () =>
      out.line(r.ok ? `${out.green('✓')} ${t('cli.notify.sent', vars)}` : `${out.red('✗')} ${t('cli.notify.failed', vars)}`),
    );
  }
  return results.some((r) => !r.ok) ? EXIT.failed : EXIT.ok;
}
