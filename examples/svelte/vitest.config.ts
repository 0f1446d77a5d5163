import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config';

// The app's own Vite config (the Svelte plugin), in a DOM without a browser: `npm test` runs src/**/*.test.ts.
// Svelte resolves to its server build unless told it runs in a browser: `mount` needs the browser one.
export default mergeConfig(
  viteConfig,
  defineConfig({
    resolve: { conditions: ['browser'] },
    test: { environment: 'happy-dom', include: ['src/**/*.test.ts'] },
  }),
);
