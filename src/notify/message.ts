import { createHash, randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Clock, Locale } from '../lib/index.js';
import { systemClock, translator } from '../lib/index.js';
import { ALERT_KINDS, SEVERITIES, type AlertKind, type Severity } from '../config/index.js';

// The kinds and severities are part of the config file's vocabulary (`events`, `minSeverity`): they live in
// the config module and are re-exported here for the rest of notify/.
export { ALERT_KINDS, SEVERITIES, type AlertKind, type Severity };

/** A refused login stops every sync until a person acts; a failed run or a guarded deletion may heal alone. */
const SEVERITY_OF: Record<AlertKind, Severity> = {
  'slot.new': 'info',
  'auth.failed': 'critical',
  'auth.recovered': 'info',
  'sync.failed': 'warning',
  'sync.recovered': 'info',
  'sync.done': 'info',
  'deletion.guarded': 'warning',
  // Info by default; the alert itself says warning when a class within 24 h is cancelled or moved.
  'timetable.changed': 'info',
  'timetable.digest': 'info',
  // Nothing is ingested until a person fixes the token or the intent.
  'ingest.stopped': 'critical',
  test: 'info',
};

export function severityOf(kind: AlertKind): Severity {
  return SEVERITY_OF[kind];
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface AlertSlot {
  label: string;
  /** ISO date-time, with offset when the source gave one. */
  start: string;
  bookingUrl?: string;
}

export interface Alert {
  /** Stable across retries and restarts: the outbox and receivers dedupe on it. */
  id: string;
  kind: AlertKind;
  severity: Severity;
  instance: string;
  title: string;
  text: string;
  fields?: { name: string; value: string }[];
  url?: string;
  /** ISO time the event happened. */
  at: string;
  slots?: AlertSlot[];
  /** Language of the few words renderers add (a booking link, a quiet-hours summary, dates); absent: English. */
  locale?: Locale;
}

export type NewAlert = Omit<Alert, 'id' | 'severity' | 'at'> & Partial<Pick<Alert, 'id' | 'severity' | 'at'>>;

/** Fills id (random uuid), severity (from the kind) and time. */
export function createAlert(input: NewAlert, clock: Clock = systemClock): Alert {
  return {
    ...input,
    id: input.id ?? randomUUID(),
    severity: input.severity ?? severityOf(input.kind),
    at: input.at ?? clock.now().toISOString(),
  };
}

/** Every text of the alert passed through `redact`: renderers then cannot leak a secret a caller put in. */
export function redactAlert(alert: Alert, redact: (s: string) => string): Alert {
  const out: Alert = { ...alert, instance: redact(alert.instance), title: redact(alert.title), text: redact(alert.text) };
  if (alert.fields) out.fields = alert.fields.map((f) => ({ name: redact(f.name), value: redact(f.value) }));
  if (alert.url !== undefined) out.url = redact(alert.url);
  if (alert.slots) {
    out.slots = alert.slots.map((s) => {
      const slot: AlertSlot = { label: redact(s.label), start: redact(s.start) };
      if (s.bookingUrl !== undefined) slot.bookingUrl = redact(s.bookingUrl);
      return slot;
    });
  }
  return out;
}

/** Longest text of one held alert inside a digest: the digest is a summary, the logs have the rest. */
const DIGEST_LINE_CHARS = 300;

/** One alert standing for several held during quiet hours; its id derives from theirs so a resend keeps it. */
export function digestAlerts(alerts: readonly Alert[]): Alert {
  const first = alerts[0];
  if (first === undefined) throw new Error('digestAlerts needs at least one alert');
  if (alerts.length === 1) return first;
  const worst = alerts.reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
  const sameKind = alerts.every((a) => a.kind === first.kind);
  const hash = createHash('sha256')
    .update(alerts.map((a) => a.id).join(','))
    .digest('hex');
  const id = `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
  const lines = alerts.map((a) => {
    const text = a.text.split('\n')[0] ?? '';
    return truncate(`• [${a.severity}] ${a.title}${text ? `: ${text}` : ''}`, DIGEST_LINE_CHARS);
  });
  const slots = alerts.flatMap((a) => a.slots ?? []);
  const digest: Alert = {
    id,
    kind: sameKind ? first.kind : worst.kind,
    severity: worst.severity,
    instance: first.instance,
    title: translator(first.locale ?? 'en')('alerts.held', { count: alerts.length }),
    text: lines.join('\n'),
    at:
      alerts
        .map((a) => a.at)
        .sort()
        .at(-1) ?? first.at,
  };
  if (slots.length > 0) digest.slots = slots;
  if (first.locale) digest.locale = first.locale;
  return digest;
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Splits a text into pieces of at most `max` chars, at line breaks when it can. */
export function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const rawLine of text.split('\n')) {
    let line = rawLine;
    while (line.length > max) {
      if (current) {
        out.push(current);
        current = '';
      }
      out.push(line.slice(0, max));
      line = line.slice(max);
    }
    const next = current ? `${current}\n${line}` : line;
    if (next.length > max) {
      out.push(current);
      current = line;
    } else {
      current = next;
    }
  }
  if (current) out.push(current);
  return out;
}

function formatStart(start: string, locale: Locale | undefined): string {
  const dt = DateTime.fromISO(start, { setZone: true });
  return dt.isValid ? dt.setLocale(locale === 'fr' ? 'fr-FR' : 'en-GB').toFormat('ccc d LLL yyyy HH:mm') : start;
}

/** The word of a booking link, in the alert's language. */
const bookWord = (locale: Locale | undefined): string => translator(locale ?? 'en')('alerts.book');
/** A slot's label after its time, when it has one (the worker's slot alerts carry the time only). */
const labelPart = (label: string): string => (label ? ` ${label}` : '');

function isHttpUrl(u: string | undefined): u is string {
  if (u === undefined) return false;
  try {
    const p = new URL(u);
    return p.protocol === 'http:' || p.protocol === 'https:';
  } catch {
    return false;
  }
}

const footerText = (alert: Alert): string => `campus-sync ${alert.instance}`;

// ---------------------------------------------------------------- Discord

/** Discord's documented limits; over any of them the API answers 400 and the alert is lost. */
export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

/** Colours by severity as the seed's bot used (orange for a warning); green for good news. */
export const DISCORD_COLOURS = { critical: 0xe74c3c, warning: 16753920, info: 0x3498db, good: 0x2ecc71 } as const;

export interface DiscordEmbed {
  title?: string;
  description?: string;
  url?: string;
  color: number;
  timestamp: string;
  /** Left out when a channel says footer=no (Apprise's Discord option). */
  footer?: { text: string };
  fields?: { name: string; value: string; inline?: boolean }[];
}

export interface DiscordMessage {
  content?: string;
  embeds: DiscordEmbed[];
  /** Nothing we send may ping anyone, whatever a course title contains; only the ids a channel names (`ping=`). */
  allowed_mentions: { parse: string[]; users?: string[]; roles?: string[] };
  username?: string;
  avatar_url?: string;
  tts?: boolean;
  flags?: number;
}

function discordColour(alert: Alert): number {
  if (alert.severity === 'critical') return DISCORD_COLOURS.critical;
  if (alert.severity === 'warning') return DISCORD_COLOURS.warning;
  if (alert.kind === 'slot.new' || alert.kind.endsWith('.recovered')) return DISCORD_COLOURS.good;
  return DISCORD_COLOURS.info;
}

function escapeDiscordMarkdown(s: string): string {
  return s.replace(/([\\*_~`|[\]()>#-])/g, '\\$1');
}

/** A slot line; long labels shortened so one line can never fill a description alone. */
const SLOT_LABEL_CHARS = 200;
/** Booking links longer than this are left out of the line rather than cut (a cut URL is a broken link). */
const SLOT_URL_CHARS = 1000;

function discordSlotLine(slot: AlertSlot, locale: Locale | undefined): string {
  const label = escapeDiscordMarkdown(truncate(slot.label, SLOT_LABEL_CHARS));
  const when = formatStart(slot.start, locale);
  const link = isHttpUrl(slot.bookingUrl) && slot.bookingUrl.length <= SLOT_URL_CHARS ? ` — [${bookWord(locale)}](${slot.bookingUrl})` : '';
  return `• **${when}**${labelPart(label)}${link}`;
}

export function discordEmbedSize(e: DiscordEmbed): number {
  let n = (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0);
  for (const f of e.fields ?? []) n += f.name.length + f.value.length;
  return n;
}

/**
 * The alert as one or more Discord messages, each within every documented limit: long texts and
 * slot lists go into several embeds, embeds into several messages (10 per message, 6000 chars).
 */
export function renderDiscord(alert: Alert): DiscordMessage[] {
  const colour = discordColour(alert);
  const footer = { text: truncate(footerText(alert), DISCORD_LIMITS.footer) };
  const title = truncate(alert.title, DISCORD_LIMITS.title);
  const contTitle = truncate(`${alert.title} (continued)`, DISCORD_LIMITS.title);
  const url = isHttpUrl(alert.url) ? alert.url : undefined;
  const embeds: DiscordEmbed[] = [];
  let current: DiscordEmbed | undefined;
  const newEmbed = (): DiscordEmbed => {
    const e: DiscordEmbed = { title: embeds.length === 0 ? title : contTitle, color: colour, timestamp: alert.at, footer };
    if (url && embeds.length === 0) e.url = url;
    embeds.push(e);
    return e;
  };
  // Pieces of at most this many chars: even with the longest title and footer, one piece fits the 6000 total.
  const pieceMax = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - DISCORD_LIMITS.title - footer.text.length - 2);
  const lines = [...splitText(alert.text, pieceMax), ...(alert.slots ?? []).map((s) => discordSlotLine(s, alert.locale))].filter((l) => l !== '');
  for (const line of lines) {
    const e: DiscordEmbed = current ?? newEmbed();
    const desc = e.description ? `${e.description}\n${line}` : line;
    if (desc.length > DISCORD_LIMITS.description || discordEmbedSize({ ...e, description: desc }) > DISCORD_LIMITS.total) {
      current = newEmbed();
      current.description = line;
    } else {
      e.description = desc;
      current = e;
    }
  }
  for (const f of alert.fields ?? []) {
    const field = {
      name: truncate(f.name || '-', DISCORD_LIMITS.fieldName),
      value: truncate(f.value || '-', DISCORD_LIMITS.fieldValue),
      inline: f.value.length < 40,
    };
    let e: DiscordEmbed = current ?? newEmbed();
    const count = e.fields?.length ?? 0;
    if (count >= DISCORD_LIMITS.fields || discordEmbedSize(e) + field.name.length + field.value.length > DISCORD_LIMITS.total) {
      e = newEmbed();
    }
    (e.fields ??= []).push(field);
    current = e;
  }
  if (embeds.length === 0) newEmbed();
  // Pack embeds into messages: at most 10 each, and their text together within the 6000 total.
  const messages: DiscordMessage[] = [];
  let msg: DiscordMessage | undefined;
  let size = 0;
  for (const e of embeds) {
    const s = discordEmbedSize(e);
    if (!msg || msg.embeds.length >= DISCORD_LIMITS.embeds || size + s > DISCORD_LIMITS.total) {
      msg = { embeds: [], allowed_mentions: { parse: [] } };
      messages.push(msg);
      size = 0;
    }
    msg.embeds.push(e);
    size += s;
  }
  return messages;
}

/** The alert as plain content messages (Apprise's format=text for Discord), each within the 2000-character limit. */
export function renderDiscordText(alert: Alert): DiscordMessage[] {
  const { title, message } = renderJson(alert);
  const text = [title, message].filter(Boolean).join('\n');
  return splitText(text, DISCORD_LIMITS.content).map((content) => ({ content, embeds: [], allowed_mentions: { parse: [] } }));
}

/** Every documented limit a message breaks, as readable lines; empty when Discord would accept it. */
export function discordLimitViolations(msg: DiscordMessage): string[] {
  const out: string[] = [];
  const L = DISCORD_LIMITS;
  if ((msg.content?.length ?? 0) > L.content) out.push(`content ${msg.content?.length} > ${L.content}`);
  if (msg.embeds.length > L.embeds) out.push(`${msg.embeds.length} embeds > ${L.embeds}`);
  if (!msg.content && msg.embeds.length === 0) out.push('empty message');
  let total = 0;
  msg.embeds.forEach((e, i) => {
    if ((e.title?.length ?? 0) > L.title) out.push(`embed ${i} title ${e.title?.length} > ${L.title}`);
    if ((e.description?.length ?? 0) > L.description) out.push(`embed ${i} description ${e.description?.length} > ${L.description}`);
    if ((e.fields?.length ?? 0) > L.fields) out.push(`embed ${i} ${e.fields?.length} fields > ${L.fields}`);
    for (const f of e.fields ?? []) {
      if (f.name.length > L.fieldName || f.name.length === 0) out.push(`embed ${i} field name length ${f.name.length}`);
      if (f.value.length > L.fieldValue || f.value.length === 0) out.push(`embed ${i} field value length ${f.value.length}`);
    }
    if ((e.footer?.text.length ?? 0) > L.footer) out.push(`embed ${i} footer ${e.footer?.text.length} > ${L.footer}`);
    total += discordEmbedSize(e);
  });
  if (total > L.total) out.push(`embeds total ${total} > ${L.total}`);
  return out;
}

// ---------------------------------------------------------------- Slack

export interface SlackPayload {
  text: string;
  blocks: Record<string, unknown>[];
}

/** Slack's section text limit is 3000; a short message is the point, so stop well before. */
const SLACK_SECTION_CHARS = 2900;
const SLACK_HEADER_CHARS = 150;
/** Slots listed in a Slack message; the rest are counted ("and 12 more"). */
const SLACK_MAX_SLOTS = 15;

const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function slackSlotLine(slot: AlertSlot, locale: Locale | undefined): string {
  const when = formatStart(slot.start, locale);
  const label = slackEscape(truncate(slot.label, SLOT_LABEL_CHARS));
  const link =
    isHttpUrl(slot.bookingUrl) && slot.bookingUrl.length <= SLOT_URL_CHARS && !/[|<>]/.test(slot.bookingUrl) ? ` <${slot.bookingUrl}|${bookWord(locale)}>` : '';
  return `• *${when}*${labelPart(label)}${link}`;
}

export function renderSlack(alert: Alert): SlackPayload {
  const icon = alert.severity === 'critical' ? ':rotating_light:' : alert.severity === 'warning' ? ':warning:' : ':information_source:';
  const slots = alert.slots ?? [];
  const slotLines = slots.slice(0, SLACK_MAX_SLOTS).map((s) => slackSlotLine(s, alert.locale));
  if (slots.length > SLACK_MAX_SLOTS) slotLines.push(`…and ${slots.length - SLACK_MAX_SLOTS} more`);
  const body = truncate([slackEscape(alert.text), ...slotLines].filter(Boolean).join('\n'), SLACK_SECTION_CHARS);
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(alert.title, SLACK_HEADER_CHARS) } }];
  if (body) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: body } });
  if (alert.fields?.length) {
    blocks.push({
      type: 'section',
      // Slack allows 10 fields of 2000 chars.
      fields: alert.fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: truncate(`*${slackEscape(f.name)}*\n${slackEscape(f.value)}`, 1900) })),
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${footerText(alert)} · ${alert.severity} · ${alert.at}`) }] });
  const text = truncate(`${icon} ${slackEscape(alert.title)}${alert.text ? ` — ${slackEscape(alert.text.split('\n')[0] ?? '')}` : ''}`, SLACK_HEADER_CHARS * 2);
  return { text, blocks };
}

// ---------------------------------------------------------------- email

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const htmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function renderEmail(alert: Alert): EmailContent {
  const subject = truncate(
    `[campus-sync ${alert.instance}] ${alert.severity === 'info' ? '' : `${alert.severity.toUpperCase()}: `}${alert.title}`.replace(/[\r\n]+/g, ' '),
    200,
  );
  const slots = alert.slots ?? [];
  const textParts = [alert.text];
  if (slots.length)
    textParts.push(slots.map((s) => `- ${formatStart(s.start, alert.locale)}${labelPart(s.label)}${s.bookingUrl ? ` ${s.bookingUrl}` : ''}`).join('\n'));
  if (alert.fields?.length) textParts.push(alert.fields.map((f) => `${f.name}: ${f.value}`).join('\n'));
  if (alert.url) textParts.push(alert.url);
  textParts.push(`-- \n${footerText(alert)} · ${alert.kind} · ${alert.at}`);
  const htmlParts = [`<h2>${htmlEscape(alert.title)}</h2>`, `<p>${htmlEscape(alert.text).replace(/\n/g, '<br>')}</p>`];
  if (slots.length) {
    const items = slots.map((s) => {
      const link = isHttpUrl(s.bookingUrl) ? ` <a href="${htmlEscape(s.bookingUrl)}">${bookWord(alert.locale)}</a>` : '';
      return `<li><b>${htmlEscape(formatStart(s.start, alert.locale))}</b>${htmlEscape(labelPart(s.label))}${link}</li>`;
    });
    htmlParts.push(`<ul>${items.join('')}</ul>`);
  }
  if (alert.fields?.length) {
    htmlParts.push(`<table>${alert.fields.map((f) => `<tr><th align="left">${htmlEscape(f.name)}</th><td>${htmlEscape(f.value)}</td></tr>`).join('')}</table>`);
  }
  if (isHttpUrl(alert.url)) htmlParts.push(`<p><a href="${htmlEscape(alert.url)}">${htmlEscape(alert.url)}</a></p>`);
  htmlParts.push(`<p style="color:#888">${htmlEscape(`${footerText(alert)} · ${alert.kind} · ${alert.at}`)}</p>`);
  return { subject, text: textParts.filter(Boolean).join('\n\n'), html: htmlParts.join('\n') };
}

// ---------------------------------------------------------------- JSON webhook (Apprise's json:// shape)

export interface JsonWebhookPayload {
  version: '1.0';
  title: string;
  message: string;
  type: 'info' | 'success' | 'warning' | 'failure';
}

export function renderJson(alert: Alert): JsonWebhookPayload {
  const type =
    alert.severity === 'critical'
      ? 'failure'
      : alert.severity === 'warning'
        ? 'warning'
        : alert.kind.endsWith('.recovered') || alert.kind === 'sync.done'
          ? 'success'
          : 'info';
  const lines = [alert.text];
  for (const s of alert.slots ?? []) lines.push(`- ${formatStart(s.start, alert.locale)}${labelPart(s.label)}${s.bookingUrl ? ` ${s.bookingUrl}` : ''}`);
  for (const f of alert.fields ?? []) lines.push(`${f.name}: ${f.value}`);
  return { version: '1.0', title: alert.title, message: lines.filter(Boolean).join('\n'), type };
}
