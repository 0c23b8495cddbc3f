/** Printing for people (colour on a TTY unless NO_COLOR) or machines (`--json`: one JSON object per line). */
export interface Output {
  json: boolean;
  /** A line for people; dropped in JSON mode. */
  line(text: string): void;
  /** A structured result: printed as JSON in JSON mode, via `human` otherwise. */
  result(value: unknown, human: () => void): void;
  error(text: string): void;
  green(t: string): string;
  red(t: string): string;
  yellow(t: string): string;
  dim(t: string): string;
}

export function createOutput(json: boolean, stdout: NodeJS.WriteStream = process.stdout): Output {
  const colour = !json && stdout.isTTY === true && !process.env.NO_COLOR;
  const paint = (code: number) => (t: string) => (colour ? `\u001b[${code}m${t}\u001b[0m` : t);
  return {
    json,
    line: (text) => {
      if (!json) stdout.write(`${text}\n`);
    },
    result: (value, human) => {
      if (json) stdout.write(`${JSON.stringify(value)}\n`);
      else human();
    },
    error: (text) => {
      if (json) process.stderr.write(`${JSON.stringify({ error: text })}\n`);
      else process.stderr.write(`${text}\n`);
    },
    green: paint(32),
    red: paint(31),
    yellow: paint(33),
    dim: paint(2),
  };
}

/** Exit codes shared by every verb (DESIGN.md, "Conventions"). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {}
