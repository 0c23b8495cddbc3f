import { PARENT_PIPE_ENV } from '../worker/index.js';

/**
 * For a long-running verb started by a supervisor with PARENT_PIPE_ENV set (a worker of the process runtime,
 * the API companion): calls `onGone` once when stdin, the supervisor's never-written pipe, closes — which
 * happens however the supervisor died, SIGKILL included. Returns what undoes it (an open stdin would keep
 * the process alive). Does nothing when not started that way.
 */
export function watchParentPipe(onGone: () => void, env: NodeJS.ProcessEnv = process.env): () => void {
  if (env[PARENT_PIPE_ENV] !== '1') return () => {};
  let fired = false;
  const fire = (): void => {
    if (fired) return;
    fired = true;
    onGone();
  };
  process.stdin.on('end', fire);
  process.stdin.on('error', fire);
  process.stdin.resume();
  return () => {
    process.stdin.off('end', fire);
    process.stdin.off('error', fire);
    process.stdin.destroy();
  };
}
