/** Discord message ingestion: live through the Gateway (issue 17), backfill, polling as a fallback, into a MessageSink. */
export { type MessageRow, type MessageSink, cursorKeys } from './sink.js';
export { toMessageRow, parseDiscordMessage, normalizeDiscordTimestamp, discordMessageSchema, type DiscordMessage, type RowContext } from './message.js';
export {
  createDiscordReader,
  DISCORD_USER_AGENT,
  MAX_PAGE_SIZE,
  DEFAULT_READ_TIMEOUT_MS,
  MAX_RETRY_AFTER_MS,
  type DiscordReader,
  type ChannelInfo,
  type DiscordReaderOptions,
  type ListQuery,
  type IngestChannel,
  type DiscordSourceOptions,
  type SettingNames,
} from './client.js';
export { backfill, type BackfillOptions, type BackfillProgress, type BackfillResult, type BackfillChannelResult } from './backfill.js';
export {
  pollOnce,
  startIngestion,
  DEFAULT_POLL_INTERVAL_MS,
  RECHECK_INTERVAL_MS,
  RECHECK_WINDOW_MS,
  RECHECK_MAX_PAGES,
  MAX_CATCHUP_PAGES,
  type PollOptions,
  type PollResult,
  type PollChannelResult,
  type IngestionOptions,
  type Ingestion,
} from './poll.js';
export {
  ingestConfigSchema,
  resolveIngestConfig,
  MIN_POLL_SECONDS,
  MAX_POLL_SECONDS,
  type IngestConfig,
  type IngestSettings,
  type ResolveIngestOptions,
} from './config.js';
export { ingestConfigFromEnv, DISCORD_ENV } from './env.js';
export { formatBackfillProgress, progressPrinter } from './progress.js';
export {
  blankMessages,
  checkPage,
  channelHealth,
  readIngestHealth,
  recordIngestHealth,
  createHealthRecorder,
  createGatewayHealthRecorder,
  recordGatewayHealth,
  type GatewayHealth,
  HEALTH_REFRESH_MS,
  IngestPermissionError,
  INGEST_HEALTH_FILE,
  type IngestProblem,
  type IngestProblemCode,
  type ChannelHealth,
  type ChannelOutcome,
  type IngestHealthRecord,
} from './health.js';
export { snowflakeToMs, snowflakeFromMs, compareSnowflakes, isSnowflake } from './snowflake.js';
export {
  createGatewayClient,
  GATEWAY_INTENTS,
  INGEST_INTENTS,
  RECONNECT_BASE_MS,
  RECONNECT_MAX_MS,
  type GatewayClient,
  type GatewayClientOptions,
  type GatewayState,
  type GatewayStatus,
  type GatewayDispatch,
} from './gateway.js';
export { startLiveIngestion, type LiveIngestion, type LiveIngestionOptions, type LiveHealth } from './live.js';
export { createLiveWriter, DEFAULT_BATCH_MS, MAX_BATCH, type LiveSink, type LiveWriter, type FlushResult } from './live-writer.js';
export { liveOpOf, learnThreads, type LiveOp, type LiveScope } from './live-events.js';
export { readAfter, type ReadAfterOptions, type ReadAfterResult } from './catchup.js';
