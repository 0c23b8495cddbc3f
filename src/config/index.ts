export {
  loadConfigFile,
  parseConfig,
  resolveConfigText,
  usesEnv,
  configReferences,
  listConfigFiles,
  isConfigFileName,
  serviceDefaults,
  type InstanceConfig,
  type SyncWindowConfig,
  type ParseOptions,
} from './load.js';
export { resolveWindow } from './window.js';
export { readConfigText, decodeConfigBytes, MAX_CONFIG_FILE_BYTES } from './limits.js';
export {
  configDir,
  dataDir,
  instanceDataDir,
  isValidInstanceName,
  displayPath,
  INSTANCE_NAME_PATTERN,
  MAX_INSTANCE_NAME_LENGTH,
  CONFIG_DIR_ENV,
  DATA_DIR_ENV,
} from './paths.js';
export {
  configFileSchema,
  legacyConfigFileSchema,
  type ConfigFile,
  type LegacyConfigFile,
  DEFAULT_TIMEZONE,
  DEFAULT_SCHEDULE,
  DEFAULT_MONCAMPUS_URL,
  DEFAULT_ECAL_URL,
  DEFAULT_ALERT,
  DEFAULT_PAST_DAYS,
  DEFAULT_FUTURE_DAYS,
  DEFAULT_MAX_DELETE_SHARE,
  DEFAULT_CONCURRENCY,
  DEFAULT_VERIFY_EVERY,
  SECRET_FILE_KEYS,
} from './schema.js';
export { SECRETS_DIR_ENV, referencedVariables } from './env.js';
export { warningIn } from './messages.js';
export { SCHOOL_GROUPS, CAS_ORIGINS, isSchoolGroup, timetableUrlFor, type SchoolGroup } from './schools.js';
// The `slots:` and `notify:` sections: their schemas belong to the config file, so slots/ and notify/
// import them from here (DESIGN: config imports nothing of ours; the others import config).
export * from './slots-schema.js';
export * from './notify-schema.js';
export * from './apprise.js';
export * from './booking-schema.js';
export { secretsInConfigText } from './raw-secrets.js';
// The config writer of the dashboard and invitations (issue 23): pure changes, then the file side.
export { applyConfigChanges, contentHash, hasValue, literalText, type ConfigChange, type ConfigPath, type EditResult } from './edit.js';
export {
  configFileFor,
  readConfigState,
  writeConfig,
  deleteConfig,
  type ConfigWriteResult,
  type ConfigFileState,
  type WriteConfigOptions,
} from './edit-file.js';
export {
  configHostsPolicy,
  inviteePolicy,
  inviteeTimetableUrl,
  mayContact,
  OWNER_POLICY,
  PUBLIC_NOTIFY_ORIGINS,
  type HostPolicy,
  type HostVerdict,
  type RefusalReason,
} from './invitee-hosts.js';
