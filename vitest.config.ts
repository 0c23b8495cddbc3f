import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // End-to-end tests spawn `node dist/cli.js` and real servers; give them room on a shared 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The pages' scripts and styles, bundled once per run (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
  },
});
