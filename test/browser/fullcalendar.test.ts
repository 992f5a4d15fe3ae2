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

  it("paintFirst 'auto' (the default) defers at paintFirstThreshold events in the source, not one below", async () => {
    const page = await openPage();
    const at = await run(page, 'autoPaintFirst', 0);
    expect(at.count).toBeGreaterThan(5);
    expect(at.atOnce).toEqual({ inStore: 1, hidden: true, inDom: true });
    expect(at.after).toBe(0);
    const below = await run(page, 'autoPaintFirst', 1);
    expect(below.atOnce).toEqual({ inStore: 0, hidden: false, inDom: false });
    expect(below.after).toBe(0);
  });

  it('five removals before the next frame: all hidden in it, then one batchRendering and one render', async () => {
    const page = await openPage();
    const result = await run(page, 'batched');
    expect(result.atOnce).toEqual(Array.from({ length: 5 }, () => ({ inStore: 1, hidden: true })));
    expect(result.atFrame).toEqual([true, true, true, true, true]);
    expect(result.batches).toBe(1);
    expect(result.renders).toBe(1);
    expect(result.after).toEqual([0, 0, 0, 0, 0]);
  });

  it('five removals in separate tasks, frames painted between them: each hidden in its next frame, one render for all', async () => {
    const page = await openPage();
    const result = await run(page, 'spreadBatched', 20);
    expect(result.framesBetween).toBeGreaterThanOrEqual(4);
    expect(result.atFrame).toEqual([true, true, true, true, true]);
    expect(result.rendersBeforeFlush).toBe(0);
    expect(result.batches).toBe(1);
    expect(result.renders).toBe(1);
    expect(result.after).toEqual([0, 0, 0, 0, 0]);
  });

  it('a "+n more" popover opened while the removal waits shows the day\'s other events, not the removed one', async () => {
    const page = await openPage();
    const result = await run(page, 'popover');
    expect(result.cellEvents).toBeGreaterThan(1);
    expect(result.inPopover).toEqual({ victim: 'none', other: expect.not.stringMatching(/^(none|absent)$/), inStore: 1 });
    expect(result.after).toEqual({ inStore: 0, inDom: false });
  });

  it('the hiding is scoped to its calendar: the same event in a second calendar stays on screen', async () => {
    const page = await openPage();
    const result = await run(page, 'twoCalendars');
    expect(result.atFrame).toEqual({ first: true, second: false, secondInDom: true });
    expect(result.afterPaint).toEqual({ first: 0, second: 1, secondVisible: true });
  });

  it('works for a calendar inside a shadow root', async () => {
    const page = await openPage();
    const result = await run(page, 'shadow');
    await screenshot(page, 'fullcalendar/shadow-root');
    // FullCalendar laid the event out inside the shadow root, and the hiding reached it there.
    expect(result.height).toBeGreaterThan(0);
    expect(result.atFrame).toEqual({ hidden: true, inStore: 1, height: 0 });
    expect(result.afterPaint).toEqual({ inStore: 0, inDom: false });
    expect(result.leftHidden).toBe(0);
  });

  it('hides an event added with addEvent at once when the calendar uses eventClassNames: hideClassNames', async () => {
    const page = await openPage();
    const result = await run(page, 'addedEvent');
    expect(result.classed).toBe(true);
    expect(result.atOnce).toEqual({ inStore: 1, hidden: true });
    expect(result.atFrame).toBe(true);
    expect(result.after).toEqual({ inStore: 0, inDom: false });
    expect(result.result).toEqual({ removed: ['local-1'], refetched: false });
  });

  it('paintFirst: a delete failing after the deferred removal brings the same event back, visible, nothing left hidden', async () => {
    const page = await openPage();
    const result = await run(page, 'paintFirstRollback');
    expect(result.removed).toBe(0);
    expect(result.error).toMatchObject({ name: 'MutationError', status: 500 });
    expect(result).toMatchObject({ same: true, source: 'feed', visible: true, leftHidden: 0 });
  });

  it('sends the CSRF header deleteInit gives, read again for each delete', async () => {
    const page = await openPage();
    expect(await run(page, 'csrf')).toEqual({ tokens: ['tok-1', 'tok-2'], shown: [0, 0] });
  });
});
