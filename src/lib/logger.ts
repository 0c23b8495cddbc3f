import winston from 'winston';
import { makeRedactor } from './redact.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  /** A logger whose lines carry these fields too (e.g. the phase of a run). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Carried on every line so one config's lines can be followed alone. */
  instance?: string;
  /** Values never to print (passwords, keys, tokens, webhook URLs). */
  secrets?: Iterable<string>;
  /** JSON lines (for `docker logs` and log shippers) instead of the human format. */
  json?: boolean;
  level?: LogLevel;
  /** Where lines go; stderr by default so stdout stays for command output. */
  stream?: NodeJS.WritableStream;
}

/** JSON when asked, or when stderr is not a terminal inside a container (log shippers read it). */
export function wantsJson(argvJson: boolean | undefined): boolean {
  if (argvJson !== undefined) return argvJson;
  if (process.env.LOG_FORMAT === 'json') return true;
  if (process.env.LOG_FORMAT === 'text') return false;
  return !process.stderr.isTTY && process.env.CAMPUS_SYNC_IN_CONTAINER === '1';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const redact = makeRedactor(options.secrets ?? []);
  const colour = !options.json && process.stderr.isTTY && !process.env.NO_COLOR;
  const redactFormat = winston.format((info) => {
    info.message = redact(String(info.message));
    for (const key of Object.keys(info)) {
      const value = info[key];
      if (typeof value === 'string') info[key] = redact(value);
    }
    return info;
  });
  const human = winston.format.printf((info) => {
    const { level, message, timestamp, instance, ...rest } = info as Record<string, unknown>;
    const extra = Object.entries(rest)
      .filter(([k]) => typeof k === 'string' && !k.startsWith('Symbol('))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const who = instance ? `[${String(instance)}] ` : '';
    return `${String(timestamp)} ${String(level)} ${who}${String(message)}${extra ? ` ${extra}` : ''}`;
  });
  const format = winston.format.combine(
    redactFormat(),
    winston.format.timestamp(),
    ...(options.json ? [winston.format.json()] : [...(colour ? [winston.format.colorize()] : []), human]),
  );
  const base = winston.createLogger({
    level: options.level ?? (process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info',
    defaultMeta: options.instance ? { instance: options.instance } : {},
    format,
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
  });
  const wrap = (w: winston.Logger): Logger => ({
    error: (m, meta) => void w.error(m, meta),
    warn: (m, meta) => void w.warn(m, meta),
    info: (m, meta) => void w.info(m, meta),
    debug: (m, meta) => void w.debug(m, meta),
    child: (fields) => wrap(w.child(fields)),
  });
  return wrap(base);
}

/** A logger that drops everything, for tests and library callers that do not care. */
export const silentLogger: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => silentLogger,
};
