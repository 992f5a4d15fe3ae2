import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newContext } from './support/chromium';
import { openReady, type ServedPage, servePage } from './support/serve-page';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>nostale revalidate</title>
<p>version checks: <output id="checks">0</output></p>
<script type="module" src="./app.js"></script>`;

/**
 * The page: a client polling its scope's version endpoint every 200 ms, synced with the other
 * tabs. Its `fetch` is an in-page server backed by localStorage (shared by every tab of the
 * context), counting this tab's requests to the version endpoint.
 */
const ENTRY = `
import { createClient } from './src/index.ts';
import { syncTabs } from './src/sync.ts';
import { revalidate } from './src/revalidate.ts';

let checks = 0;
const server = async (input) => {
  const url = new URL(String(input));
  const version = localStorage.getItem('version') ?? '1';
  if (url.pathname === '/api/version') {
    checks++;
    localStorage.setItem('checks', String(Number(localStorage.getItem('checks') ?? 0) + 1));
    document.getElementById('checks').textContent = String(checks);
    return Response.json({ version });
  }
  if (url.pathname !== '/api/items') return new Response('not found', { status: 404 });
  return Response.json({ version }, { headers: { 'cache-control': 'max-age=600', 'x-cache-version': version } });
};

const client = createClient({ fetch: server, routes: [{ match: '/api/items*', scope: 'items', versionUrl: '/api/version' }] });
syncTabs(client);
const remote = [];
client.subscribe((event) => {
  if (event.type === 'version' && event.origin === 'remote') remote.push(event.version);
});
await client.get('/api/items');
revalidate(client, { interval: 200, focus: false });

window.app = {
  checks: () => checks,
  remote: () => remote.slice(),
  token: () => client.scopes().find((s) => s.scope === 'items')?.token,
  bump: (version) => localStorage.setItem('version', version),
  visibility: () => document.visibilityState,
};
document.documentElement.dataset.ready = 'true';
`;

interface App {
  checks(): number;
  remote(): string[];
  token(): string | undefined;
  bump(version: string): void;
  visibility(): string;
}
declare const app: App;

describe('revalidation across tabs in Chromium', () => {
  let site: ServedPage;

  beforeAll(async () => {
    site = await servePage({
      name: 'revalidate',
      html: PAGE,
      app: { contents: ENTRY, resolveDir: REPO_ROOT, sourcefile: 'revalidate-page.ts' },
    });
  }, 600_000);

  afterAll(() => site?.close());

  it('exactly one tab polls; the other learns through sync; when the poller closes, the other takes over', async () => {
    const context = await newContext(site.browser);
    try {
      const open = () => openReady(context, site.url);
      const one = await open();
      const two = await open();
      // Both tabs are visible (headless pages are), so both take part in the election.
      expect([await one.evaluate(() => app.visibility()), await two.evaluate(() => app.visibility())]).toEqual(['visible', 'visible']);

      const checks = (page: Page) => page.evaluate(() => app.checks());
      // Wait for several polls in all (counted in the tabs' shared localStorage); then see who made them.
      await one.waitForFunction(() => Number(localStorage.getItem('checks')) >= 5);
      const counts = [await checks(one), await checks(two)];
      expect(counts.filter((n) => n === 0)).toHaveLength(1);
      const [leader, follower] = counts[0]! > 0 ? [one, two] : [two, one];

      // A new version: the leader's poll learns it, the follower hears it through sync.
      await leader.evaluate(() => app.bump('2'));
      await follower.waitForFunction(() => app.remote().includes('2'));
      expect(await follower.evaluate(() => app.token())).toBe('2');
      expect(await checks(follower)).toBe(0);

      // The leader closes: its lock is released and the follower starts polling.
      await leader.close();
      await follower.waitForFunction(() => app.checks() >= 3);
    } finally {
      await context.close();
    }
  });
});
