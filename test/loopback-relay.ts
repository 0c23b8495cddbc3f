import { chmod, copyFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHostRelay } from '../scripts/loopback-relay.mjs';

/**
 * How a worker container on Docker's default bridge network reaches simulators that listen on the test
 * machine's 127.0.0.1, while every address anyone talks to stays 127.0.0.1.
 *
 * A bridge container has its own network namespace: its 127.0.0.1 is not the host's. Listening on the
 * bridge's gateway (172.17.0.1) would put the simulators on an address other hosts may route to, and the
 * CAS redirects name 127.0.0.1:<port>, which the worker would then follow into its own namespace. So
 * the bytes cross through a folder instead (scripts/loopback-relay.mjs): on the host, one Unix socket per
 * simulator port (`<dir>/<port>.sock`) forwards to 127.0.0.1:<port>; the folder is mounted into the container at
 * /relay, where the same program, as entrypoint, listens on the container's own 127.0.0.1:<port>, forwards each
 * connection to the socket of that port, and then starts the worker (`node /app/dist/cli.js worker <name>`) as
 * it would have been started. The worker's config names the very URLs
 * the simulators print, its container keeps its bridge network, its hardening and its restarts, and a
 * dropped connection on a simulator is a dropped connection in the worker.
 */

/** Mounted here in the container. */
export const RELAY_MOUNT = '/relay';

/**
 * The relay's program (plain JavaScript: the image runs it with its own node), copied into the folder as the
 * container's entrypoint: it listens on the container's 127.0.0.1 before the worker starts, so the worker's first
 * request never meets a closed port, then runs the image's own command; docker kill kills both.
 */
const RELAY_PROGRAM = resolve(import.meta.dirname, '../scripts/loopback-relay.mjs');

export interface LoopbackRelay {
  /** The host folder to mount at RELAY_MOUNT (read-only is enough: connecting to a socket is not a write). */
  dir: string;
  /** The container's entrypoint: the relay, then the image's own (`node /app/dist/cli.js`); the worker's command after it. */
  entrypoint: string[];
  close(): Promise<void>;
}

/** The host half: a socket per port of 127.0.0.1, in a folder the container's user (uid 1000) can use. */
export async function startLoopbackRelay(ports: number[]): Promise<LoopbackRelay> {
  const dir = await mkdtemp(join(tmpdir(), 'campus-sync-relay-'));
  await chmod(dir, 0o755);
  await copyFile(RELAY_PROGRAM, join(dir, 'entrypoint.mjs'));
  await chmod(join(dir, 'entrypoint.mjs'), 0o644);
  const relay = await startHostRelay(dir, ports);
  return {
    dir,
    entrypoint: ['node', `${RELAY_MOUNT}/entrypoint.mjs`, RELAY_MOUNT, '--', 'node', '/app/dist/cli.js'],
    close: () => relay.close(),
  };
}

/** The port of a simulator URL (`http://127.0.0.1:<port>/…`). */
export const portOf = (url: string): number => Number(new URL(url).port);
