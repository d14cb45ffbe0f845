/**
 * The dashboard's build (run by `npm ci` through the root postinstall): web/ -> web/dist, served by the
 * service at `/`. Every asset is bundled locally (no CDN); each page is its own chunk, so a page only
 * loads the libraries it draws with (Vega for charts, NiiVue for the brain viewer).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // A JSON list of every page's chunks and their imports (test/browser/weight.test.ts and the report read it).
    manifest: true,
  },
});
