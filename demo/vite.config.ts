import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const demo = import.meta.dirname;
const repo = resolve(demo, '..');

/**
 * The demo's own config. `vite demo` (the root `npm run demo`) loads it, because Vite looks for
 * its config file in the root directory it is given, never in the current directory: the
 * library's `vite.config.ts` at the repository root is not read for the demo.
 */
export default defineConfig({
  root: demo,
  // Relative, so the static build works from any folder of any static server.
  base: './',
  publicDir: resolve(demo, 'public'),
  server: {
    // The demo imports the library from ../src.
    fs: { allow: [repo] },
    // `npm run demo -- --server` (scripts/demo.mjs): the API is the Node companion, same origin.
    proxy: process.env.NOSTALE_DEMO_BACKEND ? { '/api/': { target: process.env.NOSTALE_DEMO_BACKEND } } : undefined,
  },
  build: {
    outDir: resolve(demo, 'dist'),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // MSW and FullCalendar make the demo's one chunk large; it is a demo, not what nostale ships.
    chunkSizeWarningLimit: 1000,
  },
});
