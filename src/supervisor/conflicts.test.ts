import { describe, expect, it } from 'vitest';
import { captureLogger } from './capture-logger.test-helper.js';
import { createConflictGuard } from './conflicts.js';
import type { ActualWorker, Runtime, RuntimeCapabilities } from './interface.js';

const worker = (supervisor: string): ActualWorker => ({
  name: `w-${supervisor}`,
  id: supervisor,
  configHash: 'h',
  state: 'running',
  restartCount: 0,
  supervisor,
});
const runtimeWith = (sharedEngine: boolean, liveness: Record<string, 'alive' | 'gone'>): Runtime =>
  ({
    capabilities: { sharedWorkers: true, countsRestarts: true, needsRevival: true, sharedEngine } satisfies RuntimeCapabilities,
    supervisorLiveness: async (id: string) => liveness[id] ?? 'unknown',
  }) as unknown as Runtime;

describe('conflict guard', () => {
  it('refuses while another live supervisor has workers here, says it once, and adopts once it is gone', async () => {
    const live: Record<string, 'alive' | 'gone'> = { other: 'alive' };
    const log = captureLogger();
    const guard = createConflictGuard({ runtime: runtimeWith(true, live), supervisorId: 'me', takeOver: false, logger: log.logger });
    expect(await guard.check([worker('me'), worker('other')])).toMatch(/another campus-sync supervisor \(other\).*--take-over/);
    expect(await guard.check([worker('me'), worker('other')])).not.toBeNull();
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    live.other = 'gone';
    expect(await guard.check([worker('other')])).toBeNull();
    expect(await guard.check([worker('other')])).toBeNull();
    expect(log.lines.filter((l) => l.message.startsWith('adopting the workers of other (no longer running)'))).toHaveLength(1);
  });

  it('an unknown supervisor (another host) is refused unless taken over', async () => {
    const refuse = createConflictGuard({ runtime: runtimeWith(true, {}), supervisorId: 'me', takeOver: false, logger: captureLogger().logger });
    expect(await refuse.check([worker('far')])).not.toBeNull();
    const log = captureLogger();
    const take = createConflictGuard({ runtime: runtimeWith(true, {}), supervisorId: 'me', takeOver: true, logger: log.logger });
    expect(await take.check([worker('far')])).toBeNull();
    expect(log.lines.map((l) => l.message)).toEqual(['adopting the workers of far (--take-over)']);
  });

  it('has nothing to say for a runtime without a shared engine, or without a supervisor id', async () => {
    expect(
      await createConflictGuard({ runtime: runtimeWith(false, {}), supervisorId: 'me', takeOver: false, logger: captureLogger().logger }).check([
        worker('far'),
      ]),
    ).toBeNull();
    expect(
      await createConflictGuard({ runtime: runtimeWith(true, {}), supervisorId: undefined, takeOver: false, logger: captureLogger().logger }).check([
        worker('far'),
      ]),
    ).toBeNull();
  });
});
