import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdbPageApi } from './pages/idb-page';
import { launchChromium, newContext, screenshot, startStaticServer, type StaticServer } from './support/chromium';

/** Calls the page's API (see pages/idb-page.ts) and returns what it answers. */
function call<K extends keyof IdbPageApi>(page: Page, method: K, ...args: Parameters<IdbPageApi[K]>): Promise<Awaited<ReturnType<IdbPageApi[K]>>> {
  return page.evaluate(
    ([name, rest]) => {
      const api = (window as unknown as { nostale: Record<string, (...a: unknown[]) => unknown> }).nostale;
      return api[name]!(...rest);
    },
    [method, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<IdbPageApi[K]>>>;
}

async function load(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => 'nostale' in window);
}

describe('nostale/idb in Chromium', () => {
  let browser: Browser;
  let server: StaticServer;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nostale-idb-'));
    await build({
      entryPoints: [resolve(import.meta.dirname, 'pages/idb-page.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(root, 'app.js'),
      logLevel: 'silent',
    });
    await writeFile(join(root, 'index.html'), '<!doctype html>\n<meta charset="utf-8">\n<title>nostale idb</title>\n<script type="module" src="./app.js"></script>\n');
    server = await startStaticServer(root);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('serves an entry from IndexedDB after a reload without a network call, and never persists no-store', async () => {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await load(page, server.url);

      const first = (await call(page, 'get', '/api/a')) as { path: string; servedAt: number };
      expect(first.path).toBe('/api/a');
      await call(page, 'get', '/api/private');
      expect(await call(page, 'requests')).toEqual(['/api/a', '/api/private']);
      await call(page, 'flush');
      expect(await call(page, 'persistedUrls')).toEqual(['/api/a']);
      expect(await call(page, 'status')).toBe('idb');

      await page.reload();
      await page.waitForFunction(() => 'nostale' in window);
      // Same answer, the very same payload, and not one request: it came from IndexedDB.
      expect(await call(page, 'get', '/api/a')).toEqual(first);
      expect(await call(page, 'requests')).toEqual([]);
      expect((await call(page, 'events')).filter((e) => e.type === 'hit')).toHaveLength(1);
      expect((await call(page, 'events')).filter((e) => e.type === 'warning')).toEqual([]);
      expect(errors).toEqual([]);
      await screenshot(page, 'idb-reload');
    } finally {
      await context.close();
    }
  });
});
