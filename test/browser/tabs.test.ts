import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext } from './support/chromium';
import { openReady, servePage, type ServedPage } from './support/serve-page';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>nostale tabs</title>
<script type="module" src="./app.js"></script>`;

/**
 * The page: a client over tieredStore(idbStore()) (one database for every tab), synced, whose
 * `fetch` is an in-page server answering as the user of the session, kept in localStorage: one
 * session for every tab of the context, as a cookie is. The page starts as that user, as a
 * server-rendered page would. Writes reaching the persistent tier are counted per tab.
 */
const ENTRY = `
import { createClient } from './src/index.ts';
import { idbStore, tieredStore } from './src/idb.ts';
import { syncTabs } from './src/sync.ts';

let calls = 0;
const server = async (input) => {
  calls++;
  const url = new URL(String(input));
  const body = JSON.stringify({ user: localStorage.getItem('user') ?? 'alice', path: url.pathname, value: localStorage.getItem('value') ?? 'v1' });
  return new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'max-age=600' } });
};

const idb = idbStore({ name: 'nostale-tabs', pruneDelay: false });
const writes = [];
const persistent = new Proxy(idb, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (typeof value !== 'function') return value;
    return (...args) => {
      if (['set', 'delete', 'remove', 'clear'].includes(prop)) writes.push(prop);
      return value.apply(target, args);
    };
  },
});
const client = createClient({ fetch: server, store: tieredStore(persistent), namespace: localStorage.getItem('user') ?? 'alice' });
syncTabs(client);
const remote = [];
client.subscribe((event) => {
  if ('origin' in event && event.origin === 'remote') remote.push(event.type);
});

const records = () =>
  new Promise((resolve, reject) => {
    const open = indexedDB.open('nostale-tabs');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const all = db.transaction('entries').objectStore('entries').getAll();
      all.onsuccess = () => {
        db.close();
        resolve(all.result.map((r) => ({ namespace: r.namespace, url: r.url, body: JSON.parse(r.body) })));
      };
      all.onerror = () => reject(all.error);
    };
  });

window.app = {
  read: (path) => client.get(path),
  calls: () => calls,
  login: (user) => {
    localStorage.setItem('user', user);
    client.namespace = user;
  },
  namespace: () => client.namespace,
  write: (value) => localStorage.setItem('value', value),
  invalidate: (url) => client.invalidate({ url }),
  remote: () => remote.slice(),
  writes: () => writes.slice(),
  forget: () => void writes.splice(0),
  flush: () => idb.flush(),
  records,
};
document.documentElement.dataset.ready = 'true';
`;

interface Body {
  user: string;
  path: string;
  value: string;
}
interface App {
  read(path: string): Promise<Body>;
  calls(): number;
  login(user: string): void;
  namespace(): string;
  write(value: string): void;
  invalidate(url: string): Promise<void>;
  remote(): string[];
  writes(): string[];
  forget(): void;
  flush(): Promise<void>;
  records(): Promise<{ namespace: string; url: string; body: Body }[]>;
}
declare const app: App;

describe('two tabs in Chromium over one session and one IndexedDB', () => {
  let site: ServedPage;

  beforeAll(async () => {
    site = await servePage({ name: 'tabs', html: PAGE, app: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'tabs-page.ts' } });
  }, 600_000);

  afterAll(() => site?.close());

  async function twoTabs(): Promise<{ context: BrowserContext; one: Page; two: Page; open: () => Promise<Page> }> {
    const context = await newContext(site.browser);
    const open = () => openReady(context, site.url);
    return { context, one: await open(), two: await open(), open };
  }

  it("a login in one tab switches the other, and bob's answers are never filed under alice", async () => {
    const { context, one, two } = await twoTabs();
    try {
      expect(await two.evaluate(() => app.read('/api/profile'))).toMatchObject({ user: 'alice' });
      await one.evaluate(() => app.login('bob'));
      await two.waitForFunction(() => app.namespace() === 'bob');
      expect(await two.evaluate(() => app.read('/api/inbox'))).toMatchObject({ user: 'bob' });
      await two.evaluate(() => app.flush());
      const records = await two.evaluate(() => app.records());
      expect(records.length).toBeGreaterThan(1);
      for (const record of records) expect(record.body.user, `${record.url} under ${record.namespace}`).toBe(record.namespace);
    } finally {
      await context.close();
    }
  });

  it('a drop in one tab writes nothing to IndexedDB in the other, and stays gone there and after a reload', async () => {
    const { context, one, two, open } = await twoTabs();
    try {
      expect(await one.evaluate(() => app.read('/api/items'))).toMatchObject({ value: 'v1' });
      await one.evaluate(() => app.flush());
      expect(await two.evaluate(() => app.read('/api/items'))).toMatchObject({ value: 'v1' });
      await two.evaluate(() => app.flush());
      await two.waitForTimeout(20);
      await two.evaluate(() => app.forget());

      await one.evaluate(() => app.write('v2'));
      await one.evaluate(() => app.invalidate('/api/items'));
      await two.waitForFunction(() => app.remote().includes('invalidate'));
      await two.evaluate(() => app.flush());
      expect(await two.evaluate(() => app.writes())).toEqual([]);
      expect((await two.evaluate(() => app.records())).filter((r) => r.url.endsWith('/api/items'))).toEqual([]);
      // A new page over the same database (a reload) asks the server.
      const three = await open();
      expect(await three.evaluate(() => app.read('/api/items'))).toMatchObject({ value: 'v2' });
      expect(await three.evaluate(() => app.calls())).toBe(1);
      // And the tab told reads the new answer (which three has put on disk meanwhile).
      expect(await two.evaluate(() => app.read('/api/items'))).toMatchObject({ value: 'v2' });
    } finally {
      await context.close();
    }
  });
});
