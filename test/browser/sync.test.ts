import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, screenshot } from './support/chromium';
import { openReady, servePage, type ServedPage } from './support/serve-page';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>nostale sync</title>
<p>value: <output id="value">none</output>, requests: <output id="calls">0</output></p>
<script type="module" src="./app.js"></script>`;

/**
 * The page: a client whose `fetch` is a tiny in-page server backed by localStorage, which every
 * tab of the context shares, so a write in one tab is what the server answers to all of them.
 * Answers are cacheable for ten minutes: a tab that asks again does so because it was told to.
 */
const ENTRY = `
import { createClient } from './src/index.ts';
import { syncTabs } from './src/sync.ts';

let calls = 0;
const server = async (input) => {
  calls++;
  const url = new URL(String(input));
  if (url.pathname !== '/api/items') return new Response('not found', { status: 404 });
  const body = JSON.stringify({ value: localStorage.getItem('value') ?? 'v1' });
  return new Response(body, {
    headers: {
      'content-type': 'application/json',
      'cache-control': 'max-age=600',
      'x-cache-version': localStorage.getItem('version') ?? '1',
    },
  });
};

const client = createClient({ fetch: server, routes: [{ match: '/api/items*', scope: 'items' }] });
const stop = syncTabs(client);
const remote = [];
client.subscribe((event) => {
  if ('origin' in event && event.origin === 'remote') remote.push(event.type);
});

const show = (value) => {
  document.getElementById('value').textContent = value;
  document.getElementById('calls').textContent = String(calls);
  return value;
};

window.app = {
  booted: Math.random(),
  read: (options) => client.get('/api/items', options).then((data) => show(data.value)),
  calls: () => calls,
  remote: () => remote.slice(),
  forget: () => void remote.splice(0),
  write: (value, version) => {
    localStorage.setItem('value', value);
    if (version) localStorage.setItem('version', version);
  },
  invalidate: (target) => client.invalidate(target),
  clear: () => client.clear(),
  stop,
};
document.documentElement.dataset.ready = 'true';
`;

interface App {
  booted: number;
  read(options?: { cache?: RequestCache }): Promise<string>;
  calls(): number;
  remote(): string[];
  forget(): void;
  write(value: string, version?: string): void;
  invalidate(target: { url?: string; scope?: string; prefix?: string }): Promise<void>;
  clear(): Promise<void>;
  stop(): void;
}
declare const app: App;

describe('cross-tab sync in Chromium', () => {
  let site: ServedPage;

  beforeAll(async () => {
    site = await servePage({ name: 'sync', html: PAGE, app: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'sync-page.ts' } });
  }, 600_000);

  afterAll(() => site?.close());

  /** Two tabs of one context: same origin, same localStorage, same BroadcastChannel. */
  async function twoTabs(): Promise<{ context: BrowserContext; one: Page; two: Page }> {
    const context = await newContext(site.browser);
    const open = () => openReady(context, site.url);
    return { context, one: await open(), two: await open() };
  }

  /**
   * Both tabs read, so both hold a copy. Tab two waits for the version tab one learned first, so
   * it holds that scope record rather than learning the same token itself; then both forget what
   * they heard so far, and a test sees only the messages its own steps cause.
   */
  async function readInBoth(one: Page, two: Page) {
    expect(await one.evaluate(() => app.read())).toBe('v1');
    await two.waitForFunction(() => app.remote().includes('version'));
    expect(await two.evaluate(() => app.read())).toBe('v1');
    for (const page of [one, two]) await page.evaluate(() => app.forget());
  }

  it('a URL invalidated in one tab is fetched fresh by the other, with no reload', async () => {
    const { context, one, two } = await twoTabs();
    try {
      const booted = await two.evaluate(() => app.booted);
      await readInBoth(one, two);
      // The write lands; tab two still serves its cached copy, as it should until told.
      await one.evaluate(() => app.write('v2'));
      expect(await two.evaluate(() => app.read())).toBe('v1');
      expect(await two.evaluate(() => app.calls())).toBe(1);

      await one.evaluate(() => app.invalidate({ url: '/api/items' }));
      await two.waitForFunction(() => app.remote().includes('invalidate'));
      expect(await two.evaluate(() => app.read())).toBe('v2');
      expect(await two.evaluate(() => app.calls())).toBe(2);
      expect(await two.evaluate(() => app.booted)).toBe(booted);
      // Tab one made the change; nothing came back to it.
      expect(await one.evaluate(() => app.remote())).toEqual([]);
      await screenshot(two, 'sync/url-invalidated');
    } finally {
      await context.close();
    }
  });

  it('a scope invalidated in one tab is fetched fresh by the other', async () => {
    const { context, one, two } = await twoTabs();
    try {
      await readInBoth(one, two);
      await one.evaluate(() => app.write('v3'));
      await one.evaluate(() => app.invalidate({ scope: 'items' }));
      await two.waitForFunction(() => app.remote().includes('version'));
      expect(await two.evaluate(() => app.read())).toBe('v3');
      expect(await two.evaluate(() => app.calls())).toBe(2);
    } finally {
      await context.close();
    }
  });

  it('a newer version seen by one tab makes the other refetch', async () => {
    const { context, one, two } = await twoTabs();
    try {
      await readInBoth(one, two);
      await one.evaluate(() => app.write('v4', '2'));
      // Tab one learns version 2 from an answer (a forced reload stands in for any request).
      await one.evaluate(() => app.read({ cache: 'reload' }));
      await two.waitForFunction(() => app.remote().includes('version'));
      expect(await two.evaluate(() => app.remote())).toEqual(['version']);
      expect(await two.evaluate(() => app.read())).toBe('v4');
    } finally {
      await context.close();
    }
  });

  it('clear() in one tab empties the other; after stop() a tab hears nothing', async () => {
    const { context, one, two } = await twoTabs();
    try {
      await readInBoth(one, two);
      await one.evaluate(() => app.write('v5'));
      await one.evaluate(() => app.clear());
      await two.waitForFunction(() => app.remote().includes('clear'));
      expect(await two.evaluate(() => app.read())).toBe('v5');

      await two.evaluate(() => app.stop());
      await one.evaluate(() => app.write('v6'));
      await one.evaluate(() => app.invalidate({ url: '/api/items' }));
      // Give a message every chance to arrive before checking that none did.
      await one.evaluate(() => app.read());
      await two.waitForTimeout(200);
      expect(await two.evaluate(() => app.remote())).toEqual(['clear']);
      expect(await two.evaluate(() => app.read())).toBe('v5');
    } finally {
      await context.close();
    }
  });
});
