import { posix } from 'node:path';

/**
 * Where the engine finds, on the HOST, a folder this process sees. A supervisor in a container creates
 * workers that bind-mount configs/<name>.yml and data/<name>/, and the engine resolves those paths on the
 * host: so the supervisor asks the engine about its own container and reads the host side of its mounts.
 * No ${PWD} in compose.yml (sudo, cron and systemd drop it, and Compose then mounts /configs from the disk's root).
 */

/** One entry of `docker inspect`'s Mounts. */
export interface EngineMount {
  Type?: string;
  Source: string;
  Destination: string;
}

/** The host path of `local` through the mount that holds it (the deepest one), or null when none does. */
export function hostPathThroughMounts(local: string, mounts: readonly EngineMount[]): string | null {
  const path = posix.normalize(local);
  let best: EngineMount | null = null;
  for (const m of mounts) {
    if (m.Type !== undefined && m.Type !== 'bind') continue;
    const dest = posix.normalize(m.Destination);
    const inside = path === dest || path.startsWith(dest.endsWith('/') ? dest : `${dest}/`);
    if (inside && (!best || dest.length > posix.normalize(best.Destination).length)) best = m;
  }
  if (!best) return null;
  const rest = posix.relative(posix.normalize(best.Destination), path);
  return rest ? posix.join(best.Source, rest) : best.Source;
}

export interface HostPathsInput {
  /** What this process sees: CAMPUS_SYNC_CONFIG_DIR / CAMPUS_SYNC_DATA_DIR. */
  configDir: string;
  dataDir: string;
  /** CAMPUS_SYNC_HOST_CONFIG_DIR / CAMPUS_SYNC_HOST_DATA_DIR, when set. */
  givenConfigDir?: string;
  givenDataDir?: string;
  /** This process's container and its mounts; undefined on a host. */
  container?: { id: string; mounts: readonly EngineMount[] };
}

/**
 * The host paths for the workers' bind mounts, or an error that says what is wrong and what to do. On a
 * host, the paths seen are host paths. In a container: the mounts decide; a given path that contradicts
 * them is refused (a worker would get an empty folder, silently), and so is a folder not mounted at all.
 */
export function resolveHostPaths(input: HostPathsInput): { hostConfigDir: string; hostDataDir: string } | { error: string } {
  if (!input.container) return { hostConfigDir: input.givenConfigDir || input.configDir, hostDataDir: input.givenDataDir || input.dataDir };
  const short = input.container.id.slice(0, 12);
  const out: Record<'config' | 'data', string> = { config: '', data: '' };
  for (const [which, local, given, env] of [
    ['config', input.configDir, input.givenConfigDir, 'CAMPUS_SYNC_HOST_CONFIG_DIR'],
    ['data', input.dataDir, input.givenDataDir, 'CAMPUS_SYNC_HOST_DATA_DIR'],
  ] as const) {
    const seen = hostPathThroughMounts(local, input.container.mounts);
    if (seen === null) {
      if (given) {
        out[which] = given;
        continue;
      }
      return {
        error: `${local} (the ${which} folder) is not mounted from the host in this container (${short}): the workers cannot be given its host path. Mount the checkout's ${which === 'config' ? 'configs' : 'data'}/ there (compose.yml does), or set ${env}`,
      };
    }
    if (given && posix.normalize(given) !== posix.normalize(seen)) {
      return {
        error: `${env}=${given} but ${local} is mounted from ${seen} on the host: workers would get another folder than this supervisor sees. Remove ${env} (it is found by itself) or correct it`,
      };
    }
    out[which] = seen;
  }
  return { hostConfigDir: out.config, hostDataDir: out.data };
}
