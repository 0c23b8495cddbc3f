import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../lib/index.js';

/** A logger that keeps its lines, so tests can check what was (and was not) said. */
export function captureLogger(): { logger: Logger; lines: { level: string; message: string; meta?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const make = (): Logger => ({
    error: (message, meta) => void lines.push({ level: 'error', message, ...(meta ? { meta } : {}) }),
    warn: (message, meta) => void lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) }),
    info: (message, meta) => void lines.push({ level: 'info', message, ...(meta ? { meta } : {}) }),
    debug: (message, meta) => void lines.push({ level: 'debug', message, ...(meta ? { meta } : {}) }),
    child: () => make(),
  });
  return { logger: make(), lines };
}

export interface TempDirs {
  root: string;
  configDir: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function tempDirs(prefix = 'campus-sync-api-'): Promise<TempDirs> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const configDir = join(root, 'configs');
  const dataDir = join(root, 'data');
  await mkdir(configDir, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  return { root, configDir, dataDir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** A valid config whose MonCampus password and ECAL key/secret are the given secret (so a sweep can look for it). */
export async function writeConfig(configDir: string, name: string, secret: string): Promise<void> {
  await writeFile(
    join(configDir, `${name}.yml`),
    [
      'timezone: Europe/Paris',
      'schedule: "46 6-18 * * *"',
      'moncampus:',
      '  username: alice.martin',
      `  password: "${secret}"`,
      '  window:',
      '    pastDays: 7',
      '    futureDays: 30',
      'ecal:',
      `  apiKey: "${secret}-key"`,
      `  apiSecret: "${secret}-secret"`,
      '  calendarId: 0123456789abcdef01234567',
      '',
    ].join('\n'),
  );
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function get(base: string, path: string, opts: { key?: string; headers?: Record<string, string>; method?: string } = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: opts.method ?? 'GET',
    headers: { ...(opts.key !== undefined ? { 'x-api-key': opts.key } : {}), ...opts.headers },
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (HTML, ICS, empty)
  }
  return { status: res.status, headers: res.headers, text, json };
}
