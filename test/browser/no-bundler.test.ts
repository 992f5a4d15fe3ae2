import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module script without types; it is also the CLI of `npm run build`.
import { buildBrowser } from '../../scripts/build-browser.mjs';
import { newContext, screenshot } from './support/chromium';
import { servePage, type ServedPage } from './support/serve-page';

const FULLCALENDAR = resolve(import.meta.dirname, '../../node_modules/@fullcalendar');

/**
 * Lays the browser build out the way Django's ManifestStaticFilesStorage leaves it after
 * `collectstatic`: every file kept under its own name and copied under `name.<hash>.ext`, import
 * statements inside the files left as they are (Django rewrites them only with
 * `support_js_module_import_aggregation`). Returns the hashed name of each file, as `{% static %}`
 * would print it.
 */
async function collectLikeManifest(dir: string): Promise<Map<string, string>> {
  const hashed = new Map<string, string>();
  const walk = async (sub: string): Promise<void> => {
    for (const item of await readdir(join(dir, sub), { withFileTypes: true })) {
      const path = sub ? `${sub}/${item.name}` : item.name;
      if (item.isDirectory()) await walk(path);
      else if (path.endsWith('.js')) {
        const hash = createHash('md5')
          .update(await readFile(join(dir, path)))
          .digest('hex')
          .slice(0, 12);
        const name = path.replace(/\.js$/, `.${hash}.js`);
        await copyFile(join(dir, path), join(dir, name));
        hashed.set(path, name);
      }
    }
  };
  await walk('');
  return hashed;
}

interface PageReport {
  title: string | null;
  sharedErrors: boolean;
  httpError: boolean;
  /** Every script the page fetched, by path. */
  scripts: string[];
}

describe('the no-bundler build (dist/browser) in a page with an import map', () => {
  let site: ServedPage;
  let importMap: Record<string, string>;

  beforeAll(async () => {
    site = await servePage({
      name: 'no-bundler',
      html: '<!doctype html><title>placeholder</title>',
      // The page's own script is written below, once the import map is known.
      app: '',
    });
    const staticDir = join(site.root, 'static/nostale');
    await mkdir(staticDir, { recursive: true });
    const files = (await buildBrowser(staticDir)) as Record<string, string>;
    const hashed = await collectLikeManifest(staticDir);
    importMap = Object.fromEntries(Object.entries(files).map(([specifier, file]) => [specifier, `/static/nostale/${hashed.get(file)}`]));

    await mkdir(join(site.root, 'api/users/alice'), { recursive: true });
    const today = new Date().toISOString().slice(0, 10);
    await writeFile(join(site.root, 'api/users/alice/events'), JSON.stringify([{ id: '1', title: 'Standup', start: today }]));
    // nostale/react imports the page's own React, mapped by the app's import map: a stub here,
    // enough for the module to link (no component is rendered).
    await writeFile(
      join(site.root, 'static/react-stub.js'),
      ['createContext', 'createElement', 'useCallback', 'useContext', 'useEffect', 'useMemo', 'useRef', 'useState', 'useSyncExternalStore']
        .map((name) => `export const ${name} = () => {};`)
        .join('\n'),
    );
    await mkdir(join(site.root, 'static/fullcalendar'), { recursive: true });
    await copyFile(join(FULLCALENDAR, 'core/index.global.min.js'), join(site.root, 'static/fullcalendar/core.js'));
    await copyFile(join(FULLCALENDAR, 'daygrid/index.global.min.js'), join(site.root, 'static/fullcalendar/daygrid.js'));
    await writeFile(
      join(site.root, 'index.html'),
      `<!doctype html>
<meta charset="utf-8">
<title>nostale without a bundler</title>
<script src="/static/fullcalendar/core.js"></script>
<script src="/static/fullcalendar/daygrid.js"></script>
<script type="importmap">${JSON.stringify({ imports: { ...importMap, react: '/static/react-stub.js' } })}</script>
<div id="calendar"></div>
<script type="module">
  import { createClient, HttpError, NostaleError } from 'nostale';
  import { MutationError, withMutations } from 'nostale/mutate';
  import { calendarSource } from 'nostale/fullcalendar';
  import { idbStore, tieredStore } from 'nostale/idb';
  import { syncTabs } from 'nostale/sync';
  import { watchDeploys } from 'nostale/sw';
  import { watch } from 'nostale/watch';
  import { revalidate } from 'nostale/revalidate';
  import { useFetch } from 'nostale/react';

  const client = withMutations(createClient({ store: tieredStore(idbStore({ name: 'no-bundler' })) }));
  syncTabs(client);
  void watchDeploys;
  void watch;
  void revalidate;
  void useFetch;
  const calendar = new FullCalendar.Calendar(document.getElementById('calendar'), {
    initialView: 'dayGridMonth',
    eventSources: [calendarSource(client, { url: () => '/api/users/alice/events' })],
  });
  calendar.render();
  let httpError = false;
  try {
    await client.get('/api/missing');
  } catch (error) {
    httpError = error instanceof HttpError;
  }
  // One copy of the error module across subpaths, or instanceof fails between them.
  const sharedErrors = MutationError.prototype instanceof NostaleError;
  // The event renders once the source's read resolved: wait for it, not for a fixed time.
  const title = await new Promise((resolve) => {
    const look = () => {
      const found = document.querySelector('.fc-event-title')?.textContent;
      if (found) resolve(found);
      else requestAnimationFrame(look);
    };
    look();
  });
  window.report = {
    title,
    sharedErrors,
    httpError,
    scripts: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname).filter((p) => p.endsWith('.js')),
  };
</script>
`,
    );
  }, 600_000);

  afterAll(() => site?.close());

  it('runs every subpath from hashed static files, with FullCalendar’s global bundle, loading each module once', async () => {
    const context = await newContext(site.browser);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await page.goto(site.url);
    // A module that fails to link never sets the report: say why rather than only timing out.
    await page
      .waitForFunction(() => 'report' in window, undefined, { timeout: 20_000 })
      .catch((error: unknown) => {
        throw new Error(`page never reported; its errors: ${JSON.stringify([...errors, ...consoleErrors])}`, { cause: error });
      });
    const report = (await page.evaluate(() => (window as unknown as { report: PageReport }).report)) as PageReport;
    await screenshot(page, 'no-bundler/calendar');
    await context.close();

    expect(errors).toEqual([]);
    expect(report.title).toBe('Standup');
    expect(report.httpError).toBe(true);
    expect(report.sharedErrors).toBe(true);
    // Entries come in by their hashed names (the import map); shared chunks by one name each.
    for (const url of Object.values(importMap)) expect(report.scripts).toContain(url);
    const modules = report.scripts.filter((p) => p.startsWith('/static/nostale/'));
    expect(new Set(modules).size).toBe(modules.length);
    const unhashed = (p: string) => p.replace(/\.[0-9a-f]{12}\.js$/, '.js');
    expect(new Set(modules.map(unhashed)).size).toBe(modules.length);
    expect(modules.some((p) => p.includes('/chunks/'))).toBe(true);
  });
});
