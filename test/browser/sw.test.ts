import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newContext, screenshot } from './support/chromium';
import { servePage, type ServedPage } from './support/serve-page';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>nostale deploys</title>
<p>build: <output id="build">none</output>, updates offered: <output id="updates">0</output></p>
<script type="module" src="./app.js"></script>`;

/**
 * The page. Everything a test checks after a reload goes to localStorage, which survives it:
 * `log` records each purge with the document that ran it and the build serving it then.
 * `?noreload` swaps the reload for a counter, to keep one document through several deploys.
 * A bare workbox-window instance counts its own `waiting` events, to show what it alone misses.
 */
const ENTRY = `
import { Workbox } from 'workbox-window';
import { watchDeploys } from './src/sw.ts';

const boot = Math.random().toString(36).slice(2);
const updates = [];
let reloads = 0;
let bareWaiting = 0;

const currentBuild = async () => {
  const response = await fetch('/build');
  return response.ok ? response.text() : 'none';
};
const buildOf = (worker) =>
  new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data);
    worker.postMessage({ type: 'BUILD' }, [channel.port2]);
  });
const log = (entry) => {
  const entries = JSON.parse(localStorage.getItem('log') ?? '[]');
  localStorage.setItem('log', JSON.stringify([...entries, entry]));
};
const show = async () => {
  document.getElementById('build').textContent = await currentBuild();
  document.getElementById('updates').textContent = String(updates.length);
};

const params = new URLSearchParams(location.search);
const watcher = watchDeploys({
  scriptUrl: params.get('script') ?? '/sw.js',
  scope: '/',
  checkInterval: 0,
  onUpdateReady: (update) => {
    updates.push(update);
    void show();
  },
  onActivated: async () => {
    log({ purgedBy: boot, servedBy: await currentBuild() });
    if (params.has('failpurge')) throw new Error('purge failed');
  },
  reload: params.has('noreload') ? () => void reloads++ : undefined,
  onWarning: (warning) => log({ warning: warning.code }),
});

const bare = new Workbox('/sw.js', { scope: '/' });
bare.addEventListener('waiting', () => bareWaiting++);
void bare.register();

window.deploy = {
  boot,
  check: () => watcher.check(),
  apply: () => watcher.applyUpdate(),
  updates: () => updates.length,
  latestOffer: () => buildOf(updates[updates.length - 1].worker),
  offerStates: () => updates.map((u) => u.worker.state),
  currentBuild,
  show,
  reloads: () => reloads,
  bareWaiting: () => bareWaiting,
  log: () => JSON.parse(localStorage.getItem('log') ?? '[]'),
};
watcher.registration.then(() => {
  document.documentElement.dataset.ready = 'true';
  return show();
});
`;

interface Deploy {
  boot: string;
  check(): Promise<void>;
  apply(): Promise<void>;
  updates(): number;
  latestOffer(): Promise<string>;
  offerStates(): string[];
  currentBuild(): Promise<string>;
  show(): Promise<void>;
  reloads(): number;
  bareWaiting(): number;
  log(): { purgedBy?: string; servedBy?: string; warning?: string }[];
}
declare const deploy: Deploy;

/** The documented example worker, stamped with a build id and made to tell which build it is. */
function worker(example: string, build: string): string {
  const stamped = example.replace("const BUILD = 'dev';", `const BUILD = '${build}';`);
  if (stamped === example) throw new Error('docs/examples/sw.js no longer declares BUILD as the test expects');
  return `${stamped}
self.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).pathname === '/build') event.respondWith(new Response(BUILD));
});
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'BUILD') event.ports[0].postMessage(BUILD);
});
`;
}

describe('deploy awareness in Chromium', () => {
  let site: ServedPage;
  let example: string;
  let context: BrowserContext | undefined;
  let errors: string[] = [];

  const deployBuild = (build: string) => writeFile(join(site.root, 'sw.js'), worker(example, build));

  beforeAll(async () => {
    example = await readFile(join(REPO_ROOT, 'docs/examples/sw.js'), 'utf8');
    // No sw.js yet: each test deploys its first build into `site.root` (beforeEach).
    site = await servePage({ name: 'sw', html: PAGE, app: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'sw-page.ts' } });
  }, 600_000);

  beforeEach(async () => {
    errors = [];
    await deployBuild('b1');
  });

  afterEach(() => {
    expect(errors).toEqual([]);
  });

  afterAll(() => site?.close());

  /** A page of a fresh context, once the first build's worker controls it (it claims on activate). */
  async function open(path = '', into?: BrowserContext): Promise<Page> {
    context = into ?? (await newContext(site.browser));
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(new URL(path, site.url).href);
    await page.waitForSelector('html[data-ready]');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    return page;
  }

  /** Waits for the reload a swap causes, and for the new document to be ready. */
  async function reloaded(page: Page, boot: string) {
    await page.waitForFunction(
      (old) => (window as { deploy?: Deploy }).deploy?.boot !== old && document.documentElement.dataset.ready === 'true',
      boot,
    );
    return page.evaluate(() => deploy.boot);
  }

  it('offers a new build, purges and reloads into it when applied, and again for the next deploy', async () => {
    const page = await open();
    try {
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b1');
      const first = await page.evaluate(() => deploy.boot);

      await deployBuild('b2');
      await page.evaluate(() => deploy.check());
      await page.waitForFunction(() => deploy.updates() === 1);
      expect(await page.evaluate(() => deploy.latestOffer())).toBe('b2');
      // Still on b1 until applied: a waiting build changes nothing by itself.
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b1');
      await screenshot(page, 'sw/update-offered');

      // The page reloads while apply() is pending, so its promise is not awaited here.
      await page.evaluate(() => void deploy.apply());
      const second = await reloaded(page, first);
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b2');
      expect(await page.evaluate(() => deploy.log())).toEqual([{ purgedBy: first, servedBy: 'b2' }]);

      // A later deploy, seen by the reloaded document.
      await deployBuild('b3');
      await page.evaluate(() => deploy.check());
      await page.waitForFunction(() => deploy.updates() === 1);
      await page.evaluate(() => void deploy.apply());
      await reloaded(page, second);
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b3');
      expect(await page.evaluate(() => deploy.log())).toEqual([
        { purgedBy: first, servedBy: 'b2' },
        { purgedBy: second, servedBy: 'b3' },
      ]);
      await page.evaluate(() => deploy.show());
      await screenshot(page, 'sw/reloaded-into-b3');
    } finally {
      await context?.close();
    }
  });

  it('notices every deploy in one document, where workbox-window alone stops after the first (workbox#3285)', async () => {
    const page = await open('?noreload');
    try {
      await deployBuild('b2');
      await page.evaluate(() => deploy.check());
      await page.waitForFunction(() => deploy.updates() === 1);
      await page.waitForFunction(() => deploy.bareWaiting() === 1);

      // b2 is left waiting, and b3 replaces it before anyone applies it.
      await deployBuild('b3');
      await page.evaluate(() => deploy.check());
      await page.waitForFunction(() => deploy.updates() === 2);
      expect(await page.evaluate(() => deploy.latestOffer())).toBe('b3');
      expect(await page.evaluate(() => deploy.offerStates())).toEqual(['redundant', 'installed']);

      await page.evaluate(() => deploy.apply());
      expect(await page.evaluate(() => deploy.reloads())).toBe(1);
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b3');

      // The same document, now controlled by b3, sees the next deploy too.
      await deployBuild('b4');
      await page.evaluate(() => deploy.check());
      await page.waitForFunction(() => deploy.updates() === 3);
      await page.evaluate(() => deploy.apply());
      expect(await page.evaluate(() => deploy.reloads())).toBe(2);
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b4');

      const boot = await page.evaluate(() => deploy.boot);
      expect(await page.evaluate(() => deploy.log())).toEqual([
        { purgedBy: boot, servedBy: 'b3' },
        { purgedBy: boot, servedBy: 'b4' },
      ]);
      // What workbox-window reported on its own: the first deploy only.
      expect(await page.evaluate(() => deploy.bareWaiting())).toBe(1);
    } finally {
      await context?.close();
    }
  });

  it('reloads every tab into the new build, purging once, in the tab that applied it', async () => {
    const one = await open();
    const two = await open('', context);
    try {
      const bootOne = await one.evaluate(() => deploy.boot);
      const bootTwo = await two.evaluate(() => deploy.boot);
      await deployBuild('b2');
      await one.evaluate(() => deploy.check());
      // Both tabs watch the same registration: both offer the update.
      await one.waitForFunction(() => deploy.updates() === 1);
      await two.waitForFunction(() => deploy.updates() === 1);

      await one.evaluate(() => void deploy.apply());
      await reloaded(one, bootOne);
      await reloaded(two, bootTwo);
      for (const page of [one, two]) expect(await page.evaluate(() => deploy.currentBuild())).toBe('b2');
      expect(await two.evaluate(() => deploy.log())).toEqual([{ purgedBy: bootOne, servedBy: 'b2' }]);
    } finally {
      await context?.close();
    }
  });

  it('rejects applyUpdate() when nothing is waiting, and neither offers nor reloads on a first install', async () => {
    const page = await open();
    try {
      // The first worker claimed the page: that is no deploy, and the page was not reloaded.
      expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).type)).toBe(
        'navigate',
      );
      await expect(page.evaluate(() => deploy.apply())).rejects.toThrow(/no update is waiting/);
      await page.evaluate(() => deploy.check());
      await page.waitForTimeout(500);
      expect(await page.evaluate(() => deploy.updates())).toBe(0);
      expect(await page.evaluate(() => deploy.log())).toEqual([]);
    } finally {
      await context?.close();
    }
  });

  it('reloads even when the purge fails, and warns', async () => {
    const page = await open('?failpurge');
    try {
      const boot = await page.evaluate(() => deploy.boot);
      await deployBuild('b2');
      await page.evaluate(() => deploy.check());
      await page.waitForFunction(() => deploy.updates() === 1);
      await page.evaluate(() => void deploy.apply());
      await reloaded(page, boot);
      expect(await page.evaluate(() => deploy.currentBuild())).toBe('b2');
      expect(await page.evaluate(() => deploy.log())).toEqual([{ purgedBy: boot, servedBy: 'b2' }, { warning: 'purge-failed' }]);
    } finally {
      await context?.close();
    }
  });

  it('warns when the script cannot be registered, and the page goes on', async () => {
    context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      await page.goto(new URL('?script=/missing.js', site.url).href);
      await page.waitForSelector('html[data-ready]');
      expect(await page.evaluate(() => deploy.log())).toEqual([{ warning: 'register-failed' }]);
      await expect(page.evaluate(() => deploy.apply())).rejects.toThrow(/no update is waiting/);
      await page.evaluate(() => deploy.check());
    } finally {
      await context.close();
    }
  });
});
