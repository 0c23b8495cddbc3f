import { IANAZone } from 'luxon';
import { z } from 'zod';
import { ALERT_KINDS, SEVERITIES } from './alert-kinds.js';
import { schemaMessage } from './messages.js';

/** A local time of day, 24 h (quiet hours, the timetable digest). */
export const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export const httpUrl = z.url({ protocol: /^https?$/, error: schemaMessage('notify.httpUrlShort') });

export const quietHoursSchema = z
  .strictObject({
    from: z.string().regex(HHMM, schemaMessage('notify.hhmm')),
    to: z.string().regex(HHMM, schemaMessage('notify.hhmm')),
    /** Defaults to the instance's time zone (given to the outbox). */
    timezone: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), schemaMessage('notify.timezone'))
      .optional(),
  })
  .refine((q) => q.from !== q.to, { message: schemaMessage('notify.quietDiffer') });

export const common = {
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, schemaMessage('notify.channelName')),
  /** Which alert kinds this channel gets; default every kind except 'sync.done' (routine). */
  events: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
  minSeverity: z.enum(SEVERITIES).optional(),
  quietHours: quietHoursSchema.optional(),
};
