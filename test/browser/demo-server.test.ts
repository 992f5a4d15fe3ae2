import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../../demo/server/app';
import { launchChromium, newContext, screenshot } from './support/chromium';
import {
  type BuiltDemo,
  buildDemo,
  deleteEvent,
  eventIds,
  FEED_URL,
  navigate,
  openDemo,
  pickEvent,
  reload,
  waitGone,
  waitNoPendingMutation,
} from './support/demo';

/**
 * `npm run demo -- --server`: the demo against the Node companion of `nostale/server` over real
 * HTTP (no mock, no service-worker interception of the API), built as it is served.
 */
describe('the demo against the real Node backend', () => {
  let built: BuiltDemo;
  let backend: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    built = await buildDemo({ api: '/api/' });
    backend = await startDemoServer({ staticDir: built.root });
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await backend?.close();
    await built?.dispose();
  });

  it('reads versioned feeds from the server, and a deleted event stays gone across navigation and reloads', async () => {
    const context = await newContext(browser);
    const feeds: { status: number; version: string | null; etag: string | null }[] = [];
    const page = await openDemo(context, backend.url, async (p) => {
      p.on('response', (response) => {
        if (FEED_URL.test(response.url())) {
          feeds.push({
            status: response.status(),
            version: response.headers()['x-cache-version'] ?? null,
            etag: response.headers().etag ?? null,
          });
        }
      });
    });
    // Real responses from the companion: a version token and a weak ETag on every feed answer.
    expect(feeds.length).toBeGreaterThan(0);
    for (const feed of feeds) {
      expect(feed.version).toMatch(/^\d+$/);
      expect(feed.etag).toMatch(/^W\//);
    }
    const { id } = await pickEvent(page);
    await deleteEvent(page, id);
    await waitGone(page, id);
    await waitNoPendingMutation(page);

    await navigate(page, 'prev');
    await navigate(page, 'next');
    expect(await eventIds(page)).not.toContain(id);
    await reload(page);
    expect(await eventIds(page)).not.toContain(id);
    // Navigating back was answered by the server after the delete: the versions moved on.
    const versions = new Set(feeds.map((f) => f.version));
    expect(versions.size).toBeGreaterThan(1);
    await screenshot(page, 'demo-server/after-delete');
    await context.close();
  });
});
