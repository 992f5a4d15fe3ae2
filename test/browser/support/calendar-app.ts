/**
 * Runs in Chromium (bundled by esbuild): a real FullCalendar month view over nostale, fed by the
 * demo backend. No service worker: the client's injected `fetch` hands each request to the demo's
 * MSW handlers through `getResponse`, with the data in `localStorage` so it survives a reload like
 * a server would. Each scenario returns plain data for the test to check.
 */
import { Calendar, type CalendarOptions } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import { getResponse } from 'msw';
import { setControls } from '../../../demo/mock/controls';
import { createHandlers } from '../../../demo/mock/handlers';
import {
  type CalendarAdapter,
  type CalendarAdapterOptions,
  createCalendarAdapter,
  hideClass,
  hideClassNames,
} from '../../../src/fullcalendar';
import { idbStore, type IdbStore } from '../../../src/idb';
import { createClient, type Client } from '../../../src/index';

const TODAY = new Date('2024-05-15T12:00:00Z');

interface Gate {
  opened: Promise<void>;
  open: () => void;
}
function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Requests the test holds or fails, matched in order. */
const holds: { method: string; path: RegExp; hold: Gate; arrived: Gate; status?: number }[] = [];
let holdNextFeed: { hold: Gate; arrived: Gate } | undefined;

const handlers = createHandlers({
  today: TODAY,
  count: 80,
  // After the answer is computed: a held feed carries the data as it was when it arrived.
  beforeRespond: async (request) => {
    const held = holdNextFeed;
    if (request.method !== 'GET' || !held || !new URL(request.url).pathname.endsWith('/events')) return;
    holdNextFeed = undefined;
    held.arrived.open();
    await held.hold.opened;
  },
});
setControls({ latencyMs: 0 });

/** The `X-CSRFToken` header of every DELETE, as the server would receive it. */
const deleteTokens: (string | null)[] = [];

async function fakeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  // A Request input keeps its method, headers and body (the client sends unsafe requests that way).
  const request = input instanceof Request ? new Request(input, init) : new Request(new URL(String(input), location.href), init);
  if (request.method === 'DELETE') deleteTokens.push(request.headers.get('x-csrftoken'));
  const index = holds.findIndex((h) => h.method === request.method && h.path.test(new URL(request.url).pathname));
  if (index !== -1) {
    const [held] = holds.splice(index, 1);
    held!.arrived.open();
    await held!.hold.opened;
    if (held!.status) return Response.json({ error: 'server-error' }, { status: held!.status });
  }
  const response = await getResponse(handlers, request);
  if (!response) return new Response('no handler', { status: 404 });
  if (response.type === 'error') throw new TypeError('Failed to fetch');
  return response;
}

interface View {
  client: Client;
  store: IdbStore;
  errors: number;
  adapter: CalendarAdapter;
  calendar: Calendar;
  loaded: () => Promise<void>;
  shown: (id: string) => number;
  inDom: (id: string) => boolean;
  /** In the DOM and not displayed. */
  hidden: (id: string) => boolean;
  navigate: (move: 'next' | 'prev') => Promise<void>;
  refetch: () => Promise<void>;
  ids: () => string[];
}

let current: View | undefined;

interface OpenOptions {
  adapter?: Partial<CalendarAdapterOptions>;
  calendar?: Partial<CalendarOptions>;
  /** Where the calendar renders (a second calendar, one in a shadow root); default `#calendar`. */
  el?: HTMLElement;
  /** Keep the calendar opened before (a second calendar on the page). */
  keep?: boolean;
  /** Own IndexedDB name, for a second calendar next to the first. */
  db?: string;
}

/** Counts the calendar's `batchRendering` calls from now on. */
function countBatches(calendar: View['calendar']): { count: number } {
  const batches = { count: 0 };
  const original = calendar.batchRendering.bind(calendar);
  calendar.batchRendering = (work) => {
    batches.count++;
    original(work);
  };
  return batches;
}

async function open(options: OpenOptions = {}): Promise<View> {
  if (!options.keep) {
    current?.calendar.destroy();
    current?.store.close();
  }
  const el = options.el ?? document.getElementById('calendar')!;
  // Real IndexedDB: a reload finds what the previous page stored.
  const store = idbStore({ name: options.db ?? 'nostale-calendar-test', pruneDelay: false });
  let errors = 0;
  const client = createClient({
    fetch: fakeFetch,
    store,
    routes: [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }],
    onEvent: (event) => void (event.type === 'error' && errors++),
  });
  await client.ready;
  const adapter = createCalendarAdapter(client, {
    id: 'feed',
    scope: 'calendar:alice',
    url: ({ start, end }) => `/api/users/alice/events?start=${start.toISOString()}&end=${end.toISOString()}`,
    deleteUrl: (id) => `/api/users/alice/events/${encodeURIComponent(id)}`,
    ...options.adapter,
  });
  let waiters: (() => void)[] = [];
  const loaded = () => new Promise<void>((resolve) => waiters.push(resolve));
  const calendar = new Calendar(el, {
    plugins: [dayGridPlugin],
    initialView: 'dayGridMonth',
    initialDate: '2024-05-15',
    timeZone: 'UTC',
    eventSources: [adapter.source],
    loading: (isLoading) => {
      if (isLoading) return;
      const ready = waiters;
      waiters = [];
      for (const resolve of ready) resolve();
    },
    eventDidMount: ({ el: node, event }) => node.setAttribute('data-event-id', event.id),
    ...options.calendar,
  });
  const first = loaded();
  calendar.render();
  await first;
  const view: View = {
    client,
    store,
    get errors() {
      return errors;
    },
    adapter,
    calendar,
    loaded,
    shown: (id) => calendar.getEvents().filter((event) => event.id === id).length,
    inDom: (id) => el.querySelector(`[data-event-id="${CSS.escape(id)}"]`) !== null,
    hidden: (id) => {
      const node = el.querySelector(`[data-event-id="${CSS.escape(id)}"]`);
      return node !== null && getComputedStyle(node).display === 'none';
    },
    navigate: async (move) => {
      const done = loaded();
      calendar[move]();
      await done;
    },
    refetch: async () => {
      const done = loaded();
      calendar.refetchEvents();
      await done;
    },
    // Events the month grid shows (not hidden behind "+n more"), so removal is visible.
    ids: () => [...el.querySelectorAll('[data-event-id]')].map((node) => node.getAttribute('data-event-id')!),
  };
  current = view;
  return view;
}

const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now())));

function holdRequest(method: string, path: RegExp, status?: number) {
  const held = { method, path, hold: gate(), arrived: gate(), status };
  holds.push(held);
  return held;
}

const describeError = (error: unknown) => {
  const e = error as { name?: string; status?: number; key?: string; reason?: string };
  return { name: e.name, status: e.status, key: e.key, reason: e.reason };
};

const scenarios = {
  /** Delete → gone at once and in the next frame; stays gone across navigation, pending and committed. */
  async deleteAndNavigate() {
    const view = await open();
    const victim = view.ids()[0]!;
    const held = holdRequest('DELETE', new RegExp(`/${victim}$`));
    const t0 = performance.now();
    const done = view.adapter.removeEvent(view.calendar, victim);
    const syncMs = performance.now() - t0;
    const atOnce = { shown: view.shown(victim), inDom: view.inDom(victim) };
    const frameAt = await nextFrame();
    const inDomNextFrame = view.inDom(victim);
    await view.navigate('next');
    await view.navigate('prev');
    const whilePending = view.shown(victim);
    held.hold.open();
    const result = await done;
    await view.navigate('next');
    await view.navigate('prev');
    return {
      victim,
      syncMs,
      frameMs: frameAt - t0,
      atOnce,
      inDomNextFrame,
      whilePending,
      result,
      afterCommit: view.shown(victim),
      version: view.client.scopes()[0]?.token,
    };
  },

  /** What a fresh page shows for an id; `offline` makes every API request fail. */
  async show(id: string, offline = false) {
    setControls({ offline });
    const view = await open();
    return { shown: view.shown(id), total: view.calendar.getEvents().length, errors: view.errors };
  },

  /** After the delete committed: read again and flush, so IndexedDB holds the page as it is now. */
  async persist() {
    await current!.refetch();
    await current!.store.flush();
    return current!.store.status;
  },

  /** paintFirst: hidden at once, removed by FullCalendar after the next paint. */
  async paintFirst() {
    const view = await open({ adapter: { paintFirst: true } });
    const victim = view.ids()[0]!;
    const node = document.querySelector(`[data-event-id="${CSS.escape(victim)}"]`)!;
    const held = holdRequest('DELETE', new RegExp(`/${victim}$`));
    const t0 = performance.now();
    const done = view.adapter.removeEvent(view.calendar, victim);
    const syncMs = performance.now() - t0;
    const atOnce = { hidden: getComputedStyle(node).display === 'none', inStore: view.shown(victim) };
    await nextFrame();
    const hiddenAtFrame = getComputedStyle(node).display === 'none' || !node.isConnected;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const afterPaint = { inStore: view.shown(victim), inDom: view.inDom(victim) };
    held.hold.open();
    const result = await done;
    await view.refetch();
    return { syncMs, atOnce, hiddenAtFrame, afterPaint, result, final: view.shown(victim) };
  },

  /** A 500 from the server: the event comes back in its source, the error is reported. */
  async serverError() {
    const view = await open();
    const victim = view.ids()[1]!;
    const before = view.calendar.getEventById(victim)!.toPlainObject();
    setControls({ failNext: true });
    const reported: unknown[] = [];
    const error = await view.adapter.removeEvent(view.calendar, victim, { onError: (e) => reported.push(e) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const back = view.calendar.getEventById(victim);
    const state = {
      shown: view.shown(victim),
      inDom: view.inDom(victim),
      source: back?.source?.id,
      same: JSON.stringify(back?.toPlainObject()) === JSON.stringify(before),
    };
    await view.refetch();
    return { error: describeError(error), reported: reported.length, ...state, afterRefetch: view.shown(victim) };
  },

  /** A feed response computed before the delete and delivered after it. */
  async slowFeed() {
    const view = await open();
    const victim = view.ids()[2]!;
    const held = { hold: gate(), arrived: gate() };
    holdNextFeed = held;
    const refetched = view.loaded();
    view.calendar.refetchEvents();
    await held.arrived.opened;
    await view.adapter.removeEvent(view.calendar, victim);
    held.hold.open();
    await refetched;
    return { victim, shown: view.shown(victim) };
  },

  /** Two deletes in flight; the second fails. */
  async concurrent() {
    const view = await open();
    const [good, bad] = view.ids().slice(3, 5) as [string, string];
    const holdGood = holdRequest('DELETE', new RegExp(`/${good}$`));
    const holdBad = holdRequest('DELETE', new RegExp(`/${bad}$`), 500);
    const okDone = view.adapter.removeEvent(view.calendar, good);
    const badDone = view.adapter.removeEvent(view.calendar, bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    const pending = [view.shown(good), view.shown(bad)];
    holdBad.hold.open();
    const error = describeError(await badDone);
    const afterFailure = [view.shown(good), view.shown(bad)];
    holdGood.hold.open();
    await okDone;
    await view.refetch();
    return { pending, error, afterFailure, final: [view.shown(good), view.shown(bad)] };
  },

  /** Bare primary keys find `work-item-…`, `coordination-event-…` and `staff-task-…`. */
  async idFormats() {
    const view = await open();
    const found: Record<string, { asked: string; removed: string[]; shown: number }> = {};
    for (const kind of ['work-item', 'coordination-event', 'staff-task']) {
      const full = view.calendar.getEvents().find((event) => event.id.startsWith(`${kind}-`))!.id;
      const pk = full.slice(kind.length + 1);
      const result = await view.adapter.removeEvent(view.calendar, pk);
      found[kind] = { asked: pk, removed: result.removed, shown: view.shown(full) };
    }
    return found;
  },

  /** paintFirst 'auto' (the default) at `threshold`: deferred (hidden, still in FullCalendar) or removed at once. */
  async autoPaintFirst(offset: number) {
    const probe = await open();
    const count = probe.calendar.getEvents().length;
    const view = await open({ adapter: { paintFirstThreshold: count + offset } });
    const victim = view.ids()[0]!;
    const done = view.adapter.removeEvent(view.calendar, victim);
    const atOnce = { inStore: view.shown(victim), hidden: view.hidden(victim), inDom: view.inDom(victim) };
    await nextFrame();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await done;
    return { count, atOnce, after: view.shown(victim) };
  },

  /** Five removals in separate microtasks before the next frame: one batchRendering, one render. */
  async batched() {
    let renders = 0;
    const view = await open({ adapter: { paintFirst: true }, calendar: { eventsSet: () => void renders++ } });
    const batches = countBatches(view.calendar);
    const victims = view.ids().slice(0, 5);
    const before = renders;
    const done: Promise<unknown>[] = [];
    for (const victim of victims) {
      done.push(view.adapter.removeEvent(view.calendar, victim));
      await Promise.resolve();
    }
    const atOnce = victims.map((id) => ({ inStore: view.shown(id), hidden: view.hidden(id) }));
    await nextFrame();
    const atFrame = victims.map((id) => view.hidden(id) || !view.inDom(id));
    await new Promise((resolve) => setTimeout(resolve, 250));
    await Promise.all(done);
    return { atOnce, atFrame, renders: renders - before, batches: batches.count, after: victims.map((id) => view.shown(id)) };
  },

  /**
   * Five removals in separate tasks `spacing` ms apart, so frames are painted between them
   * (quick clicks): each hidden in its next frame, then one batchRendering and one render.
   */
  async spreadBatched(spacing: number) {
    let renders = 0;
    const view = await open({ adapter: { paintFirst: true }, calendar: { eventsSet: () => void renders++ } });
    const batches = countBatches(view.calendar);
    const victims = view.ids().slice(0, 5);
    const before = renders;
    const done: Promise<unknown>[] = [];
    const atFrame: boolean[] = [];
    let framesBetween = 0;
    for (const victim of victims) {
      done.push(view.adapter.removeEvent(view.calendar, victim));
      await nextFrame();
      atFrame.push(view.hidden(victim) || !view.inDom(victim));
      const until = performance.now() + spacing;
      while (performance.now() < until) {
        await nextFrame();
        framesBetween++;
      }
    }
    const rendersBeforeFlush = renders - before;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await Promise.all(done);
    return {
      atFrame,
      framesBetween,
      rendersBeforeFlush,
      renders: renders - before,
      batches: batches.count,
      after: victims.map((id) => view.shown(id)),
    };
  },

  /**
   * A "+n more" popover opened while a removal waits: FullCalendar renders new elements for the
   * day's events there, and the removed one must be hidden among them.
   */
  async popover() {
    const view = await open({ adapter: { paintFirst: true, paintFirstDelay: 1000 }, calendar: { dayMaxEvents: 1 } });
    const el = document.getElementById('calendar')!;
    const more = el.querySelector<HTMLElement>('.fc-daygrid-more-link')!;
    const cell = more.closest('.fc-daygrid-day')!;
    const inCell = [...cell.querySelectorAll('[data-event-id]')].map((node) => node.getAttribute('data-event-id')!);
    const [victim, other] = [inCell[inCell.length - 1]!, inCell[0]!];
    const held = holdRequest('DELETE', new RegExp(`/${victim}$`));
    const done = view.adapter.removeEvent(view.calendar, victim);
    more.click();
    // FullCalendar opens the popover in a later task.
    const opened = performance.now();
    while (!document.querySelector('.fc-popover') && performance.now() - opened < 500) await nextFrame();
    await nextFrame();
    const popover = document.querySelector('.fc-popover');
    const displayIn = (id: string) => {
      const node = popover?.querySelector(`[data-event-id="${CSS.escape(id)}"]`);
      return node ? getComputedStyle(node).display : 'absent';
    };
    const inPopover = { victim: displayIn(victim), other: displayIn(other), inStore: view.shown(victim) };
    await new Promise((resolve) => setTimeout(resolve, 1300));
    const after = { inStore: view.shown(victim), inDom: view.inDom(victim) };
    held.hold.open();
    await done;
    return { cellEvents: inCell.length, inPopover, after };
  },

  /** Two calendars of the same data; a removal in the first leaves the second alone. */
  async twoCalendars() {
    const first = await open({ adapter: { paintFirst: true } });
    const el = document.createElement('div');
    el.style.width = '1100px';
    document.body.append(el);
    const second = await open({ adapter: { paintFirst: true }, el, keep: true, db: 'nostale-calendar-test-2' });
    const victim = first.ids().find((id) => second.inDom(id))!;
    const held = holdRequest('DELETE', new RegExp(`/${victim}$`));
    const done = first.adapter.removeEvent(first.calendar, victim);
    await nextFrame();
    const atFrame = { first: first.hidden(victim), second: second.hidden(victim), secondInDom: second.inDom(victim) };
    await new Promise((resolve) => setTimeout(resolve, 250));
    const afterPaint = {
      first: first.shown(victim),
      second: second.shown(victim),
      secondVisible: second.inDom(victim) && !second.hidden(victim),
    };
    held.hold.open();
    await done;
    second.calendar.destroy();
    second.store.close();
    el.remove();
    current = first;
    return { atFrame, afterPaint };
  },

  /** A calendar inside a shadow root: the rule must reach it there. */
  async shadow() {
    const host = document.createElement('div');
    document.body.append(host);
    const root = host.attachShadow({ mode: 'open' });
    const el = document.createElement('div');
    el.style.width = '1100px';
    root.append(el);
    const view = await open({ adapter: { paintFirst: true }, el });
    const victim = view.ids()[0]!;
    const node = el.querySelector(`[data-event-id="${CSS.escape(victim)}"]`)!;
    const height = node.getBoundingClientRect().height;
    const held = holdRequest('DELETE', new RegExp(`/${victim}$`));
    const done = view.adapter.removeEvent(view.calendar, victim);
    await nextFrame();
    const atFrame = { hidden: view.hidden(victim), inStore: view.shown(victim), height: node.getBoundingClientRect().height };
    await new Promise((resolve) => setTimeout(resolve, 250));
    const afterPaint = { inStore: view.shown(victim), inDom: view.inDom(victim) };
    const leftHidden = root.querySelectorAll('[data-nostale-hidden]').length + document.querySelectorAll('[data-nostale-hidden]').length;
    held.hold.open();
    await done;
    return { height, atFrame, afterPaint, leftHidden };
  },

  /** An event added with addEvent, with eventClassNames: hideClassNames: hidden at once too. */
  async addedEvent() {
    const view = await open({ adapter: { paintFirst: true }, calendar: { eventClassNames: hideClassNames } });
    view.calendar.addEvent({ id: 'local-1', title: 'Local', start: '2024-05-15T09:00:00Z' });
    await nextFrame();
    const classed = document.querySelector(`.${hideClass('local-1')}`) !== null;
    const done = view.adapter.removeEvent(view.calendar, 'local-1');
    const atOnce = { inStore: view.shown('local-1'), hidden: view.hidden('local-1') };
    await nextFrame();
    const atFrame = view.hidden('local-1') || !view.inDom('local-1');
    await new Promise((resolve) => setTimeout(resolve, 250));
    const result = await done;
    return { classed, atOnce, atFrame, after: { inStore: view.shown('local-1'), inDom: view.inDom('local-1') }, result };
  },

  /** paintFirst, the delete fails after FullCalendar removed it: the same event comes back. */
  async paintFirstRollback() {
    const view = await open({ adapter: { paintFirst: true } });
    const victim = view.ids()[1]!;
    const before = JSON.stringify(view.calendar.getEventById(victim)!.toPlainObject());
    const held = holdRequest('DELETE', new RegExp(`/${victim}$`), 500);
    const done = view.adapter.removeEvent(view.calendar, victim).then(
      () => undefined,
      (e: unknown) => e,
    );
    await nextFrame();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const removed = view.shown(victim);
    held.hold.open();
    const error = describeError(await done);
    const back = view.calendar.getEventById(victim);
    return {
      removed,
      error,
      same: JSON.stringify(back?.toPlainObject()) === before,
      source: back?.source?.id,
      visible: view.inDom(victim) && !view.hidden(victim),
      leftHidden: document.querySelectorAll('[data-nostale-hidden]').length,
    };
  },

  /** deleteInit: the CSRF token as a function, read at each delete. */
  async csrf() {
    let token = 'tok-1';
    const view = await open({ adapter: { deleteInit: () => ({ headers: { 'X-CSRFToken': token } }) } });
    deleteTokens.length = 0;
    const [a, b] = view.ids();
    await view.adapter.removeEvent(view.calendar, a!);
    token = 'tok-2';
    await view.adapter.removeEvent(view.calendar, b!);
    return { tokens: [...deleteTokens], shown: [view.shown(a!), view.shown(b!)] };
  },
};

export type Scenarios = typeof scenarios;
(window as unknown as { scenarios: Scenarios }).scenarios = scenarios;
document.title = 'ready';
