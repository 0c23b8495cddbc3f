/**
 * Shared by the tests that need a real Docker engine: whether one answers (and has the image), a
 * describe that skips with one clear line when not (or fails, under CI), and cleanup by label.
 */
import Docker from 'dockerode';
import { describe, it } from 'vitest';
import { LABEL_SUPERVISOR } from '../src/supervisor/interface.js';

/** The project image (scripts/docker-setup.sh builds it). */
export const TEST_IMAGE = process.env.CAMPUS_SYNC_TEST_IMAGE || 'campus-sync:local';
/** Put on containers a test makes by hand (not through the runtime), so cleanup finds them too. */
export const LABEL_TEST = 'campus-sync.test';
/** A healthy engine answers /_ping in milliseconds; 3 s means it is not there (or wedged). */
const PING_TIMEOUT_MS = 3_000;

export type DockerAvailability = { ok: true; docker: Docker } | { ok: false; reason: string };

/** Pings the engine (DOCKER_HOST or /var/run/docker.sock) and looks for the image. */
export async function dockerAvailable(image: string = TEST_IMAGE): Promise<DockerAvailability> {
  const docker = new Docker();
  try {
    await (docker.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
  } catch (err) {
    return { ok: false, reason: `Docker engine not reachable: docker tests skipped (${(err as Error).message})` };
  }
  try {
    await docker.getImage(image).inspect();
  } catch {
    return { ok: false, reason: `Docker image ${image} missing: docker tests skipped (build it with scripts/docker-setup.sh, or set CAMPUS_SYNC_TEST_IMAGE)` };
  }
  return { ok: true, docker };
}

/**
 * `describe` when the engine and image are there; otherwise one console line and a skipped suite, or
 * under CI (process.env.CI) a failing test carrying the same line, so a broken CI engine is never green.
 * `options` are the suite's (e.g. `concurrent`: this suite runs beside the file's other concurrent suites).
 */
export function describeWithDocker(
  availability: DockerAvailability,
  name: string,
  body: (docker: Docker) => void,
  options: { concurrent?: boolean } = {},
): void {
  if (availability.ok) {
    describe(name, options, () => body(availability.docker));
    return;
  }
  const reason = availability.reason;
  if (process.env.CI) {
    describe(name, () => {
      it('needs a Docker engine and the test image (CI is set: not skipped)', () => {
        throw new Error(reason.replace('docker tests skipped', 'docker tests cannot run'));
      });
    });
    return;
  }
  console.log(reason);
  describe.skip(name, () => {
    it('needs a Docker engine', () => {});
  });
}

/** Force-removes every container carrying `label=value` (the supervisor id the tests gave, or the test label). */
export async function removeContainersLabelled(docker: Docker, label: string, value: string): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${label}=${value}`] } });
  await Promise.all(
    found.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  return found.length;
}

/** Everything a test run created: through the runtime (supervisor label) and by hand (test label). */
export async function cleanupTestContainers(docker: Docker, runId: string): Promise<void> {
  await removeContainersLabelled(docker, LABEL_SUPERVISOR, runId);
  await removeContainersLabelled(docker, LABEL_TEST, runId);
}

/** Runs a command in a running container and returns its output (stdout and stderr demultiplexed) and exit code. */
export async function execIn(docker: Docker, containerId: string, cmd: string[]): Promise<{ output: string; exitCode: number | null }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const out = { write: (b: Buffer) => void chunks.push(Buffer.from(b)) } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, out, out);
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { output: Buffer.concat(chunks).toString('utf8'), exitCode: info.ExitCode ?? null };
}

export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
