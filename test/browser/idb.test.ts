import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdbPageApi } from './pages/idb-page';
import { newContext, screenshot } from './support/chromium';
import { servePage, type ServedPage } from './support/serve-page';

/** Calls the page's API (see pages/idb-page.ts) and returns what it answers. */
function call<K extends keyof IdbPageApi>(
  page: Page,
  method: K,
  ...args: Parameters<IdbPageApi[K]>
): Promise<Awaited<ReturnType<IdbPageApi[K]>>> {
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
  let site: ServedPage;

  beforeAll(async () => {
    site = await servePage({
      name: 'idb',
      html: '<!doctype html>\n<meta charset="utf-8">\n<title>nostale idb</title>\n<script type="module" src="./app.js"></script>\n',
      app: { entry: resolve(import.meta.dirname, 'pages/idb-page.ts') },
    });
  }, 600_000);

  afterAll(() => site?.close());

  it('serves an entry from IndexedDB after a reload without a network call, and never persists no-store', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await load(page, site.url);

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
  it('a URL a DELETE removed is gone from IndexedDB once client.fetch resolves: a reload right after fetches it', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      await load(page, site.url);
      await call(page, 'get', '/api/gone');
      await call(page, 'get', '/api/kept');
      await call(page, 'flush');
      expect(await call(page, 'persistedUrls')).toEqual(['/api/gone', '/api/kept']);
      expect(await call(page, 'send', '/api/gone', 'DELETE')).toBe(200);
      // No flush, no wait: the reload comes straight after the resolved call.
      await page.reload();
      await page.waitForFunction(() => 'nostale' in window);
      expect(await call(page, 'persistedUrls')).toEqual(['/api/kept']);
      await call(page, 'get', '/api/kept');
      await call(page, 'get', '/api/gone');
      expect(await call(page, 'requests')).toEqual(['/api/gone']);
    } finally {
      await context.close();
    }
  });

  it('selects by URL and namespace through the indexes, prunes by index and removes a logged-out user’s scope records', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      await load(page, site.url);
      const results = await call(page, 'indexes');
      expect(results.aliceUrls).toEqual(['alice:/a']);
      expect(results.anyNamespaceUrls).toEqual(['alice:/a', 'bob:/a', 'carol:/c']);
      // Expired, of an older mark, of another build.
      expect(results.pruned).toBe(3);
      expect(results.afterPrune).toEqual(['alice:/a', 'alice:/b', 'alice:/cal/1', 'bob:/a', 'carol:/c']);
      expect(results.scopesAfterLogout).toEqual(['bob/cal']);
      expect(results.entriesAfterLogout).toEqual(['bob:/a', 'carol:/c']);
    } finally {
      await context.close();
    }
  });
});
