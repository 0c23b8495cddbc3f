import { checkMonCampus } from '../agenda/index.js';
import type { OnboardChecks } from '../api/onboard/index.js';
import { serviceDefaults } from '../config/index.js';
import { checkEcal } from '../ecal/index.js';
import { translator } from '../lib/index.js';
import { sendTestMessages, testAlert } from '../notify/index.js';

/**
 * The guided form's checks (issue 23), composed here because api/ may not import agenda/, ecal/ or notify/:
 * the worker's own MonCampus and ECAL clients and the channels `notify test` uses. The CAS override comes from
 * the owner's environment (CAMPUS_SYNC_CAS_URL), never from the form.
 */
export function createOnboardChecks(opts: { env?: NodeJS.ProcessEnv } = {}): OnboardChecks {
  const env = opts.env ?? process.env;
  return {
    async moncampus(input) {
      const { casUrl } = serviceDefaults(env);
      const r = await checkMonCampus({ ...input, ...(casUrl ? { casUrl } : {}) });
      return r.ok ? { ok: true, message: r.message } : { ok: false, reason: r.reason, message: r.message };
    },
    async ecal(input) {
      const r = await checkEcal(input);
      if (!r.ok) return { ok: false, reason: r.reason, message: r.message, calendars: [] };
      return { ok: true, message: r.message, calendars: r.calendars.map((c) => ({ id: c.id, name: c.name })) };
    },
    async notify(input) {
      if (input.channels.length === 0) return { ok: false, reason: 'no-channel', message: translator(input.locale)('onboard.errors.notifyEmpty'), details: [] };
      const results = await sendTestMessages({
        channels: input.channels,
        alert: testAlert(input.instance, input.locale),
        secrets: input.secrets,
        locale: input.locale,
        policy: input.policy,
      });
      const refused = results.find((r) => r.reason === 'refused-host');
      const ok = results.every((r) => r.ok);
      return {
        ok,
        ...(refused ? { reason: 'refused-host' } : ok ? {} : { reason: 'failed' }),
        message: results.map((r) => r.message).join(' · '),
        details: results.map((r) => r.message),
      };
    },
  };
}
