import { DateTime } from 'luxon';
import type { PlanAction } from '../ecal/index.js';
import { createLogger, translator, wantsJson } from '../lib/index.js';
import { describeEcalCheck, runSync } from '../worker/index.js';
import { cliLocale } from './locale.js';
import { EXIT, type Output } from './output.js';
import { loadInstance } from './resolve.js';
import type { VerbContext } from './main.js';

export async function runOnceVerb({ args, values, out }: VerbContext): Promise<number> {
  const { config, dir } = await loadInstance(args[0], values.config as string | undefined);
  const logger = createLogger({ instance: config.name, secrets: config.secrets, json: wantsJson(out.json || undefined) });
  const dryRun = values['dry-run'] === true;
  const progress = process.stderr.isTTY && !out.json ? progressPrinter() : undefined;
  const verify = values.verify === true;
  const { record, plan } = await runSync({ config, dir, logger, dryRun, verify, ...(progress ? { onProgress: progress } : {}) });
  // The summary for people speaks LANG's language (cli/locale.ts); the JSON result stays as it is.
  const t = translator(cliLocale());
  out.result({ ...record, plan: plan ? plan.actions.map(describeAction) : undefined }, () => {
    if (record.ecalCheck?.kind === 'skipped') out.line(`${t('cli.runOnce.plan')} ${out.dim(t('cli.runOnce.nothing'))}`);
    if (plan) {
      out.line(t(dryRun ? 'cli.runOnce.planDry' : 'cli.runOnce.plan'));
      if (plan.actions.length === 0) out.line(out.dim(`  ${t('cli.runOnce.nothing')}`));
      for (const a of plan.actions) out.line(`  ${colourAction(out, a)}`);
      if (plan.guard.held) out.line(out.yellow(`  ${t('cli.runOnce.held', { count: plan.guard.withheldDeletes })} (${plan.guard.reason ?? ''})`));
    }
    const c = record.counts;
    const counts =
      dryRun && plan
        ? t('cli.runOnce.planned', {
            create: plan.counts.create,
            update: plan.counts.update,
            adopt: plan.counts.adopt,
            delete: plan.counts.delete,
            unchanged: plan.counts.unchanged,
          })
        : t('cli.runOnce.counts', {
            created: c.created,
            updated: c.updated,
            adopted: c.adopted,
            deleted: c.deleted,
            unchanged: c.unchanged,
            skipped: c.skipped,
            failed: c.failed,
          });
    const word = t(`dashboard.outcome.${record.outcome}`, { defaultValue: record.outcome });
    const status = record.outcome === 'success' || record.outcome === 'dry-run' ? out.green(word) : out.red(word);
    out.line(t('cli.runOnce.summary', { name: config.name, status, count: record.courses, counts, ms: record.durationMs }));
    if (record.ecalCheck) out.line(out.dim(`  ${describeEcalCheck(record.ecalCheck, t)}`));
    if (record.error) out.line(out.red(`  ${record.phase ?? 'run'}: ${record.error}`));
  });
  return record.outcome === 'success' || record.outcome === 'dry-run' ? EXIT.ok : EXIT.failed;
}

function when(iso: string | undefined, zone: string | undefined): string {
  if (!iso) return '';
  return DateTime.fromISO(iso, zone ? { zone } : { setZone: true }).toFormat('yyyy-MM-dd HH:mm');
}

export function describeAction(a: PlanAction): string {
  switch (a.kind) {
    case 'create':
      return `+ create ${when(a.event.start, a.event.timezone)} ${a.event.title}${a.event.location ? ` @ ${a.event.location}` : ''}`;
    case 'update':
      return `~ update ${when(a.event.start, a.event.timezone)} ${a.event.title} (${a.changes.join(', ')})`;
    case 'adopt':
      return `= adopt  ${when(a.event.start, a.event.timezone)} ${a.event.title} (legacy reference ${a.previousReference})`;
    case 'delete':
      return `- delete ${a.summary} (${a.reason})`;
  }
}

function colourAction(out: Output, a: PlanAction): string {
  const text = describeAction(a);
  return a.kind === 'create' ? out.green(text) : a.kind === 'delete' ? out.red(text) : out.yellow(text);
}

function progressPrinter(): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (pct === last && done !== total) return;
    last = pct;
    process.stderr.write(`\rpushing to ECAL: ${done}/${total} (${pct}%)${done === total ? '\n' : ''}`);
  };
}
