import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SUPERVISOR_COMPOSE } from './compose-files.js';

describe('the checked-in compose.yml', () => {
  it('is what `campus-sync generate-compose` writes', async () => {
    const checkedIn = await readFile(resolve(import.meta.dirname, '../../compose.yml'), 'utf8');
    expect(checkedIn).toBe(SUPERVISOR_COMPOSE);
  });

  it('mounts the socket and the checkout relative to the file (no ${PWD}: sudo drops it), and supervises with Docker', () => {
    const doc = parse(SUPERVISOR_COMPOSE) as { services: { supervisor: { volumes: string[]; command: string[]; environment: Record<string, string> } } };
    const s = doc.services.supervisor;
    expect(SUPERVISOR_COMPOSE).not.toContain('PWD}/');
    expect(s.volumes).toContain('/var/run/docker.sock:/var/run/docker.sock');
    // configs/ writable: the API beside the supervisor is its one writer (issue 23, item 5; README "One writer").
    expect(s.volumes).toEqual(expect.arrayContaining(['./configs:/config', './data:/data']));
    expect(s.environment).toMatchObject({ CAMPUS_SYNC_CONFIG_DIR: '/config', CAMPUS_SYNC_DATA_DIR: '/data' });
    expect(s.command).toEqual(['supervise', '--runtime', 'docker']);
  });
});
