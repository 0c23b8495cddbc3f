import { appendFile, mkdir, open, rename, rm, stat, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Phase } from '../lib/index.js';
import { ERRORS_FILE } from './names.js';

export { ERRORS_FILE };
/** 1 MiB per file: years of daily problems on a Raspberry Pi SD card, small enough to read in a pager. */
export const ERRORS_MAX_BYTES = 1024 * 1024;
/** errors.log.1 … errors.log.3 are kept: older lines are the least useful. */
export const ERRORS_KEEP = 3;
/** The tail of errors.log read for the newest lines: lines are short, this holds dozens of them. */
const ERRORS_TAIL_BYTES = 16 * 1024;

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

/** One line of errors.log, as people and the reporting store read it. */
export interface ErrorLine {
  /** ISO time as written, or null for a line not in the worker's format (the Python original's, say). */
  at: string | null;
  phase: string | null;
  message: string;
}

/** `<ISO time> <phase> <message>`, as `append` writes it (messages are already redacted). */
export const ERROR_LINE = /^(\d{4}-\d{2}-\d{2}T\S+) (\S+) (.*)$/;

export function parseErrorLine(line: string): ErrorLine {
  const m = ERROR_LINE.exec(line);
  if (!m) return { at: null, phase: null, message: line };
  const [, at, phase, message] = m as unknown as [string, string, string, string];
  return { at, phase, message };
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

/** The newest `n` lines of data/<name>/errors.log, newest first; only its tail is read, however long it grew. */
export async function readNewestErrors(dataDir: string, name: string, n: number): Promise<ErrorLine[]> {
  let handle;
  try {
    handle = await open(join(dataDir, name, ERRORS_FILE), 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, ERRORS_TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split(/\r?\n/);
    // A tail that starts mid-file starts mid-line: that partial first line is dropped.
    if (length < size) lines.shift();
    return lines
      .filter((l) => l.trim() !== '')
      .slice(-n)
      .reverse()
      .map(parseErrorLine);
  } finally {
    await handle.close();
  }
}
