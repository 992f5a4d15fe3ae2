import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext, screenshot } from './support/chromium';
import { servePage, type ServedPage } from './support/serve-page';

// Writes a record, then reads it back in a separate transaction, so the value
// shown really went through IndexedDB. `?read` skips the write, which lets the
// test prove the record survives a reload.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>nostale harness</title>
<p id="out">pending</p>
<script type="module" src="./app.js"></script>`;

const APP = `
const out = document.getElementById('out');
const done = (text, state) => { out.textContent = text; out.dataset.state = state; };
function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
async function main() {
  const open = indexedDB.open('harness', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  const db = await request(open);
  if (!location.search.includes('read')) {
    const tx = db.transaction('kv', 'readwrite');
    tx.objectStore('kv').put({ greeting: 'fresh from idb', n: 42 }, 'key');
    await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
  }
  const value = await request(db.transaction('kv').objectStore('kv').get('key'));
  done(JSON.stringify(value ?? null), 'done');
}
main().catch((error) => done(String(error), 'error'));
`;

// Lives under /assets/ like a bundled worker; claiming scope "/" from there
// only works because the server sends Service-Worker-Allowed.
const SW = `
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).pathname === '/from-sw') {
    event.respondWith(new Response('hello from sw'));
  }
});
`;

describe('browser harness', () => {
  let site: ServedPage;

  // Longer than the project's hookTimeout: findChromium may apt-get install.
  beforeAll(async () => {
    // APP is plain JavaScript, served as written (no bundling).
    site = await servePage({ name: 'harness', html: PAGE, app: APP, files: { 'assets/sw.js': SW } });
  }, 600_000);

  afterAll(() => site?.close());

  it('serves files with the right headers', async () => {
    const js = await fetch(new URL('app.js', site.url));
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('service-worker-allowed')).toBe('/');

    const index = await fetch(site.url);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('nostale harness');

    expect((await fetch(new URL('missing.css', site.url))).status).toBe(404);
    expect((await fetch(new URL('..%2f..%2fetc%2fpasswd', site.url))).status).toBe(403);
  });

  it('writes to IndexedDB in real Chromium and reads it back', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));

      await page.goto(site.url);
      const out = page.locator('#out[data-state]');
      await out.waitFor();
      expect(await out.getAttribute('data-state')).toBe('done');
      expect(JSON.parse((await out.textContent()) ?? '')).toEqual({ greeting: 'fresh from idb', n: 42 });
      await screenshot(page, 'harness-idb');

      // Same context, fresh document: the record must come from storage.
      await page.goto(new URL('?read', site.url).href);
      await out.waitFor();
      expect(JSON.parse((await out.textContent()) ?? '')).toEqual({ greeting: 'fresh from idb', n: 42 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('registers a root-scoped service worker from a subfolder', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      await page.goto(site.url);
      const scope = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.register('/assets/sw.js', { scope: '/' });
        await navigator.serviceWorker.ready;
        return registration.scope;
      });
      expect(scope).toBe(site.url);
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
      const body = await page.evaluate(() => fetch('/from-sw').then((r) => r.text()));
      expect(body).toBe('hello from sw');
    } finally {
      await context.close();
    }
  });

  it('isolates storage between contexts', async () => {
    const context = await newContext(site.browser);
    try {
      const page = await context.newPage();
      await page.goto(new URL('?read', site.url).href);
      const out = page.locator('#out[data-state]');
      await out.waitFor();
      expect(await out.textContent()).toBe('null');
    } finally {
      await context.close();
    }
  });
});
