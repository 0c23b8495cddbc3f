import { readFileSync } from 'node:fs';

/**
 * The container id in a /proc/self/mountinfo text: Docker and Podman bind-mount a per-container file on
 * /etc/hostname (root field `…/containers/<id>/hostname`, or `…/overlay-containers/<id>/userdata/hostname`).
 * Only that mount point counts: a host's own table also lists containers' shm mounts.
 */
export function containerFromMountinfo(mountinfo: string): string | null {
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    if (fields[4] !== '/etc/hostname') continue;
    const id = /containers\/([0-9a-f]{64})\//.exec(fields[3] ?? '')?.[1];
    if (id) return id;
  }
  return null;
}

/** The container this process runs in (Docker or Podman), or null on a host (or without /proc). */
export function currentContainerId(): string | null {
  try {
    return containerFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return null;
  }
}
