import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isValidInstanceName } from '../config/paths.js';
import * as names from './names.js';

const fileNames = Object.entries(names).filter((e): e is [string, string] => typeof e[1] === 'string');

describe('data/ names', () => {
  it('gives every file of an instance folder its own name', () => {
    const inInstance = fileNames.filter(
      ([k]) => !/^(OUTBOX_(DELIVERIES|FAILED)_DIR|OUTBOX_DISABLED_FILE|SUPERVISOR_|API_|CONTROL_|INGEST_|PROPOSALS_|INVITATIONS_)/.test(k),
    );
    const values = inInstance.map(([, v]) => v);
    expect(values.length).toBeGreaterThanOrEqual(14);
    expect(new Set(values).size).toBe(values.length);
  });

  it('puts what is not an instance under a dotted folder, which no config name can take', () => {
    for (const top of [names.SUPERVISOR_DIR, names.INGEST_DIR, names.PROPOSALS_DIR, names.INVITATIONS_DIR, names.API_OUTBOX_DIR.split(/[\\/]/)[0] as string]) {
      expect(top.startsWith('.')).toBe(true);
      expect(isValidInstanceName(top)).toBe(false);
    }
  });

  it('builds the paths callers used to join by hand', () => {
    expect(names.slotStatePath(join('d', 'alice'), 'rdv')).toBe(join('d', 'alice', 'slots', 'rdv.json'));
    expect(names.outboxPath(join('d', 'alice'))).toBe(join('d', 'alice', 'outbox'));
    expect(names.supervisorStatusPath('d')).toBe(join('d', '.supervisor', 'status.json'));
    expect(names.apiKeyPath('d')).toBe(join('d', '.supervisor', 'api-key'));
    expect(names.controlSocketPath('d')).toBe(join('d', '.supervisor', 'control.sock'));
    expect(names.instanceFile('d', 'alice', names.WORKER_STATUS_FILE)).toBe(join('d', 'alice', 'worker.json'));
    expect(names.INGEST_HEALTH_FILE).toBe(join('.ingest', 'discord.json'));
    expect(names.API_OUTBOX_DIR).toBe(join('.api', 'outbox'));
  });
});
