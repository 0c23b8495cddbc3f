/** Apprise URLs in a config, through the built CLI: validate refuses what is not supported; notify test --dry-run and a real send. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNtfySim, startWebhookReceiverSim, type NtfySim, type WebhookReceiverSim } from '../src/sim/index.js';
import { makeWorkspace, runCli, writeConfig, type Workspace } from './helpers.js';

describe('notify: Apprise URLs through the CLI', () => {
  let ws: Workspace;
  let hook: WebhookReceiverSim;
  let ntfy: NtfySim;
  beforeAll(async () => {
    ws = await makeWorkspace();
    hook = await startWebhookReceiverSim({ requiredHeaders: { 'x-token': 'hook-secret-77' } });
    ntfy = await startNtfySim();
    const host = (u: string) => new URL(u).host;
    await writeConfig(
      ws,
      'pia',
      [
        'moncampus:',
        '  username: pia',
        '  password: "pia-password-1"',
        'notify:',
        `  - "json://${host(hook.url)}/in?+X-Token=hook-secret-77&method=PUT"`,
        `  - "ntfy://${host(ntfy.url)}/pia-alerts?priority=high"`,
        '  - "mailto://pia:mail-pass-55@gmail.com"',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await hook?.close();
    await ntfy?.close();
  });

  it('validate names the file and the unsupported scheme or option, exit 2', async () => {
    const file = await writeConfig(
      ws,
      'bad',
      [
        'moncampus:',
        '  username: u',
        '  password: p',
        'notify:',
        '  - "pushbullet://tok"',
        '  - "discord://417429632418316298/JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjC?batch=no"',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', file], ws.env);
    expect(r.code).toBe(2);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/bad\.yml.*notify\[0\].*unsupported notification URL scheme "pushbullet:\/\/"/s);
    expect(text).toMatch(/bad\.yml.*notify\[1\].*option "batch" is not supported/s);
    expect(text).not.toContain('JHZ7lQml277CDHmQKMHI8qBe7bk2ZwO5UKjC');
  });

  it('notify test --dry-run prints what each channel would call, secrets masked, and sends nothing', async () => {
    const r = await runCli(['notify', 'test', 'pia', '--dry-run'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('json-1: JSON webhook');
    // The webhook's URL is one of the config's secrets (a path may hold a token): its server is shown, not the URL.
    expect(r.stdout).toMatch(/json-1: JSON webhook\n\s+call\s+PUT \[REDACTED\]\n\s+server\s+127\.0\.0\.1:\d+, http \(no TLS\)/);
    expect(r.stdout).toMatch(/header\s+X-Token: ho\*\*\*\*/);
    expect(r.stdout).toMatch(
      /mailto-3: Email \(SMTP\)\n\s+call\s+smtp:\/\/smtp\.gmail\.com:587\n\s+server\s+smtp\.gmail\.com:587, starttls \(required\)\n\s+login\s+pia@gmail\.com/,
    );
    expect(r.stdout).toMatch(/targets\s+topic pia-alerts/);
    expect(r.stdout).not.toMatch(/hook-secret-77|mail-pass-55/);
    expect(hook.requests).toHaveLength(0);
    expect(ntfy.requests).toHaveLength(0);
  });

  it('notify test sends through each channel and prints each result', async () => {
    const r = await runCli(['notify', 'test', 'pia', '--channel', 'json-1'], ws.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/json-1 \(webhook\): sent/);
    expect(hook.messages()[0]).toMatchObject({ method: 'PUT', headers: { 'x-token': 'hook-secret-77' } });
    const n = await runCli(['notify', 'test', 'pia', '--channel', 'ntfy-2', '--json'], ws.env);
    expect(n.code, n.stderr).toBe(0);
    expect(JSON.parse(n.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ channel: 'ntfy-2', ok: true });
    expect(ntfy.messages()[0]).toMatchObject({ topic: 'pia-alerts', priority: 4 });
  });
});
