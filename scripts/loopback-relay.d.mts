// Types of scripts/loopback-relay.mjs for the TypeScript tests that import it (test/loopback-relay.ts).
export function startHostRelay(dir: string, ports: number[]): Promise<{ close(): Promise<void> }>;
export function runToEnd(command: string[], env?: NodeJS.ProcessEnv): Promise<number>;
