import type { AxiosInstance } from 'axios';
import { makeRedactor } from '../../lib/index.js';
import type { Channel } from '../channel.js';
import { renderJson, type Alert } from '../message.js';
import { checkAnswer, createHttp, sendRequest, type HttpAnswer } from './http.js';

/**
 * Homeservers answer 429 M_LIMIT_EXCEEDED with their wait in the body (spec.matrix.org/v1.11/client-server-api/#rate-limiting;
 * checkAnswer reads it through lib/http.ts); without one, wait this much.
 */
const DEFAULT_WAIT_MS = 1_000;

export interface MatrixChannelOptions {
  name: string;
  mode: 't2bot' | 'login' | 'token';
  url: string;
  user?: string;
  password?: string;
  token?: string;
  rooms: string[];
  msgtype?: 'text' | 'notice';
  http?: AxiosInstance;
  timeoutMs?: number;
}

const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function content(alert: Alert, msgtype: 'text' | 'notice'): Record<string, string> {
  const { title, message } = renderJson(alert);
  return {
    msgtype: `m.${msgtype}`,
    body: `${title}\n${message}`.trim(),
    format: 'org.matrix.custom.html',
    formatted_body: `<h4>${html(title)}</h4>${html(message).replace(/\n/g, '<br>')}`,
  };
}

/** A room as Apprise completes it (matrix/base.py): a bare name gets `#` and the homeserver's domain. */
export function matrixRoom(room: string, homeserver: string): string {
  const domain = new URL(homeserver).hostname;
  const r = /^[#!]/.test(room) ? room : `#${room}`;
  return r.includes(':') ? r : `${r}:${domain}`;
}

function check(answer: HttpAnswer, what: string, redact: (s: string) => string): void {
  const body = (answer.json ?? {}) as { errcode?: string; error?: string };
  checkAnswer(answer, what, redact, {
    defaultRetryAfterMs: DEFAULT_WAIT_MS,
    detail: body.errcode ? `${body.errcode}${body.error ? ` ${body.error}` : ''}` : undefined,
  });
}

/**
 * A t2bot.io webhook, or the client-server API v3: log in (POST /login, m.login.password) once, join each room
 * (POST /join/{roomIdOrAlias} answers its room_id) and PUT each message with the alert's id as transaction id,
 * so a retry of a message the server already stored is not stored twice (spec: "transaction identifiers").
 */
export function createMatrixChannel(opts: MatrixChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const secrets = (...extra: (string | undefined)[]): string[] => [opts.password, opts.token, ...extra].filter((s): s is string => !!s);
  let redactor = makeRedactor(secrets());
  // The access token a login returns is a secret too: the redactor grows with it.
  const redact = (s: string): string => redactor(s);
  const base = opts.url.replace(/\/+$/, '');
  const json = { 'Content-Type': 'application/json' };
  let accessToken = opts.mode === 'token' ? opts.token : undefined;
  const roomIds = new Map<string, string>();
  const what = `Matrix "${opts.name}"`;

  const login = async (): Promise<string> => {
    if (accessToken) return accessToken;
    const body = { type: 'm.login.password', identifier: { type: 'm.id.user', user: opts.user }, password: opts.password };
    const answer = await sendRequest(
      http,
      { method: 'POST', url: `${base}/_matrix/client/v3/login`, body: JSON.stringify(body), headers: json },
      `${what} login`,
      redact,
    );
    check(answer, `${what} login`, redact);
    const token = (answer.json as { access_token?: unknown } | undefined)?.access_token;
    if (typeof token !== 'string') throw new Error(`${what} login: no access_token in the answer`);
    redactor = makeRedactor(secrets(token));
    accessToken = token;
    return token;
  };

  const join = async (room: string, token: string): Promise<string> => {
    const known = roomIds.get(room);
    if (known) return known;
    const target = matrixRoom(room, base);
    const url = `${base}/_matrix/client/v3/join/${encodeURIComponent(target)}`;
    const answer = await sendRequest(
      http,
      { method: 'POST', url, body: '{}', headers: { ...json, Authorization: `Bearer ${token}` } },
      `${what} join ${target}`,
      redact,
    );
    check(answer, `${what} join ${target}`, redact);
    const id = (answer.json as { room_id?: unknown } | undefined)?.room_id;
    const roomId = typeof id === 'string' ? id : target;
    roomIds.set(room, roomId);
    return roomId;
  };

  return {
    name: opts.name,
    type: 'matrix',
    async send(alert, progress) {
      const msgtype = opts.msgtype ?? 'text';
      if (opts.mode === 't2bot') {
        const { title, message } = renderJson(alert);
        const body = { text: `**${title}**\n${message}`, format: 'markdown', displayName: 'campus-sync' };
        const answer = await sendRequest(
          http,
          { method: 'POST', url: `${base}/${encodeURIComponent(opts.token ?? '')}`, body: JSON.stringify(body), headers: json },
          what,
          redact,
        );
        return check(answer, what, redact);
      }
      const token = await login();
      for (let i = progress?.done ?? 0; i < opts.rooms.length; i++) {
        const roomId = await join(opts.rooms[i] as string, token);
        const txn = encodeURIComponent(`${alert.id}-${i}`);
        const url = `${base}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`;
        const answer = await sendRequest(
          http,
          { method: 'PUT', url, body: JSON.stringify(content(alert, msgtype)), headers: { ...json, Authorization: `Bearer ${token}` } },
          `${what} room ${opts.rooms[i]}`,
          redact,
        );
        if (answer.status === 401 && opts.mode === 'login') accessToken = undefined;
        check(answer, `${what} room ${opts.rooms[i]}`, redact);
        await progress?.markDone(i + 1);
      }
    },
  };
}
