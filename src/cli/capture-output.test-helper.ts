import type { Output } from './output.js';

/** What a verb printed through a captured Output: its lines, its errors and its `--json` results, uncoloured. */
export interface CapturedOutput {
  out: Output;
  lines: string[];
  errors: string[];
  results: unknown[];
}

/** An Output that keeps everything a verb prints (human lines only without `json`, as the real one). */
export function captureOutput(json = false): CapturedOutput {
  const lines: string[] = [];
  const errors: string[] = [];
  const results: unknown[] = [];
  const out: Output = {
    json,
    line: (t) => lines.push(t),
    result: (v, human) => {
      results.push(v);
      if (!json) human();
    },
    error: (t) => errors.push(t),
    green: (t) => t,
    red: (t) => t,
    yellow: (t) => t,
    dim: (t) => t,
  };
  return { out, lines, errors, results };
}
