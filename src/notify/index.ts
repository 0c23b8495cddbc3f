export {
  ALERT_KINDS,
  SEVERITIES,
  DISCORD_LIMITS,
  DISCORD_COLOURS,
  createAlert,
  severityOf,
  severityRank,
  redactAlert,
  digestAlerts,
  renderDiscord,
  renderSlack,
  renderEmail,
  renderJson,
  discordLimitViolations,
  type Alert,
  type AlertKind,
  type AlertSlot,
  type NewAlert,
  type Severity,
  type DiscordMessage,
  type DiscordEmbed,
  type SlackPayload,
  type EmailContent,
  type JsonWebhookPayload,
} from './message.js';
export {
  notifySchema,
  channelsSchema,
  channelEntrySchema,
  channelObjectSchema,
  quietHoursSchema,
  notifySecrets,
  type NotifyConfig,
  type ChannelConfig,
  type ChannelType,
  type QuietHours,
} from '../config/index.js';
export { parseAppriseUrl, AppriseUrlError, type AppriseChannel } from '../config/index.js';
export { DEFAULT_EVENTS, wantsAlert, routeAlert, inQuietHours, holdsDuringQuietHours, type Route } from './router.js';
export { ChannelTransientError, PermanentChannelError, type Channel, type SendProgress } from './channel.js';
export { createChannel, channelFingerprint, type CreateChannelOptions } from './channels/create.js';
export { describeChannel, mask, type ChannelPlan } from './describe.js';
export { createDiscordWebhookChannel, createDiscordBotChannel, DISCORD_USER_AGENT } from './channels/discord.js';
export { createSlackChannel } from './channels/slack.js';
export { createEmailChannel } from './channels/email.js';
export { createWebhookChannel } from './channels/webhook.js';
export {
  createOutbox,
  deliveryFileName,
  isDeliveryRecord,
  isDisabledChannels,
  rebuildDelivery,
  type RebuiltDelivery,
  DEFAULT_BASE_DELAY_MS,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MAX_AGE_MS,
  type Outbox,
  type OutboxOptions,
  type DrainResult,
  type PendingDelivery,
  type DisabledChannel,
  type AlertJournalEntry,
} from './outbox.js';
export { sendTestMessages, testAlert, channelServerUrl, type ChannelTestResult } from './test-message.js';
