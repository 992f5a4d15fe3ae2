import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `entry` for the browser into `outDir/app.js` next to an `index.html` that loads it and
 * offers a `#calendar` element. Everything (FullCalendar, msw's core, nostale's sources) is inlined
 * so the page needs nothing but the static server.
 */
export async function buildPage(entry: string, outDir: string, title = 'nostale'): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(outDir, 'app.js'),
    sourcemap: 'inline',
    // msw and FullCalendar read it to pick development checks.
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  await writeFile(
    join(outDir, 'index.html'),
    `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n<div id="calendar" style="width:1100px"></div>\n<script type="module" src="./app.js"></script>\n`,
  );
}
