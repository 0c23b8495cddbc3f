import type { Logger, RetryOptions } from '../../lib/index.js';

/** What every provider needs besides its own config section. */
export interface ProviderOptions {
  /** The zone used when the watcher names none (the config's). */
  timezone: string;
  timeoutMs?: number;
  retry?: RetryOptions;
  logger?: Logger;
}
