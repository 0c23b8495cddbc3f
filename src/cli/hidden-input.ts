/**
 * A secret typed at a terminal is not shown: the terminal goes to raw mode (no echo) for that one answer.
 * Raw mode also turns off the terminal's own line editing and Ctrl-C, so both are done here: backspace
 * edits the answer, Ctrl-C / Ctrl-D cancel.
 */

/** Ctrl-C and Ctrl-D as raw mode delivers them (no signal is raised for them there). */
const CANCEL = /[\x03\x04]/;
/** DEL (what Backspace sends) and BS. */
const BACKSPACE = new Set(['\x7f', '\b']);

/** The answer a person meant: every backspace removes the character before it; other control characters go. */
export function editedAnswer(raw: string): string {
  const out: string[] = [];
  for (const ch of raw) {
    if (BACKSPACE.has(ch)) out.pop();
    else if (ch >= ' ') out.push(ch);
  }
  return out.join('');
}

export interface RawTty {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
}

/**
 * Runs `read` (which reads one line) with the terminal's echo off; `onCancel` is called on Ctrl-C or
 * Ctrl-D. Off a terminal (a pipe, a script), `read` runs as it is: nothing is echoed there anyway.
 */
export async function withoutEcho<T>(input: RawTty, read: () => Promise<T>, onCancel: () => void): Promise<T> {
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') return read();
  const watch = (chunk: Buffer | string): void => {
    if (CANCEL.test(String(chunk))) {
      input.setRawMode?.(false);
      onCancel();
    }
  };
  input.setRawMode(true);
  input.on('data', watch);
  try {
    return await read();
  } finally {
    input.off('data', watch);
    input.setRawMode(false);
  }
}

export interface LineReader {
  /** The next line, without its ending; undefined once the input ended. */
  next(): Promise<string | undefined>;
  close(): void;
}

/**
 * Lines from a stream, typed-ahead ones kept. Not node:readline: it takes a `\r` (Enter in raw mode)
 * followed within 100 ms by a `\n` (Enter in cooked mode, the next answer) for one CRLF and loses the
 * second answer. Here `\r\n` is one ending only inside one chunk.
 */
export function createLineReader(input: NodeJS.ReadableStream): LineReader {
  const lines: string[] = [];
  let partial = '';
  let ended = false;
  let wake: (() => void) | undefined;
  const onData = (chunk: Buffer | string): void => {
    const parts = (partial + String(chunk)).split(/\r\n|\r|\n/);
    partial = parts.pop() ?? '';
    lines.push(...parts);
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  input.on('data', onData);
  input.on('end', onEnd);
  return {
    async next() {
      while (lines.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (lines.length > 0) return lines.shift();
      if (partial !== '') {
        const last = partial;
        partial = '';
        return last;
      }
      return undefined;
    },
    close() {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
    },
  };
}
