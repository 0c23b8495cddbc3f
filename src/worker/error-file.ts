import { appendFile, mkdir, rename, rm, stat, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Phase } from '../lib/index.js';

export const ERRORS_FILE = 'errors.log';
/** 1 MiB per file: years of daily problems on a Raspberry Pi SD card, small enough to read in a pager. */
export const ERRORS_MAX_BYTES = 1024 * 1024;
/** errors.log.1 … errors.log.3 are kept: older lines are the least useful. */
export const ERRORS_KEEP = 3;

export interface ErrorFileOptions {
  path: string;
  redact: (text: string) => string;
  maxBytes?: number;
  keep?: number;
}

export interface ErrorFile {
  /** Appends one line `<ISO time> <phase> <message>`; never truncates what is there (the original overwrote it). */
  append(phase: Phase | 'run', message: string, at?: Date): Promise<void>;
}

export function createErrorFile(opts: ErrorFileOptions): ErrorFile {
  const maxBytes = opts.maxBytes ?? ERRORS_MAX_BYTES;
  const keep = opts.keep ?? ERRORS_KEEP;
  return {
    async append(phase, message, at = new Date()) {
      await mkdir(dirname(opts.path), { recursive: true });
      const oneLine = opts.redact(message).replace(/\s*[\r\n]+\s*/g, ' | ');
      const line = `${at.toISOString()} ${phase} ${oneLine}\n`;
      await rotateIfNeeded(opts.path, Buffer.byteLength(line), maxBytes, keep);
      await appendFile(opts.path, line, { mode: 0o600 });
    },
  };
}

async function rotateIfNeeded(path: string, incoming: number, maxBytes: number, keep: number): Promise<void> {
  let size = 0;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  if (size + incoming <= maxBytes) return;
  await rm(`${path}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) {
    await rename(`${path}.${i}`, `${path}.${i + 1}`).catch(() => {});
  }
  await rename(path, `${path}.1`);
}

/** The newest `lines` lines of the error file, oldest first; empty when there is none. */
export async function tailErrorFile(path: string, lines = 50): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const all = text.split('\n').filter((l) => l.length > 0);
  return all.slice(-lines);
}
