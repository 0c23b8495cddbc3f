// Types of scripts/loopback-relay.mjs for the TypeScript tests that import it (test/loopback-relay.ts).
import type { Socket } from 'node:net';

export function pipeBoth(a: Socket, b: Socket): void;
export function startHostRelay(dir: string, ports: number[]): Promise<{ close(): Promise<void> }>;
export function listenRelayed(dir: string): Promise<number[]>;
export function runToEnd(command: string[], env?: NodeJS.ProcessEnv): Promise<number>;
