#!/usr/bin/env node
// The no-bundler build: `node scripts/build-browser.mjs [OUTDIR]` (default dist/browser).
//
// One ES module per browser subpath of package.json `exports` (`index.js` for `nostale`,
// `idb.js` for `nostale/idb`, …) with `idb` and `workbox-window` bundled in, so a page needs
// nothing but an import map. Code that two subpaths share lives once, in `chunks/`, under
// content-hashed names that the entries import by relative path: however a static-files
// pipeline renames the entries (Django's ManifestStaticFilesStorage adds a hash to each), every
// entry reaches the same chunk URL, so no module is evaluated twice and `instanceof` holds
// across subpaths.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { mangleOptions } from './mangle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Subpaths that run on a server and never belong in a page. */
const NODE_ONLY = new Set(['./server']);

/** `{ 'nostale/idb': 'src/idb.ts', … }` for every browser subpath. */
export function browserEntries() {
  const { name, exports } = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  return Object.fromEntries(
    Object.keys(exports)
      .filter((subpath) => !NODE_ONLY.has(subpath))
      .map((subpath) => [subpath === '.' ? name : `${name}/${subpath.slice(2)}`, subpath === '.' ? 'index' : subpath.slice(2)]),
  );
}

/**
 * Builds the browser modules into `outdir`, replacing what was there.
 * @param {string} outdir
 * @returns {Promise<Record<string, string>>} the import map: specifier → file name in `outdir`
 */
export async function buildBrowser(outdir) {
  const entries = browserEntries();
  await rm(outdir, { recursive: true, force: true });
  await build({
    // Internal property names shortened exactly as in dist/ and in `npm run size`.
    ...mangleOptions(),
    absWorkingDir: root,
    entryPoints: Object.values(entries).map((file) => ({ in: `src/${file}.ts`, out: file })),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    // The FullCalendar adapter only uses the calendar object it is given (typed structurally),
    // so FullCalendar's own global bundle serves it; nothing of @fullcalendar is imported.
    // nostale/react uses the page's own React (mapped by the app's import map), never a copy.
    external: ['@fullcalendar/*', 'react'],
    logLevel: 'warning',
  });
  return Object.fromEntries(Object.entries(entries).map(([specifier, file]) => [specifier, `${file}.js`]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = resolve(process.argv[2] ?? resolve(root, 'dist/browser'));
  const map = await buildBrowser(outdir);
  console.log(`browser modules in ${outdir}: ${Object.values(map).join(', ')}`);
}
