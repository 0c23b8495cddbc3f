import type { Logger } from '../lib/index.js';

/** A logger that keeps its lines, for tests that check what was said and how often. */
export interface Captured {
  logger: Logger;
  lines: { level: string; message: string; meta?: Record<string, unknown> }[];
}

export function captureLogger(): Captured {
  const lines: Captured['lines'] = [];
  const make = (): Logger => ({
    error: (message, meta) => void lines.push({ level: 'error', message, ...(meta ? { meta } : {}) }),
    warn: (message, meta) => void lines.push({ level: 'warn', message, ...(meta ? { meta } : {}) }),
    info: (message, meta) => void lines.push({ level: 'info', message, ...(meta ? { meta } : {}) }),
    debug: (message, meta) => void lines.push({ level: 'debug', message, ...(meta ? { meta } : {}) }),
    child: () => make(),
  });
  return { logger: make(), lines };
}
