import { DateTime } from 'luxon';
import type { PlanAction } from '../ecal/index.js';
import { createLogger, wantsJson } from '../lib/index.js';
import { describeEcalCheck, runSync } from '../worker/index.js';
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
  out.result({ ...record, plan: plan ? plan.actions.map(describeAction) : undefined }, () => {
    if (record.ecalCheck?.kind === 'skipped') out.line(`Plan: ${out.dim('nothing to change (timetable unchanged: ECAL not listed)')}`);
    if (plan) {
      out.line(dryRun ? 'Plan (dry run: nothing is written):' : 'Plan:');
      if (plan.actions.length === 0) out.line(out.dim('  nothing to change'));
      for (const a of plan.actions) out.line(`  ${colourAction(out, a)}`);
      if (plan.guard.held) out.line(out.yellow(`  deletions held back: ${plan.guard.reason ?? ''}`));
    }
    const c = record.counts;
    const counts = dryRun && plan
      ? `${plan.counts.create} to create, ${plan.counts.update} to update, ${plan.counts.adopt} to adopt, ${plan.counts.delete} to delete, ${plan.counts.unchanged} unchanged`
      : `${c.created} created, ${c.updated} updated, ${c.adopted} adopted, ${c.deleted} deleted, ${c.unchanged} unchanged, ${c.skipped} skipped, ${c.failed} failed`;
    const status = record.outcome === 'success' || record.outcome === 'dry-run' ? out.green(record.outcome) : out.red(record.outcome);
    out.line(`${config.name}: ${status} — ${record.courses} courses; ${counts} (${record.durationMs} ms)`);
    if (record.ecalCheck) out.line(out.dim(`  ${describeEcalCheck(record.ecalCheck)}`));
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
