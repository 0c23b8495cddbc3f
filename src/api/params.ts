import { z } from 'zod';

/** A parameter the client must fix: answered 400 `{ error, parameter }`. */
export class ParamError extends Error {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super(`${parameter}: ${message}`);
    this.name = 'ParamError';
    this.parameter = parameter;
  }
}

export const DEFAULT_LIMIT = 100;
/** The seed's bound: a page of 500 rows stays well under a megabyte and one query's time. */
export const MAX_LIMIT = 500;
/** Snowflakes are unsigned 64-bit: at most 20 decimal digits. */
const SNOWFLAKE = /^\d{1,20}$/;
/** Longer than any cursor the store hands out (~200 characters); the store checks the content. */
const MAX_CURSOR_LENGTH = 1024;

/**
 * `+01:00` typed into a URL unencoded arrives as ` 01:00` (a `+` in a query string is a space): put it back,
 * rather than make every hand-written curl fail on the offset the docs ask for.
 */
const restorePlus = (v: string): string => v.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1');

export const isoTime = z
  .string()
  .transform(restorePlus)
  .pipe(z.iso.datetime({ offset: true, error: 'expected an ISO-8601 time with an offset or Z, e.g. 2025-01-31T08:00:00+01:00' }));

export const limitSchema = z
  .string()
  .regex(/^\d{1,6}$/, `expected a whole number from 1 to ${MAX_LIMIT}`)
  .transform(Number)
  .pipe(z.number().int().min(1, `expected a whole number from 1 to ${MAX_LIMIT}`).max(MAX_LIMIT, `expected a whole number from 1 to ${MAX_LIMIT}`));

export const cursorSchema = z.string().min(1, 'empty: leave it out to start from the newest').max(MAX_CURSOR_LENGTH, 'not a cursor from this listing');

/** FastAPI's spellings (the seed's API), so its clients keep working. */
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);
export const boolSchema = z
  .string()
  .transform((v) => v.toLowerCase())
  .refine((v) => TRUE.has(v) || FALSE.has(v), 'expected true or false')
  .transform((v) => TRUE.has(v));

export const snowflake = z.string().regex(SNOWFLAKE, 'expected a Discord id (digits)');

/** One value of a parameter; a repeated one is ambiguous and refused rather than guessed. */
function one(query: URLSearchParams, name: string): string | undefined {
  const all = query.getAll(name);
  if (all.length > 1) throw new ParamError(name, 'given more than once');
  return all[0];
}

function parse<T>(query: URLSearchParams, name: string, schema: z.ZodType<T, string>, required = false): T | undefined {
  const raw = one(query, name);
  if (raw === undefined) {
    if (required) throw new ParamError(name, 'required');
    return undefined;
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw new ParamError(name, result.error.issues[0]?.message ?? 'invalid');
  return result.data;
}

export interface ListParams {
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** `from`, `to`, `limit`, `cursor` of every listing. Values are never echoed back (they are the client's own). */
export function parseListParams(query: URLSearchParams): ListParams {
  const from = parse(query, 'from', isoTime);
  const to = parse(query, 'to', isoTime);
  const limit = parse(query, 'limit', limitSchema) ?? DEFAULT_LIMIT;
  const cursor = parse(query, 'cursor', cursorSchema);
  if (from !== undefined && to !== undefined && Date.parse(from) > Date.parse(to)) {
    throw new ParamError('to', 'is before from');
  }
  return { limit, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(cursor !== undefined ? { cursor } : {}) };
}

export interface MessageParams extends ListParams {
  guildId: string;
  channelId: string;
  includeDeleted: boolean;
}

/** The seed's `/v1/messages`: guild_id and channel_id required, include_deleted false by default. */
export function parseMessageParams(query: URLSearchParams): MessageParams {
  const guildId = parse(query, 'guild_id', snowflake, true) as string;
  const channelId = parse(query, 'channel_id', snowflake, true) as string;
  const includeDeleted = parse(query, 'include_deleted', boolSchema) ?? false;
  return { ...parseListParams(query), guildId, channelId, includeDeleted };
}

export function parseInstanceFilter(query: URLSearchParams, isValidName: (name: string) => boolean): string | undefined {
  const instance = one(query, 'instance');
  if (instance === undefined) return undefined;
  if (!isValidName(instance)) throw new ParamError('instance', 'not an instance name');
  return instance;
}

export function isSnowflake(value: string): boolean {
  return SNOWFLAKE.test(value);
}

/**
 * The query of every listing as one object, for the OpenAPI document: the same field schemas `parseListParams`
 * validates with, so the documentation cannot drift from the checks.
 */
export const listQuerySchema = z.object({
  from: isoTime.optional().meta({ description: 'Only rows at or after this time (ISO-8601 with an offset or Z).' }),
  to: isoTime.optional().meta({ description: 'Only rows before this time (ISO-8601 with an offset or Z).' }),
  limit: limitSchema.optional().meta({ description: `Rows per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}).` }),
  cursor: cursorSchema.optional().meta({ description: 'Opaque: the `next_cursor` of the previous page. Pages are stable while rows are added.' }),
});

/** `/v1/messages`' query, likewise. */
export const messageQuerySchema = listQuerySchema.extend({
  guild_id: snowflake.meta({ description: 'Discord server id.' }),
  channel_id: snowflake.meta({ description: 'Discord channel id.' }),
  cursor: cursorSchema
    .optional()
    .meta({ description: 'The `next_cursor` of the previous page, or a `message_id`: the page then starts just after (older than) that message.' }),
  include_deleted: boolSchema.optional().meta({ description: 'Include messages deleted on Discord (kept, marked `deleted`). Default false.' }),
});
