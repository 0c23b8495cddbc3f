/**
 * Other spellings of a path, as an attacker tries them against a guard and a router that might read a path two
 * ways: percent-encodings (one character, whole segments, upper and lower hex), case, dot segments (plain and
 * encoded), doubled and encoded slashes, backslashes, trailing dots and slashes, `;` parameters, overlong UTF-8
 * (`%C0%AF` for `/`, `%C0%AE` for `.`), NUL, and the absolute-form request target.
 */
export function pathSpellings(path: string, origin: string): string[] {
  const segments = path.split('/').slice(1);
  const join = (parts: string[]): string => `/${parts.join('/')}`;
  const pct = (c: string, upper: boolean): string => {
    const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
    return `%${upper ? hex.toUpperCase() : hex}`;
  };
  const out = new Set<string>();
  segments.forEach((seg, i) => {
    const with_ = (replacement: string): string => join(segments.map((s, j) => (j === i ? replacement : s)));
    if (seg.length > 0) {
      out.add(with_(pct(seg[0] as string, false) + seg.slice(1)));
      out.add(with_(seg.slice(0, -1) + pct(seg.at(-1) as string, true)));
      out.add(with_([...seg].map((c) => pct(c, true)).join('')));
      out.add(with_(seg.toUpperCase()));
      out.add(with_(seg[0]?.toUpperCase() + seg.slice(1)));
      out.add(with_(`${seg}.`));
      out.add(with_(`${seg}%2e`));
      out.add(with_(`${seg};x=1`));
      out.add(with_(`${seg}%00`));
      out.add(with_(`${seg}%20`));
    }
    const before = segments.slice(0, i + 1);
    const after = segments.slice(i + 1);
    for (const dots of ['.', '%2e', '%2E', '%C0%AE']) out.add(join([...before, dots, ...after]));
    for (const up of ['..', '%2e%2e', '%2E%2E', '.%2e', '%C0%AE%C0%AE']) out.add(join([...before, 'x', up, ...after]));
    out.add(`${join(before)}//${after.join('/')}`);
    out.add(`${join(before)}%2F${after.join('/')}`);
    out.add(`${join(before)}%2f${after.join('/')}`);
    out.add(`${join(before)}%C0%AF${after.join('/')}`);
    out.add(`${join(before)}\\${after.join('/')}`);
  });
  out.add(`/${path}`);
  out.add(`${path}/`);
  out.add(`${path}/.`);
  out.add(path.toUpperCase());
  out.add(`${origin}${path}`);
  out.add(`${origin}${path.replace(/^\/v1/, '/%76%31')}`);
  out.delete(path);
  return [...out];
}
