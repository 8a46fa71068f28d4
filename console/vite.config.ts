import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/** Where `profileflow serve` answers during `npm run console:dev` (Vite's dev server proxies to it). */
const service = process.env.PROFILEFLOW_CONSOLE_TARGET ?? 'http://127.0.0.1:4599';

/**
 * The web console: built by `npm run build` into dist/console, served by src/server/console-routes.ts
 * under /_profileflow/console/. Everything is bundled: no CDN, no web fonts, so it works offline.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/_profileflow/console/',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: {
      '/domains': service,
      '/_profileflow/connector-profiles': service,
      '/_profileflow/events': service,
      '/_profileflow/health': service,
    },
  },
});
