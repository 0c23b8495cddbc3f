import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDir } from '../config/index.js';
import { API_KEY_FILE, apiKeyPath, SUPERVISOR_DIR } from '../instance/index.js';
import { EXIT } from './output.js';
import type { VerbContext } from './main.js';

/**
 * The dashboard/API key made at the first start when none is set (API_KEY, API_KEYS, API_KEYS_FILE): a Pi
 * user who never read compose.yml still gets a key, printed once in the supervisor's log and shown again by
 * `./campus-sync api-key`. Kept in data/.supervisor/api-key (mode 0600, the API_KEYS_FILE format).
 */
export { API_KEY_FILE, apiKeyPath };
/** 24 random bytes: 192 bits, as base64url (32 characters a person can copy from a log). */
const KEY_BYTES = 24;

/** Whether the environment already names keys: then no key file is made or used. */
export function keysGivenByEnv(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.API_KEY?.trim() || env.API_KEYS?.trim() || env.API_KEYS_FILE?.trim());
}

/** The key in a key file's text: the first line that is not blank nor a comment; null when there is none. */
export function keyFromText(text: string): string | null {
  if (text.includes('\0')) return null;
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t !== '' && !t.startsWith('#')) return /^[A-Za-z0-9_-]{16,}$/.test(t) ? t : null;
  }
  return null;
}

/** The stored key, or null when there is no (usable) file. */
export async function readApiKey(dataDir: string): Promise<string | null> {
  const text = await readFile(apiKeyPath(dataDir), 'utf8').catch(() => null);
  return text === null ? null : keyFromText(text);
}

/**
 * The stored key, made now when missing. A damaged file (empty, NUL bytes after a power cut) is set aside
 * as api-key.damaged-<time> and replaced. The file belongs to whoever owns data/ (the supervisor runs as
 * root in its container; `./campus-sync api-key` runs as the user), readable by that owner only.
 */
export async function ensureApiKey(dataDir: string, now = new Date()): Promise<{ key: string; path: string; created: boolean; setAside?: string }> {
  const path = apiKeyPath(dataDir);
  const existing = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  let setAside: string | undefined;
  if (existing !== null) {
    const key = keyFromText(existing);
    if (key) return { key, path, created: false };
    setAside = `${path}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
    await rename(path, setAside);
  }
  await mkdir(join(dataDir, SUPERVISOR_DIR), { recursive: true });
  const key = randomBytes(KEY_BYTES).toString('base64url');
  const text = `# campus-sync dashboard and API key, made ${now.toISOString()}. One key per line (API_KEYS_FILE format).\n${key}\n`;
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    // Another process made it between our read and now: theirs is the key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return ensureApiKey(dataDir, now);
    throw err;
  }
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (process.getuid?.() === 0) {
    const owner = await stat(dataDir);
    await chown(path, owner.uid, owner.gid).catch(() => {});
  }
  return { key, path, created: true, ...(setAside ? { setAside } : {}) };
}

/**
 * The address a person opens, as the host publishes the API (compose passes CAMPUS_SYNC_API_BIND,
 * CAMPUS_SYNC_PORT and CAMPUS_SYNC_LAN_ADDRESS in): the loopback URL, or on 0.0.0.0 the LAN one.
 */
export function dashboardUrl(env: NodeJS.ProcessEnv): { url: string; network: boolean } {
  const port = env.CAMPUS_SYNC_PORT?.trim() || env.PORT?.trim() || '8080';
  const bind = env.CAMPUS_SYNC_API_BIND?.trim() || env.HOST?.trim() || '127.0.0.1';
  if (bind === '0.0.0.0' || bind === '::') {
    const lan = env.CAMPUS_SYNC_LAN_ADDRESS?.trim();
    return { url: `http://${lan || "<this machine's address>"}:${port}/`, network: true };
  }
  return { url: `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}/`, network: false };
}

/** api-key: the dashboard/API key (made now if the supervisor has not made it yet), and where it is used. */
export async function apiKeyVerb({ out }: VerbContext): Promise<number> {
  if (keysGivenByEnv(process.env) && !(await readApiKey(dataDir()))) {
    out.error('the key is set in the environment (API_KEY, API_KEYS or API_KEYS_FILE, e.g. in .env): that is the one to use');
    return EXIT.failed;
  }
  const { key, path, created } = await ensureApiKey(dataDir());
  const { url } = dashboardUrl(process.env);
  out.result({ key, file: path, created }, () => {
    out.line(key);
    process.stderr.write(
      `${created ? 'made now; the supervisor uses it from its next start. ' : ''}Sign in at ${url} with it (the x-api-key header for /v1). Kept in data/${SUPERVISOR_DIR}/${API_KEY_FILE}.\n`,
    );
  });
  return EXIT.ok;
}
