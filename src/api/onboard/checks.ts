import type { ChannelConfig, HostPolicy } from '../../config/index.js';
import type { Locale } from '../../lib/index.js';

/**
 * The form's live checks (issue 23). api/ may not import agenda/, ecal/ or notify/ (DESIGN's table), so the CLI's
 * composition root implements this (src/cli/onboard-checks.ts) with the worker's own clients and hands it to the
 * extension, as it does the dashboard's buttons. Every call carries the caller's host policy: an invitee's
 * reaches only the hosts of config/invitee-hosts.ts, and a refusal comes back as `reason: 'refused-host'`.
 */

export interface CheckAnswer {
  ok: boolean;
  /** Machine-readable: `wrong-password`, `refused-host`, `unreachable`… (English codes). */
  reason?: string;
  /** One sentence for the reader, in their language, secrets removed. */
  message: string;
}

export interface MonCampusCheckInput {
  url: string;
  username: string;
  password: string;
  locale: Locale;
  policy: HostPolicy;
}

export interface EcalCheckInput {
  url: string;
  apiKey: string;
  apiSecret: string;
  locale: Locale;
  policy: HostPolicy;
}

export interface NotifyCheckInput {
  /** The channels as the config Save would write makes them (parsed by the loader). */
  channels: readonly ChannelConfig[];
  secrets: readonly string[];
  instance: string;
  locale: Locale;
  policy: HostPolicy;
}

export interface OnboardChecks {
  /** A real login and a fetch of the coming two weeks through the worker's client. */
  moncampus(input: MonCampusCheckInput): Promise<CheckAnswer>;
  /** The schedules these keys can write, to pick one. */
  ecal(input: EcalCheckInput): Promise<CheckAnswer & { calendars: { id: string; name: string }[] }>;
  /** One test message per channel; `details` one line each. */
  notify(input: NotifyCheckInput): Promise<CheckAnswer & { details: string[] }>;
}
