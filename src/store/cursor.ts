import { z } from 'zod';
import { InvalidCursorError } from './errors.js';

/**
 * Keyset cursors. A cursor is the sort key of the last row of a page: (main time, tie-breaker). The next
 * page is every row strictly after it in (time DESC, tie DESC) order, so rows inserted while someone pages
 * never shift the pages: nothing is returned twice and no row that existed is skipped (an OFFSET would do both).
 * Opaque to clients (base64url JSON), and tagged with its listing so a runs cursor is refused by messages.
 */
export type CursorScope = 'runs' | 'events' | 'alerts' | 'errors' | 'messages';

/** Tie-breakers: numeric row ids, or the natural text key where rows have one (event reference, message id). */
const TIE_KIND: Record<CursorScope, 'number' | 'string'> = {
  runs: 'number',
  alerts: 'number',
  errors: 'number',
  events: 'string',
  messages: 'string',
};

export interface CursorKey {
  time: string;
  tie: number | string;
}

/** A real cursor is under 200 characters; anything far longer is not ours and not worth decoding. */
const MAX_CURSOR_LENGTH = 1024;
/** Longest text tie-breaker accepted back (references and snowflakes are far shorter). */
const MAX_TIE_LENGTH = 512;
const FORMAT_VERSION = 1;

const cursorSchema = z.object({
  v: z.literal(FORMAT_VERSION),
  s: z.enum(['runs', 'events', 'alerts', 'errors', 'messages']),
  t: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
  k: z.union([z.number().int().safe(), z.string().min(1).max(MAX_TIE_LENGTH)]),
});

export function encodeCursor(scope: CursorScope, key: CursorKey): string {
  const body: z.infer<typeof cursorSchema> = { v: FORMAT_VERSION, s: scope, t: key.time, k: key.tie };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The sort key in a cursor from `scope`'s listing; throws InvalidCursorError for anything else. */
export function decodeCursor(scope: CursorScope, cursor: string): CursorKey {
  if (typeof cursor !== 'string' || cursor.length === 0) throw new InvalidCursorError('empty');
  if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError('too long');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('not base64url');
  const bytes = Buffer.from(cursor, 'base64url');
  // Node decodes leniently (drops stray bits); a cursor we issued round-trips exactly.
  if (bytes.toString('base64url') !== cursor) throw new InvalidCursorError('not base64url');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidCursorError('not JSON inside');
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw new InvalidCursorError('unexpected content');
  const { s, t, k } = parsed.data;
  if (s !== scope) throw new InvalidCursorError(`it belongs to the ${s} listing`);
  if (typeof k !== TIE_KIND[scope]) throw new InvalidCursorError('unexpected content');
  return { time: t, tie: k };
}
