import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config';

// The app's own Vite config (JSX), in a DOM without a browser: `npm test` runs src/**/*.test.tsx.
export default mergeConfig(
  viteConfig,
  defineConfig({ test: { environment: 'happy-dom', include: ['src/**/*.test.tsx'] } }),
);
