/**
 * Shared by the tests that run the supervisor (or Compose) against the real engine: a scope per test run
 * (CAMPUS_SYNC_SCOPE) so their supervisors never see — let alone remove — another file's containers, the
 * scoped workers read back from the engine, the host CLI's environment, and cleanup.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import type { EcalSim } from '../src/sim/index.js';
import { createLogDemuxer } from '../src/supervisor/docker-runtime.js';
import { LABEL_CONFIG, LABEL_SCOPE } from '../src/supervisor/interface.js';
import { removeContainersLabelled, TEST_IMAGE } from './docker-helpers.js';
import { makeWorkspace, type Workspace } from './helpers.js';

export const REPO = resolve(import.meta.dirname, '..');

/** A workspace whose configs/, data/ and compose.template.yml can be bind-mounted at the same path inside and out. */
export async function makeDockerWorkspace(): Promise<Workspace & { template: string }> {
  const ws = await makeWorkspace();
  await mkdir(ws.data, { recursive: true });
  const template = join(ws.root, 'compose.template.yml');
  await copyFile(join(REPO, 'compose.template.yml'), template);
  return { ...ws, template };
}

/** What the supervisor (in its container, or the host CLI) reads: this run's scope, image, template, host networking. */
export function dockerEnv(ws: Workspace & { template: string }, scope: string): Record<string, string> {
  return {
    CAMPUS_SYNC_CONFIG_DIR: ws.configs,
    CAMPUS_SYNC_DATA_DIR: ws.data,
    CAMPUS_SYNC_TEMPLATE: ws.template,
    CAMPUS_SYNC_IMAGE: TEST_IMAGE,
    // The simulators listen on the host's 127.0.0.1.
    CAMPUS_SYNC_WORKER_NETWORK: 'host',
    CAMPUS_SYNC_SCOPE: scope,
    // The reporting API beside the supervisor: a free port on loopback only, whatever network it runs in.
    PORT: '0',
    HOST: '127.0.0.1',
  };
}

/** Every worker container of a scope, inspected, by config name (a name twice would be a duplicate: kept as a list). */
export async function scopedWorkers(docker: Docker, scope: string): Promise<Docker.ContainerInspectInfo[]> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${LABEL_SCOPE}=${scope}`] } });
  const infos = await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .inspect()
        .catch(() => null),
    ),
  );
  return infos.filter((i): i is Docker.ContainerInspectInfo => i !== null).sort((a, b) => configOf(a).localeCompare(configOf(b)));
}

export const configOf = (info: Docker.ContainerInspectInfo): string => info.Config.Labels?.[LABEL_CONFIG] ?? '';

export async function removeScoped(docker: Docker, scope: string): Promise<number> {
  return removeContainersLabelled(docker, LABEL_SCOPE, scope);
}

/** Inspect by name or id; null once it is gone. */
export async function inspectOrNull(docker: Docker, ref: string): Promise<Docker.ContainerInspectInfo | null> {
  return docker
    .getContainer(ref)
    .inspect()
    .catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return null;
      throw err;
    });
}

/** A container's log lines (stdout and stderr), oldest first. */
export async function containerLines(docker: Docker, ref: string): Promise<string[]> {
  const buf = (await docker.getContainer(ref).logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  const split = createLogDemuxer();
  return [...split.push(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))), ...split.end()];
}

/** JSON log lines (the image logs JSON); other lines are dropped. */
export function jsonLines(lines: string[]): { message?: string; instance?: string; level?: string; timestamp?: string }[] {
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as { message?: string; instance?: string; level?: string; timestamp?: string }];
    } catch {
      return [];
    }
  });
}

/** ECAL events this instance owns (its references). */
export const eventsOf = (ecal: EcalSim, name: string): number => ecal.events().filter((e) => e.reference?.startsWith(`campus-sync:${name}:`)).length;
