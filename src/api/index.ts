export {
  createApiServer,
  HEALTH_PING_TIMEOUT_MS,
  MAX_CONNECTIONS_PER_CLIENT,
  CLOSE_GRACE_MS,
  type ApiServer,
  type ApiServerOptions,
  type ApiExtension,
  type ApiExtensionContext,
} from './server.js';
export { startApi, listenAddressFromEnv, DEFAULT_PORT, DEFAULT_HOST, type StartApiOptions, type RunningApi } from './start.js';
export {
  importInstanceData,
  startImporter,
  instancesInDataDir,
  IMPORT_INTERVAL_MS,
  type ImportOptions,
  type ImportSummary,
  type Importer,
  type ImporterOptions,
} from './importer.js';
export { apiKeysFromEnv, API_KEY_HEADER } from './keys.js';
export { icsFeedUrl, ensureIcsToken, ICS_FILE, ICS_TOKEN_FILE } from './ics.js';
export { MAX_BODY_BYTES, type Router, type RouteDoc, type ApiRequest, type ApiResponse, type Handler } from './router.js';
export { canonicalPathError } from './app.js';
