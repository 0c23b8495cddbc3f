import { checkHealth } from './health-probe.js';
import { isValidInstanceName } from '../config/paths.js';
import { EXIT, UsageError } from './output.js';
import type { VerbContext } from './main.js';

// The probe itself (what Docker's HEALTHCHECK runs, through dist/health.js) is health-probe.ts: light on purpose.
export {
  checkHealth,
  HEALTH_TIMEOUT_MS,
  INSTANCE_ENV,
  MAX_HEARTBEAT_AGE_MS,
  SUPERVISOR_DIR,
  SUPERVISOR_STATUS_FILE,
  WORKER_STATUS_FILE,
  type HealthOptions,
  type HealthReport,
} from './health-probe.js';

/**
 * Docker reserves exit code 2 for health checks, so this only ever answers 0 or 1: a bad instance name in
 * the environment is an unhealthy container, not a usage error. Only a bad name typed as an argument is.
 */
export async function healthVerb({ args, out }: VerbContext): Promise<number> {
  if (args.length > 1) throw new UsageError('health takes at most one worker name');
  const name = args[0];
  if (name !== undefined && !isValidInstanceName(name)) throw new UsageError(`"${name}" is not a config name`);
  const report = await checkHealth({ name });
  out.result(report, () => {
    if (report.healthy) out.line(`healthy: ${report.reason}`);
    else out.error(`unhealthy: ${report.reason}`);
  });
  return report.healthy ? EXIT.ok : EXIT.failed;
}
