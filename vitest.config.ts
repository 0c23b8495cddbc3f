import { defineConfig } from 'vitest/config';

/**
 * Test files that need the machine's one Docker engine to themselves: they init and leave a Swarm, list and
 * remove containers by label, start Compose projects, or kill containers on purpose. They run one at a time.
 * `npm test` (scripts/run-tests.mjs) runs this project in a vitest process of its own, at the same time as
 * `shared`, whose files never touch the engine; one `npx vitest run` runs the groups in order, `shared` first
 * (issue 19: CI at least a third faster without making anything flaky).
 */
const EXCLUSIVE = [
  'test/swarm*.test.ts',
  'test/docker-*.test.ts',
  'test/pi-path.test.ts',
  'test/compose-*.test.ts',
  'test/chaos*.test.ts',
  'test/resolved-config.test.ts',
  'src/supervisor/docker-runtime.test.ts',
  'src/supervisor/swarm-runtime.test.ts',
  'src/demo/docker-check.test.ts',
];

/**
 * Vitest's default is one worker per core minus one: one on this 2-core box, so every file waited for the one
 * before. Most end-to-end files spend their time waiting on child processes, simulators and Chromium, not
 * computing, so three at a time roughly halves the wall clock without starving them (measured: see README).
 */
const SHARED_WORKERS = 3;

export default defineConfig({
  test: {
    // End-to-end tests spawn `node dist/cli.js` and real servers; give them room on a shared 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The pages' scripts and styles, bundled once per run (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: EXCLUSIVE,
          maxWorkers: SHARED_WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'exclusive',
          include: EXCLUSIVE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
