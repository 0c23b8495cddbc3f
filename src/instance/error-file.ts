import { appendFile, mkdir, open, rename, rm, stat, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_LOCALE, describeError, translator, type Locale, type Logger, type Phase } from '../lib/index.js';
import { ERRORS_FILE } from './names.js';

export { ERRORS_FILE };
/** 1 MiB per file: years of daily problems on a Raspberry Pi SD card, small enough to read in a pager. */
export const ERRORS_MAX_BYTES = 1024 * 1024;
/** errors.log.1 … errors.log.3 are kept: older lines are the least useful. */
export const ERRORS_KEEP = 3;
/** The tail of errors.log read for the newest lines: lines are short, this holds dozens of them. */
const ERRORS_TAIL_BYTES = 16 * 1024;

/**
 * What went wrong, as a stable English code for machines (grep, the store, tests): the sentence after it is in
 * the config's language, the code never changes with it. Each has its sentence in the catalogues' `errorsLog`.
 */
export const ERROR_CODES = [
  'login.refused',
  'sync.failed',
  'deletions.held',
  'push.failed',
  'slots.failed',
  'run.refused',
  'file.damaged',
  // The supervisor's (src/supervisor/instance-errors.ts, process-runtime.ts).
  'worker.crashLooping',
  'config.invalid',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorFileOptions {
  path: string;
  redact: (text: string) => string;
  /** The config's `locale`: the language of the sentences (French by default, as the alerts). */
  locale?: Locale;
  maxBytes?: number;
  keep?: number;
}

export interface ErrorFile {
  /**
   * Appends one line `<ISO time> <phase> [<code>] <sentence>`, the sentence in the file's locale with `detail`
   * (the technical cause, as the failing module said it) in it; never truncates what is there (the original
   * overwrote it).
   */
  report(phase: Phase | 'run', code: ErrorCode, detail: string, at?: Date): Promise<void>;
  /** Appends one line `<ISO time> <phase> <message>` as given, without a code: the form of files written before codes, which readers still parse. */
  append(phase: Phase | 'run', message: string, at?: Date): Promise<void>;
}

/** `report`, and when errors.log cannot be written (a full disk) the log says so instead: nothing fails for it. */
export function reportOrLog(file: ErrorFile, logger: Pick<Logger, 'error'>, ...line: Parameters<ErrorFile['report']>): Promise<void> {
  return file.report(...line).catch((e: unknown) => logger.error(`cannot write ${ERRORS_FILE}: ${describeError(e)}`));
}

export function createErrorFile(opts: ErrorFileOptions): ErrorFile {
  const maxBytes = opts.maxBytes ?? ERRORS_MAX_BYTES;
  const keep = opts.keep ?? ERRORS_KEEP;
  const t = translator(opts.locale ?? DEFAULT_LOCALE);
  const write = async (phase: string, text: string, at: Date): Promise<void> => {
    await mkdir(dirname(opts.path), { recursive: true });
    const oneLine = opts.redact(text).replace(/\s*[\r\n]+\s*/g, ' | ');
    const line = `${at.toISOString()} ${phase} ${oneLine}\n`;
    await rotateIfNeeded(opts.path, Buffer.byteLength(line), maxBytes, keep);
    await appendFile(opts.path, line, { mode: 0o600 });
  };
  return {
    report: (phase, code, detail, at = new Date()) => write(phase, `[${code}] ${t(`errorsLog.${code}`, { detail, phase })}`, at),
    append: (phase, message, at = new Date()) => write(phase, message, at),
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
  /** The stable English code (`login.refused`…), or null on a line written before codes existed. */
  code: string | null;
  /** The sentence, without its code. */
  message: string;
}

/** `<ISO time> <phase> <message>`, as `append` writes it (messages are already redacted). */
export const ERROR_LINE = /^(\d{4}-\d{2}-\d{2}T\S+) (\S+) (.*)$/;
/** The code at the head of a message: `[login.refused] …`. */
const CODED = /^\[([a-z]+(?:\.[a-z]+)+)\] (.*)$/;

export function parseErrorLine(line: string): ErrorLine {
  const m = ERROR_LINE.exec(line);
  if (!m) return { at: null, phase: null, code: null, message: line };
  const [, at, phase, rest] = m as unknown as [string, string, string, string];
  const coded = CODED.exec(rest);
  return coded ? { at, phase, code: coded[1] as string, message: coded[2] as string } : { at, phase, code: null, message: rest };
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
