/**
 * What the demo prints as it happens, read from the simulators' own records: the events each student's
 * ECAL calendar holds, and the messages the Discord simulator received. Pure functions of those records,
 * so the lines are tested without a running world.
 */
import type { DiscordSimMessage, EcalSimEvent } from '../sim/index.js';

export interface EcalCalendar {
  /** The instance (student) whose calendar it is. */
  name: string;
  calendarId: string;
}

/**
 * Reads ECAL's events on every call and returns one line per calendar whose events changed and have
 * since settled (a first sync lands in several polls; one line for it reads better than five).
 */
export function createEcalReporter(calendars: readonly EcalCalendar[]): (events: readonly EcalSimEvent[], nowWall: string) => string[] {
  const shown = new Map<string, Map<string, string>>(calendars.map((c) => [c.calendarId, new Map()]));
  const lastSeen = new Map<string, string>();
  return (events, nowWall) => {
    const lines: string[] = [];
    for (const cal of calendars) {
      const mine = events.filter((e) => e.calendarId === cal.calendarId);
      const now = new Map(mine.map((e) => [e.id, JSON.stringify(e)]));
      const signature = [...now.values()].sort().join('\n');
      const settled = lastSeen.get(cal.calendarId) === signature;
      lastSeen.set(cal.calendarId, signature);
      const before = shown.get(cal.calendarId)!;
      if (!settled) continue;
      let created = 0;
      let updated = 0;
      for (const [id, text] of now) {
        const old = before.get(id);
        if (old === undefined) created++;
        else if (old !== text) updated++;
      }
      const deleted = [...before.keys()].filter((id) => !now.has(id)).length;
      if (created + updated + deleted === 0) continue;
      shown.set(cal.calendarId, now);
      const changes = [created && `${created} created`, updated && `${updated} updated`, deleted && `${deleted} deleted`].filter(Boolean).join(', ');
      const next = mine
        .filter((e) => `${e.startDate}T${e.startTime ?? '00:00'}` > nowWall)
        .sort((a, b) => `${a.startDate}${a.startTime}`.localeCompare(`${b.startDate}${b.startTime}`))[0];
      lines.push(
        `${cal.name}: ${mine.length} events in ECAL (${changes})` +
          (next ? `; next class ${next.startDate} ${next.startTime ?? ''} ${next.name}${next.location ? ` @ ${next.location}` : ''}` : ''),
      );
    }
    return lines;
  };
}

/** One line per message: the channel it went to, the alert's title and its first line (the slot, for a slot alert). */
export function discordLines(messages: readonly DiscordSimMessage[], channels: ReadonlyMap<string, { channel: string }>): string[] {
  return messages.map((m) => {
    const where = (m.webhookId !== undefined ? channels.get(m.webhookId)?.channel : undefined) ?? m.channelId ?? 'Discord';
    const body = (m.body ?? {}) as { content?: string; embeds?: { title?: string; description?: string }[] };
    const embed = body.embeds?.[0];
    const first = (embed?.description ?? body.content ?? '').split('\n')[0];
    return `Discord ${where} received: ${[embed?.title && `"${embed.title}"`, first].filter((t) => t).join(' ')}`;
  });
}
