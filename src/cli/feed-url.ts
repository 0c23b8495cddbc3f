import { icsFeedUrl, listenAddressFromEnv } from '../api/index.js';
import { dataDir } from '../config/index.js';
import { EXIT } from './output.js';
import { loadInstance } from './resolve.js';
import type { VerbContext } from './main.js';

/**
 * Prints the instance's calendar subscription URL (creates its token on first use). The base is --base-url,
 * else PUBLIC_URL (the address people reach the API at, behind a proxy), else this machine's PORT on loopback.
 */
export async function feedUrlVerb({ args, values, out }: VerbContext): Promise<number> {
  const { config } = await loadInstance(args[0], values.config as string | undefined);
  if (!config.moncampus || !config.ics.enabled) {
    out.error(`${config.name} writes no calendar (no moncampus section, or ics.enabled is false): there is no feed`);
    return EXIT.usage;
  }
  const base = (values['base-url'] as string | undefined) ?? process.env.PUBLIC_URL ?? `http://127.0.0.1:${listenAddressFromEnv(process.env).port}`;
  const url = await icsFeedUrl(base, dataDir(), config.name);
  out.result({ name: config.name, url }, () => {
    out.line(url);
    out.line(out.dim('Subscribe to it in Google Calendar ("From URL") or Apple Calendar; keep it private: the token is the only key.'));
  });
  return EXIT.ok;
}
