/**
 * IndexedDB faults that need a real browser's IndexedDB (issue 14): the database deleted by
 * another tab, and an upgrade blocked by a tab that runs an older schema. Two tabs of one
 * Chromium context share an origin and its databases, as a user's tabs do.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext } from './support/chromium';
import { servePage, type ServedPage } from './support/serve-page';

/** The page: a client over memory over IndexedDB with mutations, on a stateful stub backend. */
const PAGE = `
import { idbStore, tieredStore } from '../../src/idb.ts';
import { createClient } from '../../src/index.ts';
import { removeItem, withMutations } from '../../src/mutate.ts';

// The backend's state lives in localStorage, so every tab and reload of the origin sees one server.
const state = () => JSON.parse(localStorage.getItem('backend') ?? '{"items":[{"id":"a"},{"id":"b"},{"id":"c"}],"version":1}');
const fetchStub = async (input, init) => {
  const request = new Request(input, init);
  let { items, version } = state();
  if (request.method === 'DELETE') {
    const id = new URL(request.url).pathname.split('/').pop();
    items = items.filter((item) => item.id !== id);
    localStorage.setItem('backend', JSON.stringify({ items, version: ++version }));
    return new Response(null, { status: 204, headers: { 'x-cache-version': String(version) } });
  }
  return new Response(JSON.stringify(items), {
    headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600', 'x-cache-version': String(version) },
  });
};
const events = [];
const outcomes = [];
let store;
let client;
window.faults = {
  start(name, openTimeout) {
    store = idbStore({ name, pruneDelay: false, openTimeout });
    client = withMutations(createClient({
      fetch: fetchStub,
      routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }],
      store: tieredStore(store),
      onEvent: (event) => events.push({ type: event.type, code: event.code }),
    }));
    client.mutate.subscribe((event) => outcomes.push(event.type));
    return store.ready.then(() => store.status);
  },
  ids: async () => (await client.get('/api/users/alice/events')).map((item) => item.id),
  remove: (id) =>
    client
      .mutate({ scope: 'calendar:alice', request: { url: '/api/users/alice/events/' + id, method: 'DELETE' }, optimistic: removeItem(id) })
      .then(() => 'committed', (error) => error.name + ':' + error.reason),
  outcomes: () => outcomes,
  warnings: () => events.filter((event) => event.type === 'warning').map((event) => event.code),
  status: () => store.status,
  flush: () => store.flush(),
  /** Record URLs on disk, through a connection of its own. */
  persisted: (name) =>
    new Promise((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('entries')) return db.close(), resolve([]);
        const all = db.transaction('entries').objectStore('entries').getAll();
        all.onsuccess = () => (db.close(), resolve(all.result.map((r) => new URL(r.url).pathname)));
        all.onerror = () => reject(all.error);
      };
    }),
  /** What another tab does: delete the database. */
  deleteDatabase: (name) =>
    new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve('deleted');
      request.onerror = () => resolve('error');
      request.onblocked = () => resolve('blocked');
    }),
  /** What a tab of an older deployment does: hold the database open at version 1, never closing for an upgrade. */
  holdOldSchema: (name) =>
    new Promise((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore('entries', { keyPath: 'key' });
      open.onsuccess = () => {
        window.legacy = open.result;
        resolve('open');
      };
      open.onerror = () => reject(open.error);
    }),
  closeOldSchema: () => window.legacy.close(),
};
`;

type Faults = Record<string, (...args: unknown[]) => unknown>;
const call = (page: Page, method: string, ...args: unknown[]) =>
  page.evaluate(([name, rest]) => (window as unknown as { faults: Faults }).faults[name as string]!(...(rest as unknown[])), [
    method,
    args,
  ] as const);

describe('IndexedDB faults in Chromium', () => {
  let site: ServedPage;
  let context: BrowserContext;
  beforeAll(async () => {
    site = await servePage({
      name: 'faults',
      html: '<!doctype html>\n<meta charset="utf-8">\n<title>nostale faults</title>\n<script type="module" src="./app.js"></script>\n',
      app: { contents: PAGE, resolveDir: import.meta.dirname, sourcefile: 'faults-page.ts' },
    });
  }, 600_000);
  afterAll(() => site?.close());

  async function tab(errors: string[]) {
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(site.url);
    await page.waitForFunction(() => 'faults' in window);
    return page;
  }

  it('a database deleted by another tab: the page carries on, a delete commits, and answers reach the disk again', async () => {
    context = await newContext(site.browser);
    const errors: string[] = [];
    try {
      const name = 'deleted-by-another-tab';
      const a = await tab(errors);
      const b = await tab(errors);
      expect(await call(a, 'start', name)).toBe('idb');
      expect(await call(a, 'ids')).toEqual(['a', 'b', 'c']);
      await call(a, 'flush');
      expect(await call(b, 'persisted', name)).toEqual(['/api/users/alice/events']);

      expect(await call(b, 'deleteDatabase', name)).toBe('deleted');
      expect(await call(a, 'ids')).toEqual(['a', 'b', 'c']);
      expect(await call(a, 'remove', 'b')).toBe('committed');
      expect(await call(a, 'ids')).toEqual(['a', 'c']);
      await call(a, 'flush');
      expect(await call(b, 'persisted', name)).toEqual(['/api/users/alice/events']);
      expect(await call(a, 'outcomes')).toEqual(['pending', 'committed']);
      expect(await call(a, 'warnings')).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an upgrade blocked by a tab of an older schema: memory-only with a warning, a delete commits, and a reload after it closes upgrades and stays current', async () => {
    context = await newContext(site.browser);
    const errors: string[] = [];
    try {
      const name = 'blocked-upgrade';
      const old = await tab(errors);
      const a = await tab(errors);
      expect(await call(old, 'holdOldSchema', name)).toBe('open');
      expect(await call(a, 'start', name, 200)).toBe('memory-only');
      expect(await call(a, 'warnings')).toEqual(['idb-unavailable']);
      expect(await call(a, 'ids')).toEqual(['a', 'b', 'c']);
      expect(await call(a, 'remove', 'b')).toBe('committed');
      expect(await call(a, 'ids')).toEqual(['a', 'c']);
      expect(await call(a, 'outcomes')).toEqual(['pending', 'committed']);

      await call(old, 'closeOldSchema');
      // Once the old tab is gone, a reload upgrades the database and reads b's deletion, not a
      // copy from before it.
      await a.reload();
      await a.waitForFunction(() => 'faults' in window);
      expect(await call(a, 'start', name, 5_000)).toBe('idb');
      expect(await call(a, 'ids')).toEqual(['a', 'c']);
      await call(a, 'flush');
      expect(await call(old, 'persisted', name)).toEqual(['/api/users/alice/events']);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
