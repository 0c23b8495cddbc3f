import type { AxiosInstance } from 'axios';
import { makeRedactor } from '../../lib/index.js';
import type { Channel } from '../channel.js';
import { renderJson, type Alert } from '../message.js';
import { checkAnswer, createHttp, sendRequest } from './http.js';

export type WebhookFormat = 'json' | 'form' | 'xml';

export interface WebhookChannelOptions {
  name: string;
  url: string;
  format?: WebhookFormat;
  method?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  /** Apprise's `:` items: a standard field renamed (empty: removed), or a field added. */
  payload?: Record<string, string>;
  http?: AxiosInstance;
  timeoutMs?: number;
}

/**
 * The standard fields of each kind: custom_json.py (version 1.0, attachments), custom_form.py (version 1.0),
 * custom_xml.py (version 1.1, a SOAP envelope). Apprise's notify types: info, success, warning, failure.
 */
function standardFields(alert: Alert, format: WebhookFormat): [string, unknown][] {
  const { title, message, type } = renderJson(alert);
  const fields: [string, unknown][] = [
    ['version', format === 'xml' ? '1.1' : '1.0'],
    ['title', title],
    ['message', message],
    ['type', type],
  ];
  if (format === 'json') fields.splice(3, 0, ['attachments', []]);
  return fields;
}

/** custom_*.py: `:key=value` renames a standard field to `value` (empty removes it); any other key is added. */
export function webhookPayload(alert: Alert, format: WebhookFormat, mapping: Record<string, string> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of standardFields(alert, format)) {
    const to = key in mapping ? mapping[key] : key;
    if (to) out[to] = value;
  }
  const standard = new Set(standardFields(alert, format).map(([k]) => k));
  for (const [key, value] of Object.entries(mapping)) {
    if (standard.has(key)) continue;
    // custom_xml.py keeps only characters an element name may hold.
    const name = format === 'xml' ? key.replace(/[^A-Za-z0-9_-]/g, '') : key;
    if (name) out[name] = value;
  }
  return out;
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function xmlBody(payload: Record<string, unknown>): string {
  const core = Object.entries(payload)
    .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
    .join('');
  // The envelope of custom_xml.py.
  return [
    "<?xml version='1.0' encoding='utf-8'?>",
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    `<soapenv:Body><Notification>${core}</Notification></soapenv:Body>`,
    '</soapenv:Envelope>',
  ].join('\n');
}

/** A JSON, form or XML webhook in Apprise's json://, form://, xml:// shapes; any 2xx is success. */
export function createWebhookChannel(opts: WebhookChannelOptions): Channel {
  const http = opts.http ?? createHttp(opts.timeoutMs);
  const format = opts.format ?? 'json';
  const method = (opts.method ?? 'POST').toUpperCase();
  const target = new URL(opts.url);
  const secrets = [opts.url, ...Object.values(opts.headers ?? {}).filter((v) => v.length >= 8)];
  const headers: Record<string, string> = { ...opts.headers };
  if (target.username) {
    const user = decodeURIComponent(target.username);
    const password = decodeURIComponent(target.password);
    if (password) secrets.push(password, target.password);
    // Apprise sends URL credentials as HTTP basic auth (requests' auth=(user, password)).
    headers.Authorization ??= `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    target.username = '';
    target.password = '';
  }
  const redact = makeRedactor(secrets);
  const what = `${format} webhook "${opts.name}"`;
  return {
    name: opts.name,
    type: 'webhook',
    async send(alert) {
      const payload = webhookPayload(alert, format, opts.payload);
      let body: string | undefined;
      let params = opts.params;
      if (format === 'json') {
        body = JSON.stringify(payload);
        headers['Content-Type'] ??= 'application/json';
      } else if (format === 'xml') {
        body = xmlBody(payload);
        headers['Content-Type'] ??= 'application/xml';
      } else if (method === 'GET') {
        // custom_form.py: a GET carries the form as query parameters.
        params = { ...Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, String(v)])), ...opts.params };
      } else {
        body = new URLSearchParams(Object.entries(payload).map(([k, v]) => [k, String(v)])).toString();
        headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
      }
      const answer = await sendRequest(http, { method, url: target.toString(), body, headers, params }, what, redact);
      checkAnswer(answer, what, redact);
    },
  };
}
