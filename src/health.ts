#!/usr/bin/env node
/**
 * The image's HEALTHCHECK: `node /app/dist/health.js` (Dockerfile). It answers what `campus-sync health`
 * answers (the supervisor's heartbeat, or the worker named by CAMPUS_SYNC_INSTANCE), without loading the CLI:
 * Docker starts it every 30 s in every container, so its start-up is the cost (issue 20: 0.36–0.55 s of CPU
 * through `cli.js health`, the floor being node's own ~0.14 s; figures in README "Performance").
 * Exit 0 healthy, 1 unhealthy: Docker reserves 2.
 */
import { checkHealth } from './cli/health-probe.js';

const report = await checkHealth();
const line = `${report.healthy ? 'healthy' : 'unhealthy'}: ${report.reason}\n`;
(report.healthy ? process.stdout : process.stderr).write(line, () => process.exit(report.healthy ? 0 : 1));
