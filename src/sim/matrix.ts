/**
 * A Matrix homeserver's few client-server API v3 endpoints a notifier needs (spec.matrix.org/v1.11/
 * client-server-api): POST /_matrix/client/v3/login (m.login.password, answers access_token; 403 M_FORBIDDEN
 * for a wrong password), POST /join/{roomIdOrAlias} (answers room_id; 404 M_NOT_FOUND for an unknown alias),
 * PUT /rooms/{roomId}/send/m.room.message/{txnId} (answers event_id; the same txnId again is the same event:
 * "transaction identifiers"), 401 M_UNKNOWN_TOKEN for a bad token, and 429 M_LIMIT_EXCEEDED with
 * retry_after_ms ("Rate limiting"). Plus a t2bot.io-style webhook: POST /api/v1/matrix/hook/{id}.
 */
import { randomBytes } from 'node:crypto';
import { startPushSim, type PushSim } from './push-common.js';

export interface MatrixMessage {
  roomId: string;
  txnId: string;
  user: string;
  content: Record<string, unknown>;
}

export type MatrixSim = PushSim<MatrixMessage> & {
  /** `#alias:server` → room id. */
  createRoom(alias: string): string;
  addUser(user: string, password: string): void;
  addToken(user: string, token: string): void;
  hooks(): { id: string; body: unknown }[];
  createHook(): string;
  rateLimitNext(n: number, retryAfterMs: number): void;
};

const err = (status: number, errcode: string, error: string, extra: Record<string, unknown> = {}) => ({ status, json: { errcode, error, ...extra } });

export async function startMatrixSim(): Promise<MatrixSim> {
  const rooms = new Map<string, string>();
  const passwords = new Map<string, string>();
  const tokens = new Map<string, string>();
  const txns = new Map<string, string>();
  const hookIds = new Set<string>();
  const hookBodies: { id: string; body: unknown }[] = [];
  const sim = await startPushSim<MatrixMessage>((c, store) => {
    const hook = /^\/api\/v1\/matrix\/hook\/([^/]+)$/.exec(c.path);
    if (hook) {
      if (!hookIds.has(decodeURIComponent(hook[1] as string))) return err(404, 'M_NOT_FOUND', 'Unknown webhook');
      hookBodies.push({ id: decodeURIComponent(hook[1] as string), body: c.body });
      return { status: 200, json: {} };
    }
    const api = '/_matrix/client/v3';
    if (c.method === 'POST' && c.path === `${api}/login`) {
      const b = (c.body ?? {}) as { type?: string; identifier?: { user?: string }; password?: string };
      const user = b.identifier?.user ?? '';
      if (b.type !== 'm.login.password' || passwords.get(user) !== b.password) return err(403, 'M_FORBIDDEN', 'Invalid username or password');
      const token = `syt_${randomBytes(8).toString('hex')}`;
      tokens.set(token, user);
      return { status: 200, json: { access_token: token, user_id: `@${user}:localhost`, device_id: 'SIM' } };
    }
    const user = tokens.get((c.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!user) return err(401, 'M_UNKNOWN_TOKEN', 'Invalid access token passed.');
    const join = new RegExp(`^${api}/join/([^/]+)$`).exec(c.path);
    if (c.method === 'POST' && join) {
      const target = decodeURIComponent(join[1] as string);
      const roomId = target.startsWith('!') ? ([...rooms.values()].includes(target) ? target : undefined) : rooms.get(target);
      if (!roomId) return err(404, 'M_NOT_FOUND', 'Room alias not found');
      return { status: 200, json: { room_id: roomId } };
    }
    const send = new RegExp(`^${api}/rooms/([^/]+)/send/m\\.room\\.message/([^/]+)$`).exec(c.path);
    if (c.method === 'PUT' && send) {
      const roomId = decodeURIComponent(send[1] as string);
      const txnId = decodeURIComponent(send[2] as string);
      if (![...rooms.values()].includes(roomId)) return err(403, 'M_FORBIDDEN', 'User not in room');
      const key = `${user} ${roomId} ${txnId}`;
      const known = txns.get(key);
      if (known) return { status: 200, json: { event_id: known } };
      const eventId = `$${randomBytes(8).toString('hex')}`;
      txns.set(key, eventId);
      store({ roomId, txnId, user, content: (c.body ?? {}) as Record<string, unknown> });
      return { status: 200, json: { event_id: eventId } };
    }
    return err(404, 'M_UNRECOGNIZED', 'Unrecognized request');
  });
  return {
    ...sim,
    createRoom: (alias) => {
      const id = `!${randomBytes(6).toString('hex')}:localhost`;
      rooms.set(alias, id);
      return id;
    },
    addUser: (u, p) => passwords.set(u, p),
    addToken: (u, t) => tokens.set(t, u),
    hooks: () => [...hookBodies],
    createHook: () => {
      const id = randomBytes(8).toString('hex');
      hookIds.add(id);
      return id;
    },
    rateLimitNext: (n, ms) => sim.inject(n, err(429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', { retry_after_ms: ms })),
  };
}
