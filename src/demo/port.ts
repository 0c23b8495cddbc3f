import { createServer } from 'node:net';
import { DEFAULT_HOST, DEFAULT_PORT } from '../api/index.js';

/**
 * The PORT to give the demo's API: the caller's PORT when set (0 = any), else 8080 when it is free on
 * 127.0.0.1, else 0 (the API picks a free port and prints it; the demo reads the URL from that line).
 */
export async function choosePort(requested: string | undefined, preferred: number = DEFAULT_PORT): Promise<string> {
  if (requested !== undefined && requested.trim() !== '') return requested.trim();
  return (await portFree(preferred)) ? String(preferred) : '0';
}

export function portFree(port: number, host: string = DEFAULT_HOST): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
