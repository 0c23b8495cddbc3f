import { defineConfig } from 'vitest/config';

/**
 * Test files that need the machine's one Docker engine: they init and leave a Swarm, start Compose projects, kill
 * containers on purpose. They run one at a time within each of two lanes, and the lanes side by side (issue 19:
 * the exclusive files were the critical path).
 * What lets two lanes share the engine: every file below is scoped (its own CAMPUS_SYNC_SCOPE / label, Compose
 * project, supervisor and container names, and free ports); none prunes, lists containers or networks without
 * its own filter, or restarts the daemon (docker-reconnect.test.ts stands a proxy in for it). Only the Swarm
 * files change the engine's mode (`swarm init` / `leave`) and list services: they stay in one lane, and nothing
 * in the other lane uses or looks at Swarm. `npm test` (scripts/run-tests.mjs) runs each lane in a vitest process
 * of its own, at the same time as `shared`, whose files never touch the engine; one `npx vitest run` runs the
 * groups in order (shared, then each lane).
 */
/** The Swarm lane, about as long as the other (measured: see README "Tests"). */
export const EXCLUSIVE_SWARM_LANE = [
  'test/swarm*.test.ts',
  'src/supervisor/swarm-runtime.test.ts',
  'test/docker-supervisor.test.ts',
  'test/docker-compose.test.ts',
  'test/compose-flavours.test.ts',
  'src/demo/docker-check.test.ts',
];
/**
 * The other lane: pi-path (its two Compose legs side by side) and the rest of the engine's files. test/chaos.test.ts
 * (run-once killed under faults, no engine) was here for quiet, but the lanes run beside `shared` (4 files at once
 * either way) and the lanes were then the run's longest path: it runs in `shared` since 2026-12-07 (issue 19).
 */
export const EXCLUSIVE_OTHER_LANE = [
  'test/pi-path.test.ts',
  // No engine: here for balance (CI 2026-12-07, the lanes ended ~30 s before `shared` once it no longer waited for
  // the image; this file took 26 s there).
  'test/cli-config.test.ts',
  'test/docker-runtime.test.ts',
  'test/docker-reconnect.test.ts',
  'test/chaos-container.test.ts',
  'test/resolved-config.test.ts',
  'test/docker-configs-mount.test.ts',
  'src/supervisor/docker-runtime.test.ts',
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
    // Transformed modules kept on disk, keyed by their contents, for the next worker and the next run (vitest's
    // experimental cache; `npx vitest --clearCache` empties it): beside vitest's durations, which .ci/run carries
    // from one run to the next (scripts/ci-cache.sh). Transform 7.5 -> 1.5 s on src/api, src/store, src/worker.
    experimental: { fsModuleCache: true, fsModuleCachePath: 'node_modules/.vite/vitest/modules' },
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...EXCLUSIVE_SWARM_LANE, ...EXCLUSIVE_OTHER_LANE],
          maxWorkers: SHARED_WORKERS,
          // Each worker keeps its module cache from one file to the next: with a fresh one per file, importing the
          // same modules again was 314 s of the 699 s CI spent here (2026-12-07); kept, 50-60 s of 573-592 s. What a
          // file changes it puts back (env stubs below, fake timers in an afterEach, process.env saved and restored),
          // so no file depends on running first: the whole project passed this way alone and in two CI runs.
          isolate: false,
          unstubEnvs: true,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'exclusive',
          include: EXCLUSIVE_SWARM_LANE,
          maxWorkers: 1,
          // As `shared`: the module cache kept from one file to the next (importing it again was 52 s of this
          // process's 546 s in CI, 2026-12-07, for 14 files). No file of the lanes changes process.env, mocks a
          // module or installs a process handler.
          isolate: false,
          unstubEnvs: true,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'exclusive-2',
          include: EXCLUSIVE_OTHER_LANE,
          maxWorkers: 1,
          isolate: false,
          unstubEnvs: true,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
