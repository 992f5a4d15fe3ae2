import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { manglePlugin } from './scripts/mangle.mjs';
import { react18Project } from './test/react18/project.js';

const entries = {
  index: resolve(import.meta.dirname, 'src/index.ts'),
  idb: resolve(import.meta.dirname, 'src/idb.ts'),
  sync: resolve(import.meta.dirname, 'src/sync.ts'),
  sw: resolve(import.meta.dirname, 'src/sw.ts'),
  mutate: resolve(import.meta.dirname, 'src/mutate.ts'),
  watch: resolve(import.meta.dirname, 'src/watch.ts'),
  revalidate: resolve(import.meta.dirname, 'src/revalidate.ts'),
  react: resolve(import.meta.dirname, 'src/react.ts'),
  fullcalendar: resolve(import.meta.dirname, 'src/fullcalendar.ts'),
  server: resolve(import.meta.dirname, 'src/server.ts'),
};

/** `index`, `idb`, … : the package's entry points that the dist test project takes from the build. */
const browserSubpaths = Object.keys(JSON.parse(readFileSync(resolve(import.meta.dirname, 'package.json'), 'utf8')).exports)
  .filter((subpath) => subpath !== './server')
  .map((subpath) => (subpath === '.' ? 'index' : subpath.slice(2)));

export default defineConfig({
  // Internal property names shortened in dist/ as in the no-bundler build and `npm run size`.
  plugins: [manglePlugin()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: { entry: entries, formats: ['es'] },
    rolldownOptions: {
      external: [
        /^idb(\/|$)/,
        /^workbox-window(\/|$)/,
        /^@fullcalendar\//,
        // nostale/react uses the app's own React (an optional peer dependency).
        /^react(\/|$)/,
        // nostale/server runs on Node: its built-ins and the app's own server packages stay imports.
        /^node:/,
        /^(ioredis|redis|express|fastify)(\/|$)/,
      ],
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'happy-dom',
          setupFiles: ['test/unit/setup.ts'],
          // The FullCalendar and property tests take 1-2 s alone and 5-6 s on a loaded 2-core
          // runner (main too, measured): vitest's 5 s default made them fail by the machine's mood.
          testTimeout: 20_000,
        },
      },
      {
        // The unit tests that use only the public entry points, run against the built library (as
        // users get it: internal property names shortened) instead of src/. scripts/test.mjs
        // builds it first, with this config, into .vite/dist-test (dist/ is left alone).
        extends: true,
        resolve: {
          alias: [
            {
              find: new RegExp(`^(?:\\.\\./)+src/(${browserSubpaths.join('|')})(?:\\.js)?$`),
              replacement: resolve(import.meta.dirname, '.vite/dist-test/$1.js'),
            },
          ],
        },
        test: {
          name: 'dist',
          include: [
            'test/unit/client.{http,scopes,edges,reload}.test.ts',
            'test/unit/{memoryStore,peek,idb.client,idb.store,sync,watch,mutate,sw}.test.ts',
            'test/unit/react.test.tsx',
          ],
          environment: 'happy-dom',
          setupFiles: ['test/unit/setup.ts'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['test/server/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // After unit and browser: its redis-servers, worker processes and gunicorns would
          // otherwise compete for the CPU with their timing-bound tests.
          sequence: { groupOrder: 1 },
        },
      },
      // test/unit/react.test.tsx again on React 18, installed into .cache/react18/ when missing.
      react18Project,
    ],
  },
});
