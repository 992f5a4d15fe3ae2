/**
 * Loads nostale as it ships, not through tsx.
 *
 * tsx compiles with esbuild's `keepNames`, which wraps every named closure in
 * `__name(fn, "name")`, an `Object.defineProperty` call each time the closure is created. The hot
 * path creates such closures on every read, so a hit measured through tsx costs 2–5× what the
 * published build (vite, no keepNames) costs, while TanStack, loaded prebuilt from node_modules,
 * pays nothing. So the benchmarks bundle `src/` with esbuild, without keepNames, into
 * `bench/.tmp/` (gitignored) and import that.
 */
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bundles `src/<entry>.ts` (packages stay external) and imports it. */
export async function loadBuilt<T>(entry: string): Promise<T> {
  const outfile = fileURLToPath(new URL(`../.tmp/${entry}.mjs`, import.meta.url));
  await build({
    entryPoints: [fileURLToPath(new URL(`../../src/${entry}.ts`, import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    packages: 'external',
    keepNames: false,
    minify: false,
    outfile,
    logLevel: 'warning',
  });
  return (await import(pathToFileURL(outfile).href)) as T;
}

export type Nostale = typeof import('../../src/index.js');

/** The core entry (`nostale`), built as it ships. */
export const loadNostale = (): Promise<Nostale> => loadBuilt<Nostale>('index');

/**
 * Bundles benchmark pages for Chromium into `outdir` as an app ships them: minified, with
 * `process.env.NODE_ENV` defined as bundlers do (TanStack's production build and persisters read it).
 */
export async function bundlePages(entryPoints: Record<string, string>, outdir: string): Promise<void> {
  await build({
    entryPoints,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    outdir,
    logLevel: 'silent',
  });
}
