/**
 * Gateway dispatches → what to do to the store (pure). Only the configured channels count, and, when
 * threads are followed, threads whose parent is one of them (learned from GUILD_CREATE's `threads`,
 * THREAD_CREATE/UPDATE/DELETE and THREAD_LIST_SYNC, discord-api-docs "Threads").
 */
import type { GatewayDispatch } from './gateway.js';

export type LiveOp =
  /** MESSAGE_CREATE: a whole message object. */
  | { kind: 'create'; guildId: string; channelId: string; raw: Record<string, unknown> }
  /** MESSAGE_UPDATE: possibly partial (only id and channel_id are sure); only what came is changed. */
  | { kind: 'update'; guildId: string; channelId: string; raw: Record<string, unknown> }
  /** MESSAGE_DELETE (one id) and MESSAGE_DELETE_BULK (several). */
  | { kind: 'delete'; guildId: string; channelId: string; ids: string[] };

export interface LiveScope {
  /** Configured channel id → its guild. */
  channels: ReadonlyMap<string, string>;
  /** Follow threads of the configured channels. */
  threads: boolean;
  /** Thread id → parent channel id, maintained by `learnThreads`. */
  threadParents: Map<string, string>;
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Thread channel types: 10 announcement thread, 11 public, 12 private. */
const THREAD_TYPES = new Set([10, 11, 12]);

function learnThread(scope: LiveScope, raw: unknown): void {
  const t = obj(raw);
  const id = str(t?.id);
  const parent = str(t?.parent_id);
  if (id === undefined || parent === undefined || !THREAD_TYPES.has(t?.type as number)) return;
  if (scope.channels.has(parent)) scope.threadParents.set(id, parent);
}

/** Keeps the thread map current from the events that describe threads. */
export function learnThreads(scope: LiveScope, e: GatewayDispatch): void {
  if (!scope.threads) return;
  const d = obj(e.d);
  if (!d) return;
  if (e.t === 'GUILD_CREATE' || e.t === 'THREAD_LIST_SYNC') for (const t of Array.isArray(d.threads) ? d.threads : []) learnThread(scope, t);
  else if (e.t === 'THREAD_CREATE' || e.t === 'THREAD_UPDATE') learnThread(scope, d);
  else if (e.t === 'THREAD_DELETE') {
    const id = str(d.id);
    if (id !== undefined) scope.threadParents.delete(id);
  }
}

/** The guild of a channel we ingest (configured, or a followed thread of one), undefined otherwise. */
export function scopeGuild(scope: LiveScope, channelId: string | undefined, payloadGuild: string | undefined): string | undefined {
  if (channelId === undefined) return undefined;
  const configured = scope.channels.get(channelId);
  if (configured !== undefined) return configured;
  const parent = scope.threads ? scope.threadParents.get(channelId) : undefined;
  return parent === undefined ? undefined : (payloadGuild ?? scope.channels.get(parent));
}

/** The store operation a dispatch asks for, or null (another channel, another event). */
export function liveOpOf(scope: LiveScope, e: GatewayDispatch): LiveOp | null {
  const d = obj(e.d);
  if (!d) return null;
  const channelId = str(d.channel_id);
  const guildId = scopeGuild(scope, channelId, str(d.guild_id));
  if (guildId === undefined || channelId === undefined) return null;
  switch (e.t) {
    case 'MESSAGE_CREATE':
      return { kind: 'create', guildId, channelId, raw: d };
    case 'MESSAGE_UPDATE':
      return str(d.id) === undefined ? null : { kind: 'update', guildId, channelId, raw: d };
    case 'MESSAGE_DELETE': {
      const id = str(d.id);
      return id === undefined ? null : { kind: 'delete', guildId, channelId, ids: [id] };
    }
    case 'MESSAGE_DELETE_BULK': {
      const ids = (Array.isArray(d.ids) ? d.ids : []).filter((x): x is string => typeof x === 'string');
      return ids.length === 0 ? null : { kind: 'delete', guildId, channelId, ids };
    }
    default:
      return null;
  }
}
