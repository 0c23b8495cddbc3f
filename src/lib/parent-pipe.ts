/**
 * Set by the process runtime for the workers it spawns: their stdin is a pipe from the supervisor that
 * nothing is written to. The kernel closes it when the supervisor dies, even by SIGKILL, which no signal
 * handler can see: the worker then finishes its run in flight and exits (src/cli/worker.ts), instead of
 * running on as an orphan beside the workers the next supervisor starts.
 */
export const PARENT_PIPE_ENV = 'CAMPUS_SYNC_PARENT_PIPE';
