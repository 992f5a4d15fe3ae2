/**
 * Drives the built demo (`demo/`) in Chromium: builds it with its own Vite config, opens it, and
 * reads what a user would see (events in the DOM, the status line, the error line) and what the
 * app keeps (the mock server's data in localStorage, nostale's IndexedDB database).
 *
 * Everything here goes through the demo's documented surface (docs/demo.md, "Test hooks"):
 * `window.__nostaleDemo`, `data-testid` and `data-event-id` attributes, and the mock's storage
 * keys. Nothing reaches into the demo's modules.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type DemoUser = 'alice' | 'bob';

/** The database nostale's `idbStore` keeps the demo's cache in (`CACHE_DB` in demo/src/config.ts). */
export const CACHE_DB = 'nostale-demo-cache';

/** Feed requests (`GET api/users/:user/events?start&end`), as opposed to version checks and mutations. */
export const FEED_URL = /\/api\/users\/[^/]+\/events\?/;

export interface BuiltDemo {
  root: string;
  dispose(): Promise<void>;
}

/**
 * Builds the demo with `demo/vite.config.ts` (base `./`, so it works from any folder) into a
 * temporary folder rather than its configured `demo/dist`: the suite tests what the config
 * produces without overwriting a build someone is looking at. With `options.api` the page talks
 * to that backend instead of the in-page mock.
 */
export async function buildDemo(options: { api?: string } = {}): Promise<BuiltDemo> {
  const root = await mkdtemp(join(tmpdir(), 'nostale-demo-'));
  // Vitest sets NODE_ENV=test, and Vite builds with `process.env.NODE_ENV` taken from it (a
  // non-production build of FullCalendar and MSW). Build what `vite build` would ship.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  // A real backend instead of the mock (docs/demo.md): Vite exposes VITE_ variables to the page.
  if (options.api !== undefined) process.env.VITE_DEMO_API = options.api;
  try {
    await build({
      configFile: resolve(REPO_ROOT, 'demo/vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir: root, emptyOutDir: true, sourcemap: false },
    });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  } finally {
    delete process.env.VITE_DEMO_API;
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return { root, dispose: () => rm(root, { recursive: true, force: true }) };
}

declare global {
  interface Window {
    /** Presence of watched events in the DOM, one entry per change, by {@link tracePresence}. */
    __demoPresence?: Record<string, boolean[]>;
    /** Events rendered for the wrong user, by {@link guardUsers}. */
    __demoLeaks?: { selected: string; title: string }[];
    /** Every `fetch` the page made, by {@link recordFetches}. */
    __demoFetchLog?: { method: string; url: string; cache: RequestCache }[];
  }
}

/** Init script: records every `fetch` call with its effective `cache` mode, before any page script runs. */
export function recordFetches(): void {
  const original = window.fetch;
  const log: NonNullable<Window['__demoFetchLog']> = [];
  window.__demoFetchLog = log;
  window.fetch = function (input: RequestInfo | URL, init?: RequestInit) {
    try {
      const request = new Request(input, init);
      log.push({ method: request.method, url: request.url, cache: request.cache });
    } catch {
      // An invalid request: let fetch report it.
    }
    return original.call(this, input, init);
  };
}

/** Waits until the page's demo has booted and its first fetch of the visible range has settled. */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => window.__nostaleDemo !== undefined);
  await page.evaluate(() => window.__nostaleDemo!.ready);
}

/** A new page of `context` with the demo loaded and ready; `beforeLoad` may attach observers first. */
export async function openDemo(context: BrowserContext, url: string, beforeLoad?: (page: Page) => Promise<void>): Promise<Page> {
  const page = await context.newPage();
  await beforeLoad?.(page);
  await page.goto(url);
  await ready(page);
  return page;
}

export async function reload(page: Page): Promise<void> {
  await page.reload();
  await ready(page);
}

// Every query is scoped to the calendar: the open event dialog carries `data-event-id` too.

/** Unique ids of the events in a calendar's DOM (hidden "+more" ones included); nostale's by default. */
export function eventIds(page: Page, side: Side = 'calendar'): Promise<string[]> {
  return page.evaluate(
    (id) =>
      [
        ...new Set([...document.querySelectorAll<HTMLElement>(`[data-testid="${id}"] [data-event-id]`)].map((el) => el.dataset.eventId!)),
      ].sort(),
    side,
  );
}

/** Titles of the events in the calendar's DOM, as rendered. */
export function eventTitles(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('[data-testid="calendar"] [data-event-id]')].map(
      (el) => el.querySelector('.fc-event-title')?.textContent ?? el.textContent ?? '',
    ),
  );
}

export function inDom(page: Page, id: string, side: Side = 'calendar'): Promise<boolean> {
  return page.evaluate(
    ([eventId, calendar]) => document.querySelector(`[data-testid="${calendar}"] [data-event-id="${CSS.escape(eventId)}"]`) !== null,
    [id, side] as const,
  );
}

export function waitGone(page: Page, id: string, side: Side = 'calendar'): Promise<unknown> {
  return page.waitForFunction(
    ([eventId, calendar]) => !document.querySelector(`[data-testid="${calendar}"] [data-event-id="${CSS.escape(eventId)}"]`),
    [id, side] as const,
    { polling: 25 },
  );
}

export function waitPresent(page: Page, id: string): Promise<unknown> {
  return page.waitForFunction(
    (eventId) => document.querySelector(`[data-testid="calendar"] [data-event-id="${CSS.escape(eventId)}"]`) !== null,
    id,
    { polling: 25 },
  );
}

/** The first event a user could click (visible, not folded into "+more"): its id and title. */
export async function pickEvent(page: Page, except: string[] = []): Promise<{ id: string; title: string }> {
  const picked = await page.evaluate((skip) => {
    for (const el of document.querySelectorAll<HTMLElement>('[data-testid="calendar"] [data-event-id]')) {
      const id = el.dataset.eventId!;
      if (skip.includes(id) || !el.checkVisibility({ visibilityProperty: true })) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width > 0 && rect.height > 0) return { id, title: el.title };
    }
    return undefined;
  }, except);
  if (!picked) throw new Error('No visible event to pick');
  return picked;
}

/** Clicks the event, checks the dialog shows it, and clicks Delete (what a user does). */
export async function deleteEvent(page: Page, id: string): Promise<void> {
  await page.locator(`[data-testid="calendar"] [data-event-id="${id}"]:visible`).first().click();
  const dialog = page.locator('[data-testid="event-dialog"]');
  await dialog.locator('[data-testid="dialog-delete"]').waitFor({ state: 'visible' });
  const shown = await dialog.getAttribute('data-event-id');
  if (shown !== id) throw new Error(`The dialog shows ${shown}, not ${id}`);
  await dialog.locator('[data-testid="dialog-delete"]').click();
}

const STATUS: Record<Side, string> = { calendar: 'status', 'naive-calendar': 'naive-status' };

/** The number of events a calendar shows in its month, from its status line. */
export async function statusCount(page: Page, side: Side = 'calendar'): Promise<number | undefined> {
  const text = (await page.locator(`[data-testid="${STATUS[side]}"]`).textContent()) ?? '';
  const match = /: (\d+) events? this view\.$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Waits for a calendar's status line to report `count` events of `user`. */
export function waitStatus(page: Page, user: DemoUser, count: number, side: Side = 'calendar'): Promise<unknown> {
  return page.waitForFunction(
    ([name, n, id]) =>
      document.querySelector(`[data-testid="${id}"]`)?.textContent === `${name}'s calendar: ${n} event${n === 1 ? '' : 's'} this view.`,
    [user, count, STATUS[side]] as const,
  );
}

/** The two calendars: `calendar` reads through nostale, `naive-calendar` without it. */
export type Side = 'calendar' | 'naive-calendar';

/** Fetches of the visible range each calendar has settled (`data-fetches`, set by the demo). */
export function fetchCounts(page: Page): Promise<Record<Side, number>> {
  return page.evaluate(() => {
    const count = (id: string) => Number(document.querySelector<HTMLElement>(`[data-testid="${id}"]`)?.dataset.fetches ?? 0);
    return { calendar: count('calendar'), 'naive-calendar': count('naive-calendar') };
  });
}

/**
 * Runs `action` and waits until each calendar in `sides` has settled a fetch since (both by
 * default: they show the same month and user, so what moves one refetches the other).
 */
export async function afterFetch(
  page: Page,
  action: () => Promise<unknown>,
  sides: Side[] = ['calendar', 'naive-calendar'],
): Promise<void> {
  const before = await fetchCounts(page);
  await action();
  await page.waitForFunction(
    ([counts, which]) =>
      which.every((id) => Number(document.querySelector<HTMLElement>(`[data-testid="${id}"]`)?.dataset.fetches ?? 0) > counts[id]),
    [before, sides] as const,
  );
}

/** Clicks the nostale calendar's prev/next button (the other follows) and waits for both fetches. */
export async function navigate(page: Page, direction: 'prev' | 'next'): Promise<string> {
  const title = page.locator('[data-testid="calendar"] .fc-toolbar-title');
  const before = await title.textContent();
  await afterFetch(page, () => page.locator(`[data-testid="calendar"] .fc-${direction}-button`).click());
  const after = (await title.textContent()) ?? '';
  if (after === before) throw new Error(`The calendar stayed on ${before}`);
  const naive = await page.locator('[data-testid="naive-calendar"] .fc-toolbar-title').textContent();
  if (naive !== after) throw new Error(`The calendar without nostale shows ${naive}, not ${after}`);
  return after;
}

/** Nothing pending: every mutation committed or rolled back. */
export function waitNoPendingMutation(page: Page): Promise<unknown> {
  return page.waitForFunction(() => window.__nostaleDemo!.client.mutate.pending().length === 0);
}

export function pendingMutations(page: Page): Promise<number> {
  return page.evaluate(() => window.__nostaleDemo!.client.mutate.pending().length);
}

/** The mock server's data for `user` (localStorage, shared by every tab like a real backend). */
export async function serverData(page: Page, user: DemoUser): Promise<{ version: number; ids: string[] }> {
  return page.evaluate((name) => {
    const record = JSON.parse(localStorage.getItem(`nostale-demo:db:${name}`) ?? 'null') as {
      version: number;
      events: { id: string }[];
    } | null;
    if (!record) throw new Error(`No server data for ${name}`);
    return { version: record.version, ids: record.events.map((event) => event.id) };
  }, user);
}

/** Sets the mock's latency through the demo's range control. */
export async function setLatency(page: Page, ms: number): Promise<void> {
  await page.locator('[data-testid="latency"]').fill(String(ms));
  await page
    .locator('[data-testid="latency-value"]')
    .filter({ hasText: `${ms} ms` })
    .waitFor();
}

/**
 * Records each change of presence of `id` in the DOM, from now on, in the page: `[true, false,
 * true]` is "removed, then put back". Catches changes too quick for polling from Node.
 */
export async function tracePresence(page: Page, id: string): Promise<() => Promise<boolean[]>> {
  await page.evaluate((eventId) => {
    const present = () => document.querySelector(`[data-testid="calendar"] [data-event-id="${CSS.escape(eventId)}"]`) !== null;
    const trace = [present()];
    (window.__demoPresence ??= {})[eventId] = trace;
    new MutationObserver(() => {
      const now = present();
      if (trace[trace.length - 1] !== now) trace.push(now);
    }).observe(document.querySelector('[data-testid="calendar"]')!, { childList: true, subtree: true });
  }, id);
  return () => page.evaluate((eventId) => window.__demoPresence![eventId]!, id);
}

/**
 * Checks, on every change of the calendar's DOM, that each rendered event belongs to the user
 * selected at that moment (bob's titles start with `[Bob]`, alice's never do).
 */
export async function guardUsers(page: Page): Promise<() => Promise<{ selected: string; title: string }[]>> {
  await page.evaluate(() => {
    const leaks: { selected: string; title: string }[] = [];
    window.__demoLeaks = leaks;
    const select = document.querySelector<HTMLSelectElement>('[data-testid="user-select"]')!;
    const calendar = document.querySelector('[data-testid="calendar"]')!;
    new MutationObserver(() => {
      for (const el of calendar.querySelectorAll<HTMLElement>('[data-event-id]')) {
        const title = el.querySelector('.fc-event-title')?.textContent ?? el.textContent ?? '';
        if (title.startsWith('[Bob]') !== (select.value === 'bob')) leaks.push({ selected: select.value, title });
      }
    }).observe(calendar, { childList: true, subtree: true, characterData: true });
  });
  return () => page.evaluate(() => window.__demoLeaks!);
}

export interface IdbSnapshot {
  /** The build the database says it holds (`meta` store). */
  build: string | undefined;
  entries: { key: string; namespace: string; url: string; build: string | undefined }[];
}

/**
 * What nostale's IndexedDB database holds, read with the raw API (no version: never upgrades).
 * `undefined` when the database does not exist; opening would create it, so that is checked first.
 */
export function readCacheDb(page: Page): Promise<IdbSnapshot | undefined> {
  return page.evaluate(async (name) => {
    if (!(await indexedDB.databases()).some((db) => db.name === name)) return undefined;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onupgradeneeded = () => request.transaction!.abort();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    try {
      const tx = db.transaction(['entries', 'meta'], 'readonly');
      const get = <T>(request: IDBRequest<T>) =>
        new Promise<T>((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error ?? new Error('read failed'));
        });
      const [records, build] = await Promise.all([
        get(tx.objectStore('entries').getAll() as IDBRequest<{ key: string; namespace: string; url: string; build?: string }[]>),
        get(tx.objectStore('meta').get('build') as IDBRequest<string | undefined>),
      ]);
      return { build, entries: records.map((r) => ({ key: r.key, namespace: r.namespace, url: r.url, build: r.build })) };
    } finally {
      db.close();
    }
  }, CACHE_DB);
}

/** The error line, when shown. */
export async function shownError(page: Page): Promise<{ kind: string | null; text: string } | undefined> {
  const alert = page.locator('[data-testid="error-message"]');
  if (!(await alert.isVisible())) return undefined;
  return { kind: await alert.getAttribute('data-kind'), text: (await alert.locator('[data-testid="error-text"]').textContent()) ?? '' };
}

/** What stops a person reading a piece of text: too small, or too little contrast. */
export interface ReadabilityProblem {
  text: string;
  fontSize: number;
  contrast: number;
  color: string;
  background: string;
}

/**
 * Every visible text node on the page, checked as rendered: its computed font size (at least
 * `minSize` px) and the contrast of its colour against what is actually behind it (at least
 * `minContrast`:1, WCAG AA). The background is found by compositing the ancestors' backgrounds,
 * alpha included, up to the page; opacity of the element and its ancestors fades the text too.
 * Disabled controls are exempt, as in WCAG. Elements with a background image are not judged.
 */
export function readabilityProblems(page: Page, minSize = 12, minContrast = 4.5): Promise<ReadabilityProblem[]> {
  return page.evaluate(
    ([size, ratio]) => {
      type Rgba = [number, number, number, number];
      const probe = document.createElement('canvas').getContext('2d')!;
      const parse = (css: string): Rgba => {
        probe.clearRect(0, 0, 1, 1);
        probe.fillStyle = '#000';
        probe.fillStyle = css;
        probe.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
        return [r!, g!, b!, a! / 255];
      };
      const over = (top: Rgba, bottom: Rgba): Rgba => {
        const a = top[3] + bottom[3] * (1 - top[3]);
        if (a === 0) return [0, 0, 0, 0];
        const mix = (i: number) => (top[i]! * top[3] + bottom[i]! * bottom[3] * (1 - top[3])) / a;
        return [mix(0), mix(1), mix(2), a];
      };
      const luminance = ([r, g, b]: Rgba) => {
        const lin = (c: number) => {
          const v = c / 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
      };
      const background = (el: Element): Rgba | undefined => {
        const layers: Rgba[] = [];
        for (let node: Element | null = el; node; node = node.parentElement) {
          const style = getComputedStyle(node);
          if (style.backgroundImage !== 'none') return undefined;
          layers.push(parse(style.backgroundColor));
        }
        return layers.reduceRight<Rgba>((below, layer) => over(layer, below), [255, 255, 255, 1]);
      };
      const opacity = (el: Element) => {
        let value = 1;
        for (let node: Element | null = el; node; node = node.parentElement) value *= Number(getComputedStyle(node).opacity);
        return value;
      };
      const problems: ReadabilityProblem[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent?.trim() ?? '';
        const el = node.parentElement;
        if (!text || !el || el.closest('script, style, noscript, title, [aria-hidden="true"]')) continue;
        if (!el.checkVisibility({ opacityProperty: false, visibilityProperty: true })) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const box = range.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        if (el.closest(':disabled')) continue;
        const style = getComputedStyle(el);
        const behind = background(el);
        if (!behind) continue;
        const ink = parse(style.color);
        const shown = over([ink[0], ink[1], ink[2], ink[3] * opacity(el)], behind);
        const [a, b] = [luminance(shown), luminance(behind)];
        const contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        const fontSize = Number.parseFloat(style.fontSize);
        if (fontSize < size || contrast < ratio) {
          problems.push({
            text: text.slice(0, 40),
            fontSize,
            contrast: Math.round(contrast * 100) / 100,
            color: style.color,
            background: `rgb(${behind.slice(0, 3).map(Math.round).join(', ')})`,
          });
        }
      }
      return problems;
    },
    [minSize, minContrast] as const,
  );
}

/** Wider than the viewport: the page would scroll sideways. */
export function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth }));
}

/**
 * Every control of the page (buttons, inputs, selects, summaries, focusable events), scrolled to
 * as a person would: those not fully inside the viewport's width, or covered by something else
 * at their centre. Controls inside a closed `<details>` or the closed dialog are not on screen
 * and not checked.
 */
export function unreachableControls(page: Page, root = 'body'): Promise<string[]> {
  return page.evaluate((selector) => {
    const controls = [
      ...document.querySelector(selector)!.querySelectorAll<HTMLElement>('button, input, select, summary, a[href], [tabindex="0"]'),
    ];
    const problems: string[] = [];
    for (const el of controls) {
      if (!el.checkVisibility({ visibilityProperty: true })) continue;
      // Synchronous: the geometry below forces the layout the scroll changed.
      el.scrollIntoView({ block: 'center', inline: 'nearest' });
      const box = el.getBoundingClientRect();
      const name = `${el.tagName.toLowerCase()}${el.dataset.testid ? `[${el.dataset.testid}]` : ''} “${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}”`;
      if (box.left < 0 || box.right > innerWidth + 0.5) {
        problems.push(`${name}: x ${Math.round(box.left)}–${Math.round(box.right)} of ${innerWidth}`);
        continue;
      }
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      if (!hit || !(el === hit || el.contains(hit) || hit.contains(el) || el.closest('label')?.contains(hit))) {
        problems.push(`${name}: covered by ${hit?.tagName.toLowerCase()}.${hit?.className}`);
      }
    }
    return problems;
  }, root);
}
