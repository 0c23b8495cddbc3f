export {
  startMonCampusSim,
  renderCourse,
  renderQuirkDate,
  quirkInstantMs,
  teamsFragment,
  type MonCampusSim,
  type MonCampusSimOptions,
  type MonCampusCourse,
  type SimCourseSpec,
  type SimRequest,
} from './moncampus.js';
export {
  startEcalSim,
  ecalSignature,
  type EcalSim,
  type EcalSimOptions,
  type EcalSimEvent,
  type EcalSimRequest,
  type EcalFailureSpec,
} from './ecal.js';
export { generateTimetable, SLOTS, type GenerateTimetableOptions } from './timetable-gen.js';
export { createPrng } from './prng.js';
export type { SimLoggedRequest } from './logged-server.js';
export { startClicrdvSim, type ClicrdvSim, type ClicrdvSimOptions, type ClicrdvSlot } from './clicrdv.js';
export { startCalcomSim, type CalcomSim, type CalcomSimOptions, type CalcomSlotSpec, type CalcomBooking } from './calcom.js';
export {
  startDiscordSim,
  validateDiscordMessage,
  DISCORD_LIMITS,
  type DiscordSim,
  type DiscordSimOptions,
  type DiscordSimMessage,
  type DiscordSimHistoryChange,
} from './discord.js';
export {
  startDiscordGatewaySim,
  GATEWAY_OP,
  GATEWAY_CLOSE,
  INTENTS,
  type DiscordGatewaySim,
  type DiscordGatewaySimOptions,
  type GatewayLogEntry,
} from './discord-gateway.js';
export { startSlackSim, type SlackSim, type SlackSimOptions, type SlackSimMessage } from './slack.js';
export { startWebhookReceiverSim, type WebhookReceiverSim, type WebhookReceived } from './webhook-receiver.js';
export { startNtfySim, type NtfySim, type NtfyMessage } from './ntfy.js';
export { startGotifySim, type GotifySim, type GotifyMessage } from './gotify.js';
export { startTelegramSim, type TelegramSim, type TelegramMessage } from './telegram.js';
export { startPushoverSim, type PushoverSim, type PushoverMessage } from './pushover.js';
export { startMatrixSim, type MatrixSim, type MatrixMessage } from './matrix.js';
