/** Nanoseconds per unit of a Go duration (what Compose files use, and `ecal.verifyEvery`): `15s`, `1m30s`, `500ms`, `6h`. */
const DURATION_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * A Go-style duration in nanoseconds, or undefined when the text is not one. `0` alone is zero (Go accepts it
 * without a unit); any other number needs its unit, so `15` is refused rather than guessed as seconds.
 */
export function parseDurationNs(value: string): number | undefined {
  const s = value.trim();
  if (s === '0') return 0;
  if (s.length === 0) return undefined;
  const re = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/y;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * DURATION_NS[m[2]!]!;
    i = re.lastIndex;
  }
  return Math.round(total);
}
