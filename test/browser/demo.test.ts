/**
 * The demo, built as shipped (`demo/vite.config.ts`), in headless Chromium. Each case is what a
 * person does with the demo's controls; each gets a fresh browser profile (a new context: its own
 * localStorage, so its own mock server data, IndexedDB and service workers) and leaves a
 * screenshot in `test-results/screenshots/demo-<case>.png`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, BrowserContextOptions, CDPSession, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, newContext, SCREENSHOT_DIR, screenshot, startStaticServer, type StaticServer } from './support/chromium';
import {
  afterFetch,
  buildDemo,
  deleteEvent,
  eventIds,
  eventTitles,
  fetchCounts,
  FEED_URL,
  guardUsers,
  horizontalOverflow,
  inDom,
  navigate,
  openDemo,
  pendingMutations,
  pickEvent,
  readCacheDb,
  ready,
  recordFetches,
  readabilityProblems,
  reload,
  serverData,
  setLatency,
  shownError,
  statusCount,
  tracePresence,
  unreachableControls,
  waitGone,
  waitNoPendingMutation,
  waitPresent,
  waitStatus,
  type BuiltDemo,
} from './support/demo';

const DOCS = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs');

/**
 * A screenshot in the test output; the first screen unless `fullPage`. The README's copies in
 * docs/ change only when asked (`npm run screenshots`): a test run leaves the tree as it was.
 */
async function docsScreenshot(page: Page, name: string, fullPage = false): Promise<void> {
  const path = resolve(SCREENSHOT_DIR, `${name}.png`);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path, fullPage });
  if (process.env.NOSTALE_UPDATE_SCREENSHOTS === '1') await copyFile(path, resolve(DOCS, `${name}.png`));
}

describe('the demo in Chromium', () => {
  let built: BuiltDemo;
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let errors: string[] = [];

  beforeAll(async () => {
    built = await buildDemo();
    server = await startStaticServer(built.root);
    browser = await launchChromium();
  }, 600_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
    // Uncaught errors of any page of the case (both tabs included) fail it.
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await built?.dispose();
  });

  /** A fresh profile with the demo loaded in one page; `beforeLoad` runs on the page before it loads. */
  async function open(beforeLoad?: (page: Page) => Promise<void>, options?: BrowserContextOptions): Promise<Page> {
    errors = [];
    context = await newContext(browser, options);
    context.on('weberror', (error) => errors.push(error.error().message));
    // A script that runs (a probe title rendered as HTML) would most likely alert.
    context.on('dialog', (dialog) => {
      errors.push(`page dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    // No simulated latency unless a case asks for it: the cases wait on events, never on time,
    // and 150 ms per request adds up over a suite. Set once: a reload keeps what the case chose.
    await context.addInitScript(() => {
      try {
        if (localStorage.getItem('nostale-demo:controls') === null)
          localStorage.setItem('nostale-demo:controls', JSON.stringify({ latencyMs: 0 }));
      } catch {
        // about:blank and other opaque origins have no localStorage, and no demo either.
      }
    });
    return openDemo(context, server.url, beforeLoad);
  }

  it('removes a deleted event from the DOM at once, while the DELETE is still pending', async () => {
    const page = await open();
    await setLatency(page, 3000);
    const count = (await statusCount(page))!;
    const victim = await pickEvent(page);

    let answered = false;
    page.on('response', (response) => {
      if (response.request().method() === 'DELETE') answered = true;
    });
    const sent = page.waitForRequest((request) => request.method() === 'DELETE');
    const clicked = Date.now();
    await deleteEvent(page, victim.id);
    await waitGone(page, victim.id);
    const goneAfter = Date.now() - clicked;

    // Gone from the DOM, and the server has not answered, nor even applied it (the mock applies
    // a mutation after its latency).
    const request = await sent;
    expect(new URL(request.url()).pathname).toBe(`/api/users/alice/events/${victim.id}`);
    expect(answered).toBe(false);
    expect(await pendingMutations(page)).toBe(1);
    expect((await serverData(page, 'alice')).ids).toContain(victim.id);
    expect(goneAfter).toBeLessThan(3000);
    // The status line counts what the calendar shows, not what the last fetch returned.
    expect(await statusCount(page)).toBe(count - 1);
    await page.locator('[data-testid="pending-mutations"]').filter({ hasText: '1 mutation pending' }).waitFor();

    // The server confirms; the refetch it causes does not bring the event back.
    const response = (await request.response())!;
    expect(response.status()).toBe(204);
    await waitNoPendingMutation(page);
    await waitStatus(page, 'alice', count - 1);
    expect(await inDom(page, victim.id)).toBe(false);
    expect((await serverData(page, 'alice')).ids).not.toContain(victim.id);
    expect(await shownError(page)).toBeUndefined();
    await screenshot(page, 'demo-delete-at-once');
  });

  it('tells the story side by side: without nostale a deleted event comes back; with nostale, never', async () => {
    const page = await open(undefined, { viewport: { width: 1440, height: 900 } });
    // One backend, one month: both calendars start with the same events.
    const shownAtStart = await eventIds(page);
    expect(shownAtStart.length).toBeGreaterThan(0);
    expect(await eventIds(page, 'naive-calendar')).toEqual(shownAtStart);
    const count = (await statusCount(page))!;
    expect(await statusCount(page, 'naive-calendar')).toBe(count);

    const victim = await pickEvent(page);
    await deleteEvent(page, victim.id);
    await waitGone(page, victim.id);
    await waitNoPendingMutation(page);
    // The app without nostale drops it too, once the server has confirmed.
    await waitGone(page, victim.id, 'naive-calendar');
    await waitStatus(page, 'alice', count - 1);
    await waitStatus(page, 'alice', count - 1, 'naive-calendar');
    expect((await serverData(page, 'alice')).ids).not.toContain(victim.id);

    /** Where the event stands on each side, and what the strip says of it. */
    const sides = async () => ({
      naive: await inDom(page, victim.id, 'naive-calendar'),
      nostale: await inDom(page, victim.id),
      verdict: [
        await page.locator('[data-testid="verdict-naive"]').textContent(),
        await page.locator('[data-testid="verdict-nostale"]').textContent(),
      ],
    });
    const back = { naive: true, nostale: false, verdict: ['Without nostale: shows it again ✗', 'With nostale: gone ✓'] };

    // 1. Previous month and back, with the strip's button: both calendars read the month again.
    const before = await fetchCounts(page);
    await page.locator('[data-testid="back-and-forth"]').click();
    // Two fetches each: the previous month, then this one again.
    await page.waitForFunction(
      (counts) =>
        Object.entries(counts).every(
          ([id, n]) => Number(document.querySelector<HTMLElement>(`[data-testid="${id}"]`)!.dataset.fetches) >= n + 2,
        ),
      before,
    );
    expect(await sides()).toEqual(back);
    expect(await page.locator('[data-testid="naive-answered-by"]').textContent()).toMatch(/^Answered by the browser's HTTP cache/);
    expect(await eventIds(page)).toEqual(shownAtStart.filter((id) => id !== victim.id));
    expect(await page.locator(`[data-testid="naive-calendar"] [data-event-id="${victim.id}"]`).first().getAttribute('class')).toContain(
      'came-back',
    );
    // Readable with the verdict and the panel's log full of the story, too.
    expect(await readabilityProblems(page)).toEqual([]);
    await docsScreenshot(page, 'screenshot');

    // 2. A reload.
    await reload(page);
    expect(await sides()).toEqual(back);
    expect(await statusCount(page)).toBe(count - 1);
    expect(await statusCount(page, 'naive-calendar')).toBe(count);

    // 3. A second tab: the same profile, the same (stale) caches on the left.
    const [other] = await Promise.all([context!.waitForEvent('page'), page.locator('[data-testid="open-tab"]').click()]);
    await ready(other);
    expect(await inDom(other, victim.id, 'naive-calendar')).toBe(true);
    expect(await inDom(other, victim.id)).toBe(false);
    await other.close();

    // The panel said what happened in words, and nothing that means "nothing happened".
    const log = await page.locator('[data-testid="event-log"] li').allTextContents();
    expect(log.join('\n')).toMatch(/served from (memory|the copy saved in IndexedDB), version checked: unchanged/);
    expect(log.join('\n')).not.toMatch(/→ (\S+) .*\b\1\b|0 saved cop|undefined|\[object/);
    expect(await shownError(page)).toBeUndefined();
    await screenshot(page, 'demo-story-after-reload');
  });

  it('fits a phone: no sideways scrolling from 360 px, every control reachable, the dialog whole', async () => {
    const page = await open(undefined, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    expect(await horizontalOverflow(page)).toEqual({ scrollWidth: 390, innerWidth: 390 });
    expect(await unreachableControls(page)).toEqual([]);
    expect(await readabilityProblems(page)).toEqual([]);

    // One column: the calendar without nostale, the one with it, then the panel, which folds.
    const box = async (testId: string) => (await page.locator(`[data-testid="${testId}"]`).boundingBox())!;
    const [naive, nostale, panel] = [await box('side-naive'), await box('side-nostale'), await box('panel')];
    expect(nostale.y).toBeGreaterThanOrEqual(naive.y + naive.height);
    expect(panel.y).toBeGreaterThanOrEqual(nostale.y + nostale.height);
    // Right below the calendar, not a screen further down.
    expect(panel.y - (nostale.y + nostale.height)).toBeLessThan(40);
    const summary = page.locator('[data-testid="panel"] > summary');
    await summary.click();
    expect(await page.locator('[data-testid="panel"]').evaluate((el) => (el as HTMLDetailsElement).open)).toBe(false);
    expect(await page.locator('[data-testid="event-log"]').isVisible()).toBe(false);
    await summary.click();
    expect(await page.locator('[data-testid="event-log"]').isVisible()).toBe(true);
    await page.evaluate(() => scrollTo(0, 0));
    await docsScreenshot(page, 'screenshot-phone');

    // The dialog: both buttons inside the screen.
    const victim = await pickEvent(page);
    await page.locator(`[data-testid="calendar"] [data-event-id="${victim.id}"]`).first().tap();
    const dialog = page.locator('[data-testid="event-dialog"]');
    await dialog.waitFor({ state: 'visible' });
    for (const button of ['dialog-close', 'dialog-delete']) {
      const b = (await dialog.locator(`[data-testid="${button}"]`).boundingBox())!;
      expect(b.x, button).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width, button).toBeLessThanOrEqual(390);
      expect(b.y + b.height, button).toBeLessThanOrEqual(844);
    }
    expect(await unreachableControls(page, '[data-testid="event-dialog"]')).toEqual([]);
    await screenshot(page, 'demo-phone-dialog');
    await dialog.locator('[data-testid="dialog-close"]').tap();

    // The offline switch and the error line, at the narrowest width supported.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('[data-testid="offline"]').tap();
    await navigate(page, 'next');
    await navigate(page, 'next');
    expect((await shownError(page))?.kind).toBe('load');
    expect(await horizontalOverflow(page)).toEqual({ scrollWidth: 360, innerWidth: 360 });
    expect(await unreachableControls(page)).toEqual([]);
    expect(await readabilityProblems(page)).toEqual([]);
    await page.evaluate(() => scrollTo(0, 0));
    await screenshot(page, 'demo-phone-360-offline');
  });

  it('works from the keyboard: Enter twice deletes nothing, focus comes back, Tab then Enter deletes', async () => {
    const page = await open();
    const count = (await statusCount(page))!;
    const victim = await pickEvent(page);
    const dialog = page.locator('[data-testid="event-dialog"]');
    const focused = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return {
          testId: el?.dataset.testid,
          eventId: el?.dataset.eventId,
          date: el?.dataset.date,
          calendar: el?.closest('[data-testid$="calendar"]')?.getAttribute('data-testid'),
        };
      });

    await page.locator(`[data-testid="calendar"] [data-event-id="${victim.id}"]`).first().focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'visible' });
    expect(await focused()).toMatchObject({ testId: 'dialog-close' });
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused()).toMatchObject({ eventId: victim.id, calendar: 'calendar' });
    expect(await inDom(page, victim.id)).toBe(true);
    expect(await pendingMutations(page)).toBe(0);
    expect((await serverData(page, 'alice')).ids).toContain(victim.id);

    // Escape closes it too, and the focus comes back the same way.
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused()).toMatchObject({ eventId: victim.id });

    // Deleting takes a deliberate Tab to the Delete button.
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'visible' });
    await page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ testId: 'dialog-delete' });
    await page.keyboard.press('Enter');
    await waitGone(page, victim.id);
    // The event is gone: the focus is on its day, in the same calendar, not lost to <body>.
    const after = await focused();
    expect(after.calendar).toBe('calendar');
    expect(after.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await statusCount(page)).toBe(count - 1);
    await waitNoPendingMutation(page);
    expect((await serverData(page, 'alice')).ids).not.toContain(victim.id);
    expect(await statusCount(page)).toBe(count - 1);
    await screenshot(page, 'demo-keyboard');
  });

  it('renders every text from the server as text, with the probes on one day, and reads at 12 px and 4.5:1', async () => {
    const page = await open();
    const probes = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('[data-testid$="calendar"] [data-event-id]')]
        .map((el) => ({
          title: el.querySelector('.fc-event-title')?.textContent ?? '',
          day: el.closest('td[data-date]')?.getAttribute('data-date'),
        }))
        .filter((event) => event.title.startsWith('Probe: ')),
    );
    const titles = probes.map((probe) => probe.title.replace(/ #\d+$/, ''));
    for (const probe of ['<script>alert(1)</script>', 'R&amp;D wiki', '<b>bold</b>', '<img src=x onerror=alert(1)>']) {
      expect(titles).toContain(`Probe: ${probe}`);
    }
    // All on one day, in both calendars (each shows them once).
    expect(new Set(probes.map((probe) => probe.day)).size).toBe(1);
    expect(probes.length).toBe(2 * new Set(titles).size);
    // The ordinary titles look ordinary: no markup, no escaped entities.
    const ordinary = (await eventTitles(page)).filter((title) => !title.startsWith('Probe: '));
    expect(ordinary.length).toBeGreaterThan(20);
    expect(ordinary.filter((title) => /[<>]|&amp;/.test(title))).toEqual([]);

    // Nothing became markup, anywhere a title shows: calendars, dialog, panel.
    const img = probes.find((probe) => probe.title.includes('<img'))!;
    const chip = page.locator('[data-testid="calendar"] [data-event-id]', { hasText: img.title }).first();
    await chip.evaluate((el) => (el as HTMLElement).click());
    await page.locator('[data-testid="dialog-title"]').filter({ hasText: img.title }).waitFor();
    const markup = await page.evaluate(
      () => document.querySelectorAll('#app img, #app script, #app b, dialog img, dialog script, dialog b').length,
    );
    expect(markup).toBe(0);
    expect(await readabilityProblems(page)).toEqual([]);
    await page.keyboard.press('Escape');
    expect(await readabilityProblems(page)).toEqual([]);
    await screenshot(page, 'demo-probes');
  });

  it('never lets the browser HTTP cache answer the feed: no-store requests, no-cache responses', async () => {
    interface Seen {
      url: string;
      method: string;
      servedFromCache: boolean;
      response?: {
        status: number;
        fromDiskCache: boolean;
        fromPrefetchCache?: boolean;
        fromServiceWorker?: boolean;
        source?: string;
        headers: Record<string, string>;
      };
      networkHeaders?: Record<string, string>;
    }
    const seen = new Map<string, Seen>();
    // Observed from before the first load: every request of the page, first feed read included.
    let cdp: CDPSession | undefined;
    const page = await open(async (fresh) => {
      await fresh.addInitScript(recordFetches);
      const session = await context!.newCDPSession(fresh);
      cdp = session;
      session.on('Network.requestWillBeSent', (event) => {
        // Its ExtraInfo may have come first.
        const entry = seen.get(event.requestId);
        seen.set(event.requestId, { servedFromCache: false, ...entry, url: event.request.url, method: event.request.method });
      });
      session.on('Network.requestServedFromCache', (event) => {
        const entry = seen.get(event.requestId);
        if (entry) entry.servedFromCache = true;
      });
      session.on('Network.responseReceived', (event) => {
        const entry = seen.get(event.requestId);
        if (!entry) return;
        const { status, fromDiskCache, fromPrefetchCache, fromServiceWorker, serviceWorkerResponseSource, headers } = event.response;
        entry.response = {
          status,
          fromDiskCache: fromDiskCache ?? false,
          fromPrefetchCache,
          fromServiceWorker,
          source: serviceWorkerResponseSource,
          headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)])),
        };
      });
      // Headers as they left for the network (only requests that reach it have these). Chromium
      // sends this before or after requestWillBeSent, even after the response.
      session.on('Network.requestWillBeSentExtraInfo', (event) => {
        const entry = seen.get(event.requestId);
        const headers = Object.fromEntries(Object.entries(event.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
        if (entry) entry.networkHeaders = headers;
        else seen.set(event.requestId, { url: '', method: '', servedFromCache: false, networkHeaders: headers });
      });
      await session.send('Network.enable');
    });

    const feeds = () => [...seen.values()].filter((entry) => FEED_URL.test(entry.url));
    const hits = () => page.evaluate(() => window.__nostaleDemo!.client.stats().hits);

    // The first read and a month not seen yet go to the network (the mock, through the service worker).
    expect(feeds()).toHaveLength(1);
    await navigate(page, 'prev');
    expect(feeds()).toHaveLength(2);
    // Back to a month seen: nostale answers after a version check, without a feed request.
    const hitsBefore = await hits();
    await navigate(page, 'next');
    expect(feeds()).toHaveLength(2);
    expect(await hits()).toBeGreaterThan(hitsBefore);
    // A reload: memory is gone, IndexedDB answers after a version check; no HTTP cache either way.
    const log = await page.evaluate(() => window.__demoFetchLog!);
    await reload(page);
    await navigate(page, 'prev');
    await navigate(page, 'next');

    const feedRequests = feeds();
    expect(feedRequests.length).toBeGreaterThanOrEqual(2);
    // nostale's requests only: the calendar without nostale reads `/api/naive/…`, cacheable on purpose.
    const ours = (url: string) => url.includes('/api/') && !url.includes('/api/naive/');
    for (const request of [...seen.values()].filter((entry) => ours(entry.url))) {
      expect(request.servedFromCache, request.url).toBe(false);
      expect(request.response, request.url).toBeDefined();
      expect(request.response!.fromDiskCache, request.url).toBe(false);
      expect(request.response!.fromPrefetchCache ?? false, request.url).toBe(false);
      // The mock answers from the worker's code, never from Cache Storage or the HTTP cache.
      expect(request.response!.fromServiceWorker, request.url).toBe(true);
      expect(['cache-storage', 'http-cache']).not.toContain(request.response!.source);
      expect(request.response!.headers['cache-control'], request.url).toMatch(/\bno-(cache|store)\b/);
    }
    for (const request of feedRequests) expect(request.response!.status).toBe(200);

    // What the client asked for, on every API request of both documents (first load included).
    log.push(...(await page.evaluate(() => window.__demoFetchLog!)));
    const api = log.filter((entry) => ours(entry.url));
    expect(api.filter((entry) => FEED_URL.test(entry.url)).length).toBeGreaterThanOrEqual(2);
    expect(api.filter((entry) => entry.cache !== 'no-store')).toEqual([]);

    // The same feed read with the service worker out of the way reaches the real network, so the
    // headers Chromium adds for `cache: 'no-store'` show (the static server has no API: 404).
    await cdp!.send('Network.setBypassServiceWorker', { bypass: true });
    const before = seen.size;
    await navigate(page, 'next');
    await cdp!.send('Network.setBypassServiceWorker', { bypass: false });
    const bypassed = [...seen.values()].slice(before).filter((entry) => FEED_URL.test(entry.url));
    expect(bypassed).toHaveLength(1);
    const [direct] = bypassed as [Seen];
    expect(direct.response?.fromServiceWorker).toBe(false);
    expect(direct.response?.status).toBe(404);
    expect(direct.servedFromCache).toBe(false);
    await expect.poll(() => direct.networkHeaders).toMatchObject({ 'cache-control': 'no-cache', pragma: 'no-cache' });
    expect((await shownError(page))?.kind).toBe('load');

    await navigate(page, 'prev');
    expect(await shownError(page)).toBeUndefined();
    await cdp!.detach();
    await screenshot(page, 'demo-no-http-cache');
  });

  it("keeps users apart: alice's delete leaves bob's calendar alone, and bob never sees alice's events", async () => {
    const page = await open();
    const leaks = await guardUsers(page);
    const select = page.locator('[data-testid="user-select"]');
    const switchTo = (user: 'alice' | 'bob') => afterFetch(page, () => select.selectOption(user));

    await switchTo('bob');
    const bobServer = await serverData(page, 'bob');
    const bobIds = await eventIds(page);
    const bobCount = await statusCount(page);
    expect(bobIds.length).toBeGreaterThan(0);
    for (const title of await eventTitles(page)) expect(title).toMatch(/^\[Bob\] /);

    await switchTo('alice');
    const count = (await statusCount(page))!;
    const victim = await pickEvent(page);
    await deleteEvent(page, victim.id);
    await waitGone(page, victim.id);
    await waitNoPendingMutation(page);
    await waitStatus(page, 'alice', count - 1);
    for (const title of await eventTitles(page)) expect(title).not.toMatch(/^\[Bob\]/);

    // bob's data (same version, same events) and calendar are as they were.
    expect(await serverData(page, 'bob')).toEqual(bobServer);
    await switchTo('bob');
    expect(await eventIds(page)).toEqual(bobIds);
    expect(await statusCount(page)).toBe(bobCount);
    for (const title of await eventTitles(page)) expect(title).toMatch(/^\[Bob\] /);

    // The profile now remembers bob: a reload starts as bob, over a cache that holds alice's
    // entries too (kept on switch by default), and still shows only bob's.
    expect(await leaks()).toEqual([]);
    await expect
      .poll(async () => new Set((await readCacheDb(page))?.entries.map((entry) => entry.namespace)))
      .toEqual(new Set(['alice', 'bob']));
    await reload(page);
    const leaksAfterReload = await guardUsers(page);
    expect(await select.inputValue()).toBe('bob');
    expect(await eventIds(page)).toEqual(bobIds);
    for (const title of await eventTitles(page)) expect(title).toMatch(/^\[Bob\] /);

    await switchTo('alice');
    expect(await inDom(page, victim.id)).toBe(false);
    for (const title of await eventTitles(page)) expect(title).not.toMatch(/^\[Bob\]/);
    await switchTo('bob');
    expect(await eventIds(page)).toEqual(bobIds);

    expect(await leaksAfterReload()).toEqual([]);
    await screenshot(page, 'demo-users');
  });

  it('drops an event deleted in another tab without a reload', async () => {
    const page = await open();
    const [other] = await Promise.all([context!.waitForEvent('page'), page.locator('[data-testid="open-tab"]').click()]);
    await ready(other);
    await other.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    expect(await eventIds(other)).toEqual(await eventIds(page));

    // The tab that acts is the focused one, as when a person clicks in it. (Chromium throttles
    // animation frames of the other one, which slows Playwright's actionability checks.)
    await page.bringToFront();
    const count = (await statusCount(page))!;
    const victim = await pickEvent(page);
    expect(await inDom(other, victim.id)).toBe(true);
    await deleteEvent(page, victim.id);
    await waitGone(page, victim.id);
    await waitGone(other, victim.id);
    await waitStatus(other, 'alice', count - 1);
    expect(await other.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await eventIds(other)).toEqual(await eventIds(page));
    // The other tab learned the new version from this one, not by reloading or polling.
    await other.locator('[data-testid="event-log"] li[data-type="version"]', { hasText: 'learned from another tab' }).first().waitFor();
    await other.bringToFront();
    await screenshot(other, 'demo-two-tabs');
  });

  it('puts an event back and says so when the server fails the delete', async () => {
    const page = await open();
    await setLatency(page, 1000);
    await page.locator('[data-testid="fail-next"]').check();
    const victim = await pickEvent(page);
    const trace = await tracePresence(page, victim.id);

    await deleteEvent(page, victim.id);
    await waitGone(page, victim.id);
    await waitPresent(page, victim.id);
    await waitNoPendingMutation(page);

    expect(await trace()).toEqual([true, false, true]);
    const error = await shownError(page);
    expect(error?.kind).toBe('delete');
    expect(error?.text).toContain(`Could not delete “${victim.title}”: the server answered 500. It is back on the calendar.`);
    expect((await serverData(page, 'alice')).ids).toContain(victim.id);
    // "Fail next" was used up; the control follows the mock.
    await expect.poll(() => page.locator('[data-testid="fail-next"]').isChecked()).toBe(false);
    await screenshot(page, 'demo-delete-fails');
  });

  it('notices a deploy, applies it with a reload, and keeps nothing of the old build in IndexedDB', async () => {
    const page = await open();
    expect(await page.evaluate(() => window.__nostaleDemo!.build.running)).toBe('1');
    // The first build's entries are persisted (writes are batched).
    await expect.poll(async () => (await readCacheDb(page))?.entries.filter((entry) => entry.build === '1').length ?? 0).toBeGreaterThan(0);

    await page.locator('[data-testid="simulate-deploy"]').click();
    await expect.poll(() => page.locator('[data-testid="build-info"]').textContent()).toBe('build 1 · deployed 2');
    const banner = page.locator('[data-testid="update-banner"]');
    await banner.waitFor({ state: 'visible', timeout: 20_000 });
    expect(await banner.getAttribute('data-build')).toBe('2');
    // The banner pushes the calendar down, never covers it: every event and button of it can be
    // scrolled to and clicked.
    expect(await unreachableControls(page, '[data-testid="calendar"]')).toEqual([]);
    await screenshot(page, 'demo-deploy-banner');

    await page.locator('[data-testid="update-apply"]').click();
    await page.waitForFunction(() => window.__nostaleDemo?.build.running === '2', undefined, { timeout: 20_000 });
    await ready(page);

    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js\?build=2$/);
    expect(await page.locator('[data-testid="build-info"]').textContent()).toBe('build 2');
    expect(await banner.isHidden()).toBe(true);
    expect((await eventIds(page)).length).toBeGreaterThan(0);

    const right = await readCacheDb(page);
    expect(right?.build).toBe('2');
    expect(right?.entries.filter((entry) => entry.build !== '2')).toEqual([]);
    // The new build caches for itself, and only for itself.
    await expect.poll(async () => (await readCacheDb(page))?.entries.length ?? 0).toBeGreaterThan(0);
    expect((await readCacheDb(page))?.entries.filter((entry) => entry.build !== '2')).toEqual([]);
    await screenshot(page, 'demo-deploy');
  });

  it('works offline from IndexedDB after a reload, and rolls back a delete made offline', async () => {
    const page = await open();
    const current = await eventIds(page);
    await navigate(page, 'prev');
    const previous = await eventIds(page);
    await navigate(page, 'next');
    expect(await eventIds(page)).toEqual(current);
    // Both months are in IndexedDB before the reload (writes are batched).
    await expect.poll(async () => (await readCacheDb(page))?.entries.filter((entry) => FEED_URL.test(entry.url)).length ?? 0).toBe(2);

    await page.locator('[data-testid="offline"]').check();
    await reload(page);
    expect(await page.locator('[data-testid="offline"]').isChecked()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.classList.contains('is-offline'))).toBe(true);
    expect(await eventIds(page)).toEqual(current);
    expect(await shownError(page)).toBeUndefined();
    await navigate(page, 'prev');
    expect(await eventIds(page)).toEqual(previous);
    await navigate(page, 'next');
    expect(await eventIds(page)).toEqual(current);

    // A month never fetched cannot be shown, and says so.
    await navigate(page, 'next');
    expect((await shownError(page))?.kind).toBe('load');
    await navigate(page, 'prev');
    expect(await eventIds(page)).toEqual(current);

    const victim = await pickEvent(page);
    const trace = await tracePresence(page, victim.id);
    await deleteEvent(page, victim.id);
    await waitNoPendingMutation(page);
    await waitPresent(page, victim.id);
    expect(await trace()).toEqual([true, false, true]);
    const error = await shownError(page);
    expect(error?.kind).toBe('delete');
    expect(error?.text).toContain(`Could not delete “${victim.title}”: the network is unreachable. It is back on the calendar.`);
    expect(await eventIds(page)).toEqual(current);
    await screenshot(page, 'demo-offline');
  });
});
