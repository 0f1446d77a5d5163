import { defineConfig } from 'vitest/config';

// The example apps end to end (test/e2e): built by `npm run test:examples`, run by `npm run test:e2e` (npm test runs
// both). One file, its scenarios in sequence: they share one Kamailio that one of them kills and restarts.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
