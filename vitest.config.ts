import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The example apps in Chromium run on their own afterwards (`npm run test:e2e`): beside the other suites they
    // starve them of CPU on two cores.
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration files each start their own Kamailio on free ports; two cores, so two at a time.
    maxWorkers: 2,
  },
});
