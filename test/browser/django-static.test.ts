import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types; it is also the CLI of `npm run build`.
import { browserEntries, buildBrowser } from '../../scripts/build-browser.mjs';
import { spawnWorker, type Worker } from '../server/support/processes';
import { freePort } from '../server/support/redisServer';
import { launchChromium, newContext, screenshot } from './support/chromium';

/**
 * The no-bundler build as a Django app ships it: real `collectstatic` of dist/browser/ with
 * ManifestStaticFilesStorage (python/tests/staticsite), a template mapping every subpath with
 * `{% static %}` in an import map (docs/django.md), served by gunicorn and loaded in Chromium.
 */

const root = resolve(import.meta.dirname, '../..');
const pythonDir = join(root, 'python');
const dist = join(root, 'dist/browser');
const FULLCALENDAR = join(root, 'node_modules/@fullcalendar');

/** The newest modification time under `dir`, in ms. */
async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const item of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (item.isFile()) latest = Math.max(latest, (await stat(join(item.parentPath, item.name))).mtimeMs);
  }
  return latest;
}

/** dist/browser/ as `npm run build` leaves it, rebuilt when missing or older than src/. */
async function ensureBrowserBuild(): Promise<void> {
  const built = await stat(join(dist, 'index.js')).then(
    (info) => info.mtimeMs,
    () => 0,
  );
  if (built < (await newest(join(root, 'src')))) await buildBrowser(dist);
}

interface PageReport {
  title: string;
  httpError: boolean;
  sharedErrors: boolean;
  linked: string[];
  importMap: Record<string, string>;
  /** Every script the page fetched, by path. */
  scripts: string[];
}

let work: string;
let browser: Browser;

beforeAll(async () => {
  // Idempotent: creates the virtualenvs on a fresh machine, returns at once when they exist.
  const setup = spawnSync('bash', [join(root, 'scripts/test-python.sh'), '--setup'], { cwd: root, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`bash scripts/test-python.sh --setup failed:\n${setup.stdout}\n${setup.stderr}`);
  await ensureBrowserBuild();
  work = await mkdtemp(join(tmpdir(), 'nostale-django-static-'));
  const assets = join(work, 'assets');
  await mkdir(join(assets, 'fullcalendar'), { recursive: true });
  await copyFile(join(FULLCALENDAR, 'core/index.global.min.js'), join(assets, 'fullcalendar/core.js'));
  await copyFile(join(FULLCALENDAR, 'daygrid/index.global.min.js'), join(assets, 'fullcalendar/daygrid.js'));
  // nostale/react imports the page's own React, mapped by the import map: a stub is enough for
  // the module to link (no component is rendered here; test/browser/react.test.ts renders).
  await writeFile(
    join(assets, 'react-stub.js'),
    ['createContext', 'createElement', 'useCallback', 'useContext', 'useEffect', 'useMemo', 'useRef', 'useState', 'useSyncExternalStore']
      .map((name) => `export const ${name} = () => {};`)
      .join('\n'),
  );
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const cases = [
  { django: '5.2', jsImports: false },
  { django: '4.2', jsImports: false },
  // Django's opt-in rewriting of `import … from "./chunk.js"` to hashed names must not split modules either.
  { django: '5.2', jsImports: true },
];

describe.each(cases)(
  'collectstatic with ManifestStaticFilesStorage (Django $django, JS import rewriting: $jsImports)',
  ({ django, jsImports }) => {
    const python = join(root, `.venv-python/django-${django}/bin/python`);
    let staticRoot: string;
    let env: NodeJS.ProcessEnv;
    let server: Worker;

    beforeAll(async () => {
      staticRoot = join(work, `static-${django}-${jsImports}`);
      env = {
        DJANGO_SETTINGS_MODULE: 'tests.staticsite.settings',
        NOSTALE_BROWSER_DIST: dist,
        NOSTALE_PAGE_ASSETS: join(work, 'assets'),
        NOSTALE_STATIC_ROOT: staticRoot,
        NOSTALE_JS_IMPORTS: jsImports ? '1' : '0',
        PYTHONDONTWRITEBYTECODE: '1',
      };
      const collect = spawnSync(python, ['-m', 'django', 'collectstatic', '--noinput'], {
        cwd: pythonDir,
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      if (collect.status !== 0) throw new Error(`collectstatic failed:\n${collect.stdout}\n${collect.stderr}`);
      server = await spawnWorker(
        join(root, `.venv-python/django-${django}/bin/gunicorn`),
        ['tests.staticsite.wsgi', '--bind', `127.0.0.1:${await freePort()}`, '--workers', '1', '--chdir', pythonDir],
        env,
        pythonDir,
      );
    }, 120_000);

    afterAll(() => server?.stop());

    it('loads every subpath by its hashed name, each module once, with instanceof holding across subpaths', async () => {
      const context = await newContext(browser);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      // Failed requests by URL (the console names none): the one expected is the page's own read of
      // /api/missing, whose HttpError it checks.
      page.on('response', (response) => {
        if (response.status() >= 400 && !response.url().endsWith('/api/missing')) errors.push(`${response.status()} ${response.url()}`);
      });
      page.on('console', (message) => {
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
      });
      await page.goto(server.url);
      // A module that fails to link never sets the report: say why rather than only timing out.
      await page
        .waitForFunction(() => 'report' in window, undefined, { timeout: 20_000 })
        .catch((error: unknown) => {
          throw new Error(`page never reported; its errors: ${JSON.stringify(errors)}\n${server.output()}`, { cause: error });
        });
      const report = (await page.evaluate(() => (window as unknown as { report: PageReport }).report)) as PageReport;
      await screenshot(page, `django-static/${django}${jsImports ? '-js-imports' : ''}`);
      await context.close();

      expect(errors).toEqual([]);
      expect(report.title).toBe("alice's standup");
      expect(report.httpError).toBe(true);
      expect(report.sharedErrors).toBe(true);
      expect(report.linked).toEqual(['function', 'function', 'function', 'function']);

      // {% static %} printed the manifest's hashed name of every entry, and the page loaded those.
      const manifest = JSON.parse(await readFile(join(staticRoot, 'staticfiles.json'), 'utf8')) as { paths: Record<string, string> };
      const entries = Object.entries(report.importMap).filter(([specifier]) => specifier.startsWith('nostale'));
      expect(entries.map(([specifier]) => specifier).sort()).toEqual(Object.keys(browserEntries() as Record<string, string>).sort());
      for (const [, url] of entries) {
        const name = url.replace(/^\/static\//, '');
        expect(Object.values(manifest.paths)).toContain(name);
        expect(name).toMatch(/\.[0-9a-f]{12}\.js$/);
        expect(report.scripts).toContain(url);
      }
      // Each module once: no name fetched twice, and no file under both its plain and hashed name.
      const modules = report.scripts.filter((path) => path.startsWith('/static/nostale/'));
      expect(new Set(modules).size).toBe(modules.length);
      const unhashed = (path: string) => path.replace(/\.[0-9a-f]{12}\.js$/, '.js');
      expect(new Set(modules.map(unhashed)).size).toBe(modules.length);
      const chunks = modules.filter((path) => path.includes('/chunks/'));
      expect(chunks.length).toBeGreaterThan(0);
      // Rewritten imports reach the chunks by their hashed names; untouched ones by their own.
      for (const chunk of chunks) expect(/\.[0-9a-f]{12}\.js$/.test(chunk)).toBe(jsImports);
    });
  },
);
