import { defineConfig } from 'vite';

export default defineConfig({
  // esbuild compiles the JSX; add @vitejs/plugin-react for Fast Refresh while developing.
  esbuild: { jsx: 'automatic' },
  build: { chunkSizeWarningLimit: 1024 }, // sip.js alone is about 400 kB minified
});
