import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { calendarHtml } from './support/bundle';
import type { Scenarios } from './support/calendar-app';
import { newContext, screenshot } from './support/chromium';
import { servePage, type ServedPage } from './support/serve-page';

const HERE = dirname(fileURLToPath(import.meta.url));

describe('nostale/fullcalendar in Chromium (FullCalendar 6, dayGridMonth)', () => {
  let site: ServedPage;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    site = await servePage({
      name: 'fullcalendar',
      html: calendarHtml('loading'),
      // The page the calendar benchmark builds with buildPage: inline source map, production checks.
      app: { entry: resolve(HERE, 'support/calendar-app.ts'), sourcemap: true, production: true },
    });
  }, 600_000);

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(() => site?.close());

  /** A fresh context (own localStorage, so own backend data) with the app loaded. */
  async function openPage(): Promise<Page> {
    context = await newContext(site.browser);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(site.url);
    await page.waitForFunction(() => document.title === 'ready');
    expect(errors).toEqual([]);
    return page;
  }

  function run<K extends keyof Scenarios>(
    page: Page,
    name: K,
    ...args: Parameters<Scenarios[K]>
  ): Promise<Awaited<ReturnType<Scenarios[K]>>> {
    return page.evaluate(
      ([scenario, params]) => {
        const scenarios = (window as unknown as { scenarios: Record<string, (...a: unknown[]) => Promise<unknown>> }).scenarios;
        return scenarios[scenario]!(...params);
      },
      [name, args] as const,
    ) as Promise<Awaited<ReturnType<Scenarios[K]>>>;
  }

  it('removes the event at once (gone by the next frame), keeps it gone across navigation, and after a reload over IndexedDB', async () => {
    const page = await openPage();
    const result = await run(page, 'deleteAndNavigate');
    expect(result.atOnce).toEqual({ shown: 0, inDom: false });
    // Gone before the next frame is painted. How long that takes (warm, 1k/10k events) is
    // measured by bench/calendar.bench.ts; a single cold run here would only measure the JIT.
    expect(result.inDomNextFrame).toBe(false);
    expect(result.whilePending).toBe(0);
    expect(result.result).toEqual({ removed: [result.victim], refetched: false });
    expect(result.afterCommit).toBe(0);
    expect(result.version).toBe('2');
    await screenshot(page, 'fullcalendar/after-delete');

    expect(await run(page, 'persist')).toBe('idb');

    // A reload starts a new client over the same IndexedDB. Offline, so the month can only come
    // from the store (stale-if-error): it must not bring the deleted event back.
    await page.reload();
    await page.waitForFunction(() => document.title === 'ready');
    const offline = await run(page, 'show', result.victim, true);
    expect(offline.errors).toBeGreaterThan(0);
    expect(offline.shown).toBe(0);
    expect(offline.total).toBeGreaterThan(5);
    const online = await run(page, 'show', result.victim, false);
    expect(online).toMatchObject({ shown: 0, total: offline.total, errors: 0 });
  });

  it('paintFirst: hidden at once and in the next frame, removed from FullCalendar after the paint', async () => {
    const page = await openPage();
    const result = await run(page, 'paintFirst');
    expect(result.atOnce).toEqual({ hidden: true, inStore: 1 });
    expect(result.hiddenAtFrame).toBe(true);
    expect(result.afterPaint).toEqual({ inStore: 0, inDom: false });
    expect(result.result.refetched).toBe(false);
    expect(result.final).toBe(0);
  });

  it('puts the event back in its source on a server 500 and reports the error; a refetch shows it once', async () => {
    const page = await openPage();
    const result = await run(page, 'serverError');
    expect(result.error).toMatchObject({ name: 'MutationError', status: 500, reason: 'http' });
    expect(result.reported).toBe(1);
    expect(result).toMatchObject({ shown: 1, inDom: true, source: 'feed', same: true, afterRefetch: 1 });
  });

  it('stays gone when a feed response that began before the delete lands after it', async () => {
    const page = await openPage();
    expect(await run(page, 'slowFeed')).toMatchObject({ shown: 0 });
  });

  it('two concurrent deletes where one fails: only that one comes back', async () => {
    const page = await openPage();
    const result = await run(page, 'concurrent');
    expect(result.pending).toEqual([0, 0]);
    expect(result.error).toMatchObject({ name: 'MutationError', status: 500 });
    expect(result.afterFailure).toEqual([0, 1]);
    expect(result.final).toEqual([0, 1]);
  });

  it('finds work-item-, coordination-event- and staff-task- ids from a bare primary key', async () => {
    const page = await openPage();
    const result = await run(page, 'idFormats');
    for (const [kind, found] of Object.entries(result)) {
      expect(found.removed).toEqual([`${kind}-${found.asked}`]);
      expect(found.shown).toBe(0);
    }
  });
});
