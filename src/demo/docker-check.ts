import type Docker from 'dockerode';

/** A healthy engine answers /_ping in milliseconds; 3 s means it is not there (or wedged). */
const PING_TIMEOUT_MS = 3_000;

/**
 * Why `npm run demo -- --docker` cannot run here, in words a person can act on, or null when the engine
 * answers and has the worker image. Asked before anything starts: the supervisor would otherwise keep
 * retrying an absent engine quietly, and a missing image only shows as a worker that never starts.
 */
export async function dockerProblem(image: string, docker?: Docker): Promise<string | null> {
  // Loaded only here: dockerode weighs ~14 MB the process-runtime demo does not need.
  const engine = docker ?? new (await import('dockerode')).default();
  try {
    await (engine.ping as (o: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
  } catch (err) {
    return (
      `no Docker engine answers (${process.env.DOCKER_HOST || '/var/run/docker.sock'}: ${(err as Error).message}). ` +
      'Start Docker (or run `bash scripts/docker-setup.sh`), or run the demo without --docker: the process runtime needs nothing.'
    );
  }
  try {
    await engine.getImage(image).inspect();
  } catch {
    return `the Docker engine has no image ${image}: build it with \`bash scripts/docker-setup.sh\` (or set CAMPUS_SYNC_IMAGE), or run the demo without --docker.`;
  }
  return null;
}
