import { mayContact, OWNER_POLICY, type ChannelConfig, type HostPolicy } from '../config/index.js';
import { describeError, makeRedactor, translator, type Locale } from '../lib/index.js';
import { createChannel } from './channels/create.js';
import { describeChannel } from './describe.js';
import { createAlert, type Alert } from './message.js';

/**
 * One test message per channel, each result told apart: what `notify test` does, and the form's **Send test**
 * (issue 23). Under an invitee's policy a channel whose server is not a public notification service (Gotify, a
 * self-hosted ntfy, a webhook, SMTP) is refused before anything is sent.
 */

export interface ChannelTestResult {
  channel: string;
  type: string;
  ok: boolean;
  reason?: 'refused-host' | 'failed';
  /** The failure as the channel said it, secrets redacted (empty when sent). */
  detail: string;
  /** One sentence for the reader, in their language. */
  message: string;
}

/** The test alert of the form, in the reader's language. */
export function testAlert(instance: string, locale: Locale): Alert {
  const t = translator(locale);
  return createAlert({ kind: 'test', instance, title: t('checks.notify.title'), text: t('checks.notify.text', { instance }) });
}

/** The server a channel calls, as a URL the host policy can judge (https/http origin, or smtp://host:port). */
export function channelServerUrl(c: ChannelConfig): string {
  const plan = describeChannel(c);
  const host = plan.host.includes(':') && !plan.host.startsWith('[') ? `[${plan.host}]` : plan.host;
  const scheme = plan.endpoint.startsWith('smtp://') ? 'smtp' : plan.tls === 'https' ? 'https' : 'http';
  return `${scheme}://${host}:${plan.port}`;
}

export async function sendTestMessages(opts: {
  channels: readonly ChannelConfig[];
  alert: Alert;
  secrets: readonly string[];
  locale: Locale;
  policy?: HostPolicy;
}): Promise<ChannelTestResult[]> {
  const t = translator(opts.locale);
  const redact = makeRedactor([...opts.secrets]);
  const results: ChannelTestResult[] = [];
  for (const c of opts.channels) {
    const verdict = mayContact(opts.policy ?? OWNER_POLICY, channelServerUrl(c));
    if (!verdict.ok) {
      const detail = t(`checks.host.${verdict.reason}`, { host: verdict.host });
      results.push({
        channel: c.name,
        type: c.type,
        ok: false,
        reason: 'refused-host',
        detail,
        message: t('checks.notify.failed', { channel: c.name, detail }),
      });
      continue;
    }
    const channel = createChannel(c);
    try {
      await channel.send(opts.alert);
      results.push({ channel: c.name, type: c.type, ok: true, detail: '', message: t('checks.notify.sent', { channel: c.name }) });
    } catch (err) {
      // Channel errors are redacted at the source; redact again with this config's secrets to be sure.
      const detail = redact(describeError(err));
      results.push({ channel: c.name, type: c.type, ok: false, reason: 'failed', detail, message: t('checks.notify.failed', { channel: c.name, detail }) });
    } finally {
      await channel.close?.();
    }
  }
  return results;
}
