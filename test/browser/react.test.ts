import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, newContext } from './support/chromium';

/**
 * `nostale/react` with React 19 in real Chromium against a real HTTP server that logs every API
 * request it answers: one GET on mount (StrictMode too), one more after a delete through
 * `useMutation`, none while `url` is null.
 */

const PAGE = resolve(import.meta.dirname, 'pages/react-page.tsx');
const HTML =
  '<!doctype html>\n<meta charset="utf-8">\n<title>nostale react</title>\n<div id="root"></div>\n<script type="module" src="/app.js"></script>\n';

/** The feed's state and the log of API requests, as the server saw them (`GET /api/…`). */
const backend = { version: 1, items: [1, 2, 3], log: [] as string[] };

function reset(): void {
  backend.version = 1;
  backend.items = [1, 2, 3];
  backend.log = [];
}

let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  // Development React: StrictMode mounts, unmounts and remounts every effect only there.
  const bundle = await build({
    entryPoints: [PAGE],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  const app = bundle.outputFiles[0]!.text;
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' || path === '/app.js') {
      res.writeHead(200, { 'Content-Type': path === '/' ? 'text/html; charset=utf-8' : 'text/javascript', 'Cache-Control': 'no-store' });
      res.end(path === '/' ? HTML : app);
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(404).end();
      return;
    }
    backend.log.push(`${req.method} ${path}`);
    if (path === '/api/users/alice/events' && req.method === 'GET') {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'private, no-cache',
        'X-Cache-Version': String(backend.version),
      });
      res.end(JSON.stringify(backend.items.map((id) => ({ id }))));
      return;
    }
    const deleted = /^\/api\/users\/alice\/events\/(\d+)$/.exec(path);
    if (deleted && req.method === 'DELETE') {
      backend.items = backend.items.filter((id) => id !== Number(deleted[1]));
      backend.version++;
      res.writeHead(204, { 'X-Cache-Version': String(backend.version) }).end();
      return;
    }
    // The barrier the test sends last (see `quiet`), and anything unexpected, which the log shows.
    res.writeHead(path === '/api/barrier' ? 204 : 404).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((done) => server?.close(done));
});

beforeEach(reset);

/** Opens the page with `query`; fails with the page's errors if it throws. */
async function open(query: string): Promise<{ page: Page; errors: string[]; close: () => Promise<void> }> {
  const context = await newContext(browser);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${base}/${query}`);
  return { page, errors, close: () => context.close() };
}

const items = (page: Page, text: string) => page.locator('#items', { hasText: new RegExp(`^${text}$`) }).waitFor();

/**
 * The API log once the page has nothing more in flight: a request the page sends after what the
 * test waited for reaches the server behind anything the page had already sent on its own.
 */
async function quiet(page: Page): Promise<string[]> {
  await page.evaluate(() => fetch('/api/barrier').then((response) => response.status));
  expect(backend.log.at(-1)).toBe('GET /api/barrier');
  return backend.log.slice(0, -1);
}

describe('nostale/react in Chromium (React 19, development build)', () => {
  for (const strict of [false, true]) {
    it(`one GET on mount, one more after a delete through useMutation${strict ? ', under StrictMode' : ''}`, async () => {
      const { page, errors, close } = await open(strict ? '?strict' : '');
      await items(page, 'items: 1,2,3');
      expect(await quiet(page)).toEqual(['GET /api/users/alice/events']);

      backend.log = [];
      await page.click('#delete-2');
      // Optimistic at once; then the server's answer, which bumps the version: one more GET.
      await items(page, 'items: 1,3');
      await page.locator('#mutation', { hasText: 'idle' }).waitFor();
      await expect.poll(() => backend.log.length).toBe(2);
      expect(await quiet(page)).toEqual(['DELETE /api/users/alice/events/2', 'GET /api/users/alice/events']);
      expect(backend.items).toEqual([1, 3]);
      expect(await page.locator('#items').textContent()).toBe('items: 1,3');
      expect(errors).toEqual([]);
      await close();
    });
  }

  it('url = null reads nothing until a url is given, then reads once', async () => {
    const { page, errors, close } = await open('?wait');
    await items(page, 'items: none');
    expect(await quiet(page)).toEqual([]);

    backend.log = [];
    await page.click('#load');
    await items(page, 'items: 1,2,3');
    expect(await quiet(page)).toEqual(['GET /api/users/alice/events']);
    expect(errors).toEqual([]);
    await close();
  });
});
