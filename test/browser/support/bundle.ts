import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';

/**
 * A page script for esbuild: a file, or TypeScript source text whose relative imports resolve
 * from `resolveDir` (`sourcefile` names it in the output). Everything it imports is inlined.
 */
export type ScriptSource = ({ entry: string } | { contents: string; resolveDir: string; sourcefile?: string }) & {
  /** Appends an inline source map. */
  sourcemap?: boolean;
  /** Sets `process.env.NODE_ENV` to "production": msw and FullCalendar read it to pick development checks. */
  production?: boolean;
};

/** Bundles `source` for the browser into one ES module at `outfile`. */
export async function bundleScript(source: ScriptSource, outfile: string): Promise<void> {
  const input: BuildOptions =
    'entry' in source
      ? { entryPoints: [source.entry] }
      : { stdin: { contents: source.contents, resolveDir: source.resolveDir, sourcefile: source.sourcefile, loader: 'ts' } };
  await build({
    ...input,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    ...(source.sourcemap ? { sourcemap: 'inline' as const } : {}),
    ...(source.production ? { define: { 'process.env.NODE_ENV': '"production"' } } : {}),
    logLevel: 'silent',
  });
}

/** An `index.html` titled `title` that offers a `#calendar` element and loads `./app.js`. */
export function calendarHtml(title = 'nostale'): string {
  return `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n<div id="calendar" style="width:1100px"></div>\n<script type="module" src="./app.js"></script>\n`;
}

/**
 * Bundles `entry` for the browser into `outDir/app.js` next to an `index.html` that loads it and
 * offers a `#calendar` element. Everything (FullCalendar, msw's core, nostale's sources) is inlined
 * so the page needs nothing but the static server.
 */
export async function buildPage(entry: string, outDir: string, title = 'nostale'): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await bundleScript({ entry, sourcemap: true, production: true }, join(outDir, 'app.js'));
  await writeFile(join(outDir, 'index.html'), calendarHtml(title));
}
