export {
  slotWatcherSchema,
  slotsSchema,
  slotFilterSchema,
  watcherSecrets,
  calcomV1Warnings,
  realertAfterMs,
  parseDuration,
  clicrdvApiKey,
  WEEKDAYS,
  DEFAULT_SLOT_SCHEDULE,
  DEFAULT_REALERT_AFTER,
  DEFAULT_CLICRDV_DAYS_AHEAD,
  DEFAULT_CLICRDV_CONCURRENCY,
  DEFAULT_CALCOM_RANGE_DAYS,
  DEFAULT_CALCOM_URL,
  type SlotWatcherConfig,
  type SlotWatcherInput,
  type ClicrdvWatcherConfig,
  type CalcomWatcherConfig,
  type SlotFilter,
  type Weekday,
} from '../config/index.js';
export type { Slot, SlotProvider } from './slot.js';
export { applyFilter } from './filter.js';
export {
  createSlotProvider,
  createClicrdvProvider,
  createCalcomProvider,
  CALCOM_V2_API_VERSION,
  type ProviderOptions,
} from './providers/index.js';
export {
  createSlotWatcher,
  diffSlots,
  emptySeenState,
  isSeenState,
  DEFAULT_SLOT_TIMEZONE,
  type SeenState,
  type SeenEntry,
  type SlotWatcher,
  type SlotWatcherOptions,
  type SlotCheckResult,
} from './watcher.js';
