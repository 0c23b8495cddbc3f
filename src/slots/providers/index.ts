import type { SlotWatcherConfig } from '../../config/index.js';
import type { SlotProvider } from '../slot.js';
import { createCalcomProvider } from './calcom.js';
import { createClicrdvProvider } from './clicrdv.js';
import type { ProviderOptions } from './options.js';

export { createCalcomProvider, CALCOM_V2_API_VERSION } from './calcom.js';
export { createClicrdvProvider, mapBounded, DATE_PLACEHOLDER } from './clicrdv.js';
export { rateLimitWaitMs, DEFAULT_SLOT_TIMEOUT_MS, MAX_RATE_LIMIT_WAIT_MS } from './http.js';
export type { ProviderOptions } from './options.js';

/** The provider a watcher's config names. */
export function createSlotProvider(config: SlotWatcherConfig, opts: ProviderOptions): SlotProvider {
  return config.provider === 'clicrdv' ? createClicrdvProvider(config, opts) : createCalcomProvider(config, opts);
}
