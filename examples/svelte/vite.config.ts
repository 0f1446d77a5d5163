import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [svelte()],
  build: { chunkSizeWarningLimit: 1024 }, // sip.js alone is about 400 kB minified
});
