import { Calendar, type CalendarOptions } from '@fullcalendar/core';
import dayGridPlugin from '@fullcalendar/daygrid';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setControls } from '../../demo/mock/controls';
import { createDemoDb } from '../../demo/mock/db';
import { createHandlers } from '../../demo/mock/handlers';
import { createMemoryStorage, type KeyValueStorage } from '../../demo/mock/storage';
import {
  calendarSource,
  createCalendarAdapter,
  findEventIds,
  hideClass,
  hideClassNames,
  PAINT_FIRST_THRESHOLD,
  removeEvent,
  type CalendarAdapterOptions,
  type CalendarSource,
} from '../../src/fullcalendar.js';
import { idbStore } from '../../src/idb.js';
import type { Route, Store } from '../../src/index.js';
import { MutationError } from '../../src/mutate.js';
import { API, gate, makeClient, useServer, holdDelete as holdOneDelete } from './support/harness.js';

const server = useServer();

// Each test mounts a real FullCalendar in happy-dom and renders it several times: seconds on a
// loaded machine, past the 5 s default.
vi.setConfig({ testTimeout: 20_000 });

const TODAY = new Date('2024-05-15T12:00:00Z');
const SCOPE = 'calendar:alice';
const routes: Route[] = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }];
const feedUrl = ({ start, end }: { start: Date; end: Date }) =>
  `${API}/api/users/alice/events?start=${start.toISOString()}&end=${end.toISOString()}`;

const mounted: Calendar[] = [];
afterEach(() => {
  for (const calendar of mounted.splice(0)) calendar.destroy();
  document.body.innerHTML = '';
});

/** A rendered month view of May 2024 over `source`; `loaded()` resolves when the next fetch lands. */
async function mount(source: CalendarSource, extra: CalendarOptions = {}, parent: ParentNode = document.body) {
  const el = document.createElement('div');
  parent.append(el);
  let waiters: (() => void)[] = [];
  const calendar = new Calendar(el, {
    plugins: [dayGridPlugin],
    initialView: 'dayGridMonth',
    initialDate: '2024-05-15',
    timeZone: 'UTC',
    eventSources: [source],
    loading: (isLoading) => {
      if (isLoading) return;
      const ready = waiters;
      waiters = [];
      for (const resolve of ready) resolve();
    },
    eventDidMount: ({ el: node, event }) => node.setAttribute('data-event-id', event.id),
    ...extra,
  });
  mounted.push(calendar);
  const loaded = () => new Promise<void>((resolve) => waiters.push(resolve));
  const first = loaded();
  calendar.render();
  await first;
  const shown = (id: string) => calendar.getEvents().filter((event) => event.id === id).length;
  const inDom = (id: string) => el.querySelector(`[data-event-id="${id}"]`) !== null;
  const navigate = async (move: 'next' | 'prev') => {
    const done = loaded();
    calendar[move]();
    await done;
  };
  const refetch = async () => {
    const done = loaded();
    calendar.refetchEvents();
    await done;
  };
  return { calendar, el, loaded, shown, inDom, navigate, refetch };
}

/** The demo backend plus a client, an adapter over it, and a rendered calendar. */
async function setup(
  options: {
    beforeRespond?: (request: Request) => Promise<void>;
    storage?: KeyValueStorage;
    paintFirst?: boolean | 'auto';
    store?: Store;
    adapter?: Partial<CalendarAdapterOptions>;
    calendar?: CalendarOptions;
    /** Where the calendar's element goes (a shadow root, say). */
    parent?: ParentNode;
  } = {},
) {
  const storage = options.storage ?? createMemoryStorage();
  setControls({ latencyMs: 0 }, storage);
  server.use(...createHandlers({ storage, today: TODAY, count: 80, beforeRespond: options.beforeRespond }));
  const db = createDemoDb({ storage, today: TODAY, count: 80 });
  const harness = makeClient({ routes, store: options.store });
  await harness.client.ready;
  const adapter = createCalendarAdapter(harness.client, {
    id: 'feed',
    scope: SCOPE,
    paintFirst: options.paintFirst,
    url: feedUrl,
    deleteUrl: (id) => `${API}/api/users/alice/events/${encodeURIComponent(id)}`,
    ...options.adapter,
  });
  const view = await mount(adapter.source, options.calendar, options.parent);
  // Timed events on today's probes: visible in May, rendered in the month grid.
  const visible = view.calendar.getEvents().map((event) => event.id);
  const deletes = () =>
    harness.requests.filter((r) => r.method === 'DELETE').map((r) => decodeURIComponent(r.url.slice(r.url.lastIndexOf('/') + 1)));
  return { storage, db, ...harness, adapter, ...view, visible, deletes };
}

const holdDelete = (id: string) => holdOneDelete(server, id);

describe('calendarSource', () => {
  it('reads the whole visible range through the cache, and navigating back is answered from it', async () => {
    const t = await setup();
    expect(t.visible.length).toBeGreaterThan(5);
    // Month views span six weeks: the URL carries the real range.
    expect(new URL(t.requests[0]!.url).searchParams.get('start')).toBe('2024-04-28T00:00:00.000Z');
    expect(new URL(t.requests[0]!.url).searchParams.get('end')).toBe('2024-06-09T00:00:00.000Z');
    await t.navigate('next');
    await t.navigate('prev');
    const mays = t.requests.filter((r) => r.url.includes('start=2024-04-28'));
    expect(mays).toHaveLength(2);
    // The feed is `no-cache`: revalidated with the stored ETag, answered 304 without a body.
    expect(new Headers(mays[1]!.init?.headers).get('if-none-match')).toMatch(/^"alice-v1/);
    expect(t.events.some((e) => e.type === 'not-modified')).toBe(true);
    expect(
      t.calendar
        .getEvents()
        .map((e) => e.id)
        .sort(),
    ).toEqual([...t.visible].sort());
  });

  it('indexes what it handed to FullCalendar, following only the latest fetch', async () => {
    const t = await setup();
    const [id] = t.visible;
    expect(findEventIds(t.adapter.source, id!)).toEqual([id]);
    await t.navigate('next');
    expect(findEventIds(t.adapter.source, id!)).toEqual(t.calendar.getEventById(id!) ? [id] : []);
  });

  it('reports a failed feed to FullCalendar', async () => {
    server.use(http.get(`${API}/broken`, () => HttpResponse.json({ error: 'nope' }, { status: 500 })));
    const failures: unknown[] = [];
    const { client } = makeClient();
    await mount(calendarSource(client, { url: () => `${API}/broken` }), { eventSourceFailure: (error) => failures.push(error) });
    expect(failures).toEqual([expect.objectContaining({ name: 'HttpError', status: 500 })]);
  });
});

describe('removeEvent through the adapter', () => {
  it('removes the event at once, keeps it gone across navigation while pending and after the commit', async () => {
    const t = await setup();
    const victim = t.visible[0]!;
    expect(t.inDom(victim)).toBe(true);
    const hold = holdDelete(victim);
    const done = t.adapter.removeEvent(t.calendar, victim);
    // Synchronously: gone from the calendar's store and from the DOM.
    expect(t.shown(victim)).toBe(0);
    expect(t.inDom(victim)).toBe(false);
    await t.navigate('next');
    await t.navigate('prev');
    expect(t.shown(victim)).toBe(0);
    hold.open();
    await expect(done).resolves.toEqual({ removed: [victim], refetched: false });
    expect(t.client.scopes()[0]!.token).toBe('2');
    await t.navigate('next');
    await t.navigate('prev');
    await t.refetch();
    expect(t.shown(victim)).toBe(0);
    expect(t.db.findEvent('alice', victim)).toBeUndefined();
    expect(t.deletes()).toEqual([victim]);
  });

  it('stays gone after a refresh over the same IndexedDB, even offline where the page comes from the store', async () => {
    const name = `nostale-fullcalendar-${Math.random().toString(36).slice(2)}`;
    const first = idbStore({ name, pruneDelay: false });
    const t = await setup({ store: first });
    const victim = t.visible[1]!;
    await t.adapter.removeEvent(t.calendar, victim);
    // Read again after the commit, so IndexedDB holds the page as it is now.
    await t.refetch();
    await first.flush();
    first.close();

    setControls({ offline: true }, t.storage);
    const second = idbStore({ name, pruneDelay: false });
    const again = makeClient({ routes, store: second });
    await again.client.ready;
    const view = await mount(calendarSource(again.client, { scope: SCOPE, url: feedUrl }));
    expect(again.requests.length).toBeGreaterThan(0);
    expect(again.events.some((e) => e.type === 'error')).toBe(true);
    expect(view.shown(victim)).toBe(0);
    expect(view.calendar.getEvents().length).toBe(t.visible.length - 1);
    second.close();
  });

  it('never serves a page stored before the delete after a refresh (it is of an older scope mark)', async () => {
    const name = `nostale-fullcalendar-${Math.random().toString(36).slice(2)}`;
    const first = idbStore({ name, pruneDelay: false });
    const t = await setup({ store: first });
    const victim = t.visible[1]!;
    await t.adapter.removeEvent(t.calendar, victim);
    await first.flush();
    first.close();
    setControls({ offline: true }, t.storage);
    const second = idbStore({ name, pruneDelay: false });
    const again = makeClient({ routes, store: second });
    await again.client.ready;
    const failures: unknown[] = [];
    const view = await mount(calendarSource(again.client, { scope: SCOPE, url: feedUrl }), { eventSourceFailure: (e) => failures.push(e) });
    // Offline, and the only stored page predates the delete: an error, never the deleted event.
    expect(view.shown(victim)).toBe(0);
    expect(failures).toHaveLength(1);
    second.close();
  });

  it('on a server 500 puts the event back in its source, reports the error, and a refetch shows it once', async () => {
    const t = await setup();
    const victim = t.visible[2]!;
    const before = t.calendar.getEventById(victim)!.toPlainObject();
    setControls({ failNext: true }, t.storage);
    const onError = vi.fn();
    const error = await t.adapter.removeEvent(t.calendar, victim, { onError }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MutationError);
    expect(error).toMatchObject({ status: 500, key: `delete:${victim}` });
    expect(onError).toHaveBeenCalledWith(error);
    const back = t.calendar.getEventById(victim)!;
    expect(back.source?.id).toBe('feed');
    expect(back.toPlainObject()).toEqual(before);
    expect(t.inDom(victim)).toBe(true);
    await t.refetch();
    expect(t.shown(victim)).toBe(1);
    expect(findEventIds(t.adapter.source, victim)).toEqual([victim]);
  });

  it('(why the source matters) an event re-added without its source shows twice after a refetch', async () => {
    const t = await setup();
    const victim = t.visible[2]!;
    const event = t.calendar.getEventById(victim)!;
    const snapshot = event.toPlainObject();
    event.remove();
    t.calendar.addEvent(snapshot);
    await t.refetch();
    expect(t.shown(victim)).toBe(2);
  });

  it('stays gone when a slow feed response that began before the delete lands after it', async () => {
    const hold = gate();
    const arrived = gate();
    let holdNext = false;
    const t = await setup({
      beforeRespond: async (request) => {
        if (request.method !== 'GET' || !holdNext) return;
        holdNext = false;
        arrived.open();
        await hold.opened;
      },
    });
    const victim = t.visible[3]!;
    holdNext = true;
    const refetched = t.loaded();
    t.calendar.refetchEvents();
    await arrived.opened;
    await t.adapter.removeEvent(t.calendar, victim);
    hold.open();
    await refetched;
    expect(t.shown(victim)).toBe(0);
    expect(t.calendar.getEvents().length).toBe(t.visible.length - 1);
  });

  it('two concurrent deletes where one fails: only that one comes back', async () => {
    const t = await setup();
    const [good, bad] = [t.visible[4]!, t.visible[5]!];
    const holdGood = holdDelete(good);
    const holdBad = gate();
    server.use(
      http.delete(`${API}/api/users/alice/events/${bad}`, async () => {
        await holdBad.opened;
        return HttpResponse.json({ error: 'server-error' }, { status: 500 });
      }),
    );
    const okDone = t.adapter.removeEvent(t.calendar, good);
    const badDone = t.adapter.removeEvent(t.calendar, bad).catch((e: unknown) => e);
    expect([t.shown(good), t.shown(bad)]).toEqual([0, 0]);
    holdBad.open();
    expect(await badDone).toBeInstanceOf(MutationError);
    expect([t.shown(good), t.shown(bad)]).toEqual([0, 1]);
    await t.refetch();
    expect([t.shown(good), t.shown(bad)]).toEqual([0, 1]);
    holdGood.open();
    await okDone;
    await t.refetch();
    expect([t.shown(good), t.shown(bad)]).toEqual([0, 1]);
  });

  it('finds events by bare primary key for every id format, and deletes by the full id', async () => {
    const t = await setup();
    for (const kind of ['work-item', 'coordination-event', 'staff-task']) {
      const full = t.visible.find((id) => id.startsWith(`${kind}-`))!;
      expect(full).toBeDefined();
      const pk = full.slice(kind.length + 1);
      await expect(t.adapter.removeEvent(t.calendar, pk)).resolves.toEqual({ removed: [full], refetched: false });
      expect(t.shown(full)).toBe(0);
    }
    expect(t.deletes().every((id) => /^(work-item|coordination-event|staff-task)-\d+$/.test(id))).toBe(true);
    // Numbers work as ids too.
    const next = t.calendar.getEvents()[0]!.id;
    await t.adapter.removeEvent(t.calendar, Number(next.slice(next.lastIndexOf('-') + 1)));
    expect(t.shown(next)).toBe(0);
  });

  it('is idempotent for double clicks: one promise, one DELETE', async () => {
    const t = await setup();
    const victim = t.visible[6]!;
    const hold = holdDelete(victim);
    const first = t.adapter.removeEvent(t.calendar, victim);
    const pk = victim.slice(victim.lastIndexOf('-') + 1);
    expect(t.adapter.removeEvent(t.calendar, victim)).toBe(first);
    hold.open();
    await first;
    expect(t.deletes()).toEqual([victim]);
    // Deleting what is already gone (another tab did it) is fine: 404 counts as success.
    await expect(t.adapter.removeEvent(t.calendar, pk)).resolves.toEqual({ removed: [], refetched: true });
  });

  it('looks events up in its index, never by scanning getEvents()', async () => {
    const t = await setup();
    const getEvents = vi.spyOn(t.calendar, 'getEvents');
    const getEventById = vi.spyOn(t.calendar, 'getEventById');
    await t.adapter.removeEvent(t.calendar, t.visible[7]!);
    expect(getEvents).not.toHaveBeenCalled();
    expect(getEventById).toHaveBeenCalledTimes(1);
  });
});

describe('removeEvent without a match', () => {
  /** A feed with two events sharing a bare key, and one without a prefix. */
  async function ambiguousFeed() {
    server.use(
      http.get(`${API}/feed`, () =>
        HttpResponse.json([
          { id: 'work-item-5', title: 'A', start: '2024-05-10' },
          { id: 'staff-task-5', title: 'B', start: '2024-05-11' },
          { id: '9', title: 'C', start: '2024-05-12' },
        ]),
      ),
    );
    const { client } = makeClient();
    const source = calendarSource(client, { url: () => `${API}/feed` });
    const view = await mount(source);
    const refetch = vi.spyOn(view.calendar, 'refetchEvents');
    return { source, ...view, refetch };
  }

  it('removes nothing at once for an ambiguous bare id, and refetches after the server answered', async () => {
    const t = await ambiguousFeed();
    expect(findEventIds(t.source, '5').sort()).toEqual(['staff-task-5', 'work-item-5']);
    const mutate = vi.fn(() => Promise.resolve());
    const done = removeEvent(t.calendar, '5', { source: t.source, mutate });
    expect([t.shown('work-item-5'), t.shown('staff-task-5')]).toEqual([1, 1]);
    await expect(done).resolves.toEqual({ removed: [], refetched: true });
    expect(mutate).toHaveBeenCalledWith('5');
    expect(t.refetch).toHaveBeenCalledTimes(1);
  });

  it("removes every match with ambiguous: 'remove-all', and puts both back on failure", async () => {
    const t = await ambiguousFeed();
    const failure = new Error('offline');
    const done = removeEvent(t.calendar, '5', { source: t.source, ambiguous: 'remove-all', mutate: () => Promise.reject(failure) });
    expect([t.shown('work-item-5'), t.shown('staff-task-5')]).toEqual([0, 0]);
    await expect(done).rejects.toBe(failure);
    expect([t.shown('work-item-5'), t.shown('staff-task-5')]).toEqual([1, 1]);
  });

  it('finds a bare feed id from a prefixed one, and takes a custom matcher', async () => {
    const t = await ambiguousFeed();
    expect(findEventIds(t.source, 'work-item-9')).toEqual(['9']);
    expect(findEventIds(t.source, 'A', (wanted, id) => wanted === 'A' && id.startsWith('work'))).toEqual(['work-item-5']);
    await removeEvent(t.calendar, 'x-9', { source: t.source, mutate: () => Promise.resolve() });
    expect(t.shown('9')).toBe(0);
  });

  it('falls back to refetchEvents() when it cannot find the event', async () => {
    const t = await ambiguousFeed();
    const mutate = vi.fn(() => Promise.resolve());
    await expect(removeEvent(t.calendar, 'nope', { source: t.source, mutate })).resolves.toEqual({ removed: [], refetched: true });
    expect(t.refetch).toHaveBeenCalledTimes(1);
    expect(t.calendar.getEvents()).toHaveLength(3);
  });

  it('finds events added with addEvent by exact id, even without a source', async () => {
    const t = await ambiguousFeed();
    t.calendar.addEvent({ id: 'local-1', title: 'L', start: '2024-05-13' });
    await removeEvent(t.calendar, 'local-1', { mutate: () => Promise.resolve() });
    expect(t.shown('local-1')).toBe(0);
    expect(t.refetch).not.toHaveBeenCalled();
  });
});

describe('paintFirst', () => {
  const afterPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 150)));
  /** Elements this module still hides, anywhere. */
  const leftHidden = (root: ParentNode = document) => root.querySelectorAll('[data-nostale-hidden]').length;

  it('hides the event by its class at once and lets FullCalendar remove it after the next paint', async () => {
    const t = await setup({ paintFirst: true });
    const victim = t.visible[0]!;
    const node = t.el.querySelector(`[data-event-id="${victim}"]`)!;
    expect(node.classList.contains(hideClass(victim))).toBe(true);
    const done = t.adapter.removeEvent(t.calendar, victim);
    expect(getComputedStyle(node).display).toBe('none');
    // No stylesheet rule: inserting one makes the browser match the whole document against it.
    expect(document.querySelectorAll('style[data-nostale]')).toHaveLength(0);
    // FullCalendar has not re-rendered yet.
    expect(t.shown(victim)).toBe(1);
    await afterPaint();
    expect(t.shown(victim)).toBe(0);
    expect(leftHidden()).toBe(0);
    await expect(done).resolves.toEqual({ removed: [victim], refetched: false });
    await t.refetch();
    expect(t.shown(victim)).toBe(0);
  });

  it('a failure before the paint only shows the event again; after it, the event is re-added in its source', async () => {
    const t = await setup({ paintFirst: true });
    const [early, late] = [t.visible[1]!, t.visible[2]!];
    const addEvent = vi.spyOn(t.calendar, 'addEvent');
    await expect(
      removeEvent(t.calendar, early, { source: t.adapter.source, mutate: () => Promise.reject(new Error('no')) }),
    ).rejects.toThrow('no');
    expect(leftHidden()).toBe(0);
    await afterPaint();
    expect(t.shown(early)).toBe(1);
    expect(addEvent).not.toHaveBeenCalled();

    setControls({ failNext: true }, t.storage);
    const hold = holdDelete(late);
    const done = t.adapter.removeEvent(t.calendar, late).catch((e: unknown) => e);
    await afterPaint();
    expect(t.shown(late)).toBe(0);
    hold.open();
    expect(await done).toBeInstanceOf(MutationError);
    expect(t.calendar.getEventById(late)?.source?.id).toBe('feed');
    expect(t.inDom(late)).toBe(true);
    await t.refetch();
    expect(t.shown(late)).toBe(1);
  });

  it('hides elements FullCalendar creates for a hidden event before removing it (a refetch), and only those', async () => {
    const t = await setup({ paintFirst: true, adapter: { paintFirstDelay: 400 } });
    const [victim, other] = [t.visible[0]!, t.visible[1]!];
    const before = t.el.querySelector(`[data-event-id="${victim}"]`)!;
    // A delete with no tombstone over the feed: the refetch below hands the event over again.
    const done = removeEvent(t.calendar, victim, {
      source: t.adapter.source,
      mutate: () => new Promise((resolve) => setTimeout(resolve, 600)),
    });
    expect(getComputedStyle(before).display).toBe('none');
    await t.refetch();
    // FullCalendar replaced the source's events: new instances, new elements.
    const after = t.el.querySelector(`[data-event-id="${victim}"]`);
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    expect(getComputedStyle(after!).display).toBe('none');
    expect(getComputedStyle(t.el.querySelector(`[data-event-id="${other}"]`)!).display).not.toBe('none');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([t.shown(victim), t.inDom(victim), leftHidden()]).toEqual([0, false, 0]);
    await done;
  });

  it('keeps the class names an event already had, and escapes ids into distinct classes', async () => {
    expect(hideClass('work-item-42')).toBe('nostale-work-item-42');
    expect(hideClass('a/b')).not.toBe(hideClass('a_2f_b'));
    expect(hideClass('a b')).toMatch(/^[A-Za-z0-9_-]+$/);
    server.use(
      http.get(`${API}/styled`, () => HttpResponse.json([{ id: 'x', title: 'X', start: '2024-05-10', classNames: 'mine other' }])),
    );
    const { client } = makeClient();
    const view = await mount(calendarSource(client, { url: () => `${API}/styled`, paintFirst: true }));
    expect(view.calendar.getEventById('x')!.classNames).toEqual(['mine', 'other', 'nostale-x']);
  });
});

describe('paintFirst: auto, batched, scoped', () => {
  const afterPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 150)));
  const nodeOf = (root: ParentNode, id: string) => root.querySelector(`[data-event-id="${id}"]`);
  const hiddenIn = (root: ParentNode, id: string) => {
    const node = nodeOf(root, id);
    return node !== null && getComputedStyle(node).display === 'none';
  };

  it(`defaults to 'auto': defers from paintFirstThreshold events in the source's answer, not one below`, async () => {
    expect(PAINT_FIRST_THRESHOLD).toBe(500);
    const plain = await setup();
    const count = plain.calendar.getEvents().length;
    // The demo month holds fewer than the default threshold: a plain removal.
    expect(count).toBeLessThan(PAINT_FIRST_THRESHOLD);
    await plain.adapter.removeEvent(plain.calendar, plain.visible[0]!);
    expect(plain.shown(plain.visible[0]!)).toBe(0);

    for (const [threshold, deferred] of [
      [count, true],
      [count + 1, false],
    ] as const) {
      const t = await setup({ adapter: { paintFirstThreshold: threshold } });
      const victim = t.visible[1]!;
      const hold = holdDelete(victim);
      const done = t.adapter.removeEvent(t.calendar, victim);
      expect({ threshold, inStore: t.shown(victim), hidden: hiddenIn(t.el, victim) }).toEqual({
        threshold,
        inStore: deferred ? 1 : 0,
        hidden: deferred,
      });
      await afterPaint();
      expect(t.shown(victim)).toBe(0);
      hold.open();
      await done;
    }
  }, 30_000);

  it('removals made before the paint share one batchRendering and one FullCalendar render', async () => {
    let renders = 0;
    const t = await setup({ paintFirst: true, calendar: { eventsSet: () => void renders++ } });
    const batch = vi.spyOn(t.calendar, 'batchRendering');
    const victims = t.visible.slice(0, 4);
    const before = renders;
    const done: Promise<unknown>[] = [];
    for (const victim of victims) {
      done.push(t.adapter.removeEvent(t.calendar, victim));
      // Separate microtasks, as separate clicks' handlers would be.
      await Promise.resolve();
    }
    expect(victims.map((id) => [t.shown(id), hiddenIn(t.el, id)])).toEqual(victims.map(() => [1, true]));
    expect(renders).toBe(before);
    await afterPaint();
    expect(batch).toHaveBeenCalledTimes(1);
    expect(renders).toBe(before + 1);
    expect(victims.map((id) => t.shown(id))).toEqual(victims.map(() => 0));
    await Promise.all(done);

    // The counter does count renders: two plain removals are two.
    const [x, y] = t.calendar.getEvents();
    const counted = renders;
    x!.remove();
    y!.remove();
    expect(renders).toBe(counted + 2);
  });

  it('removals spaced within paintFirstDelay, each painted, share one render; spaced wider, each has its own', async () => {
    let renders = 0;
    const frame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    for (const [delay, expected] of [
      [400, 1],
      [0, 3],
    ] as const) {
      const t = await setup({ paintFirst: true, adapter: { paintFirstDelay: delay }, calendar: { eventsSet: () => void renders++ } });
      const victims = t.visible.slice(0, 3);
      const before = renders;
      const done: Promise<unknown>[] = [];
      for (const victim of victims) {
        done.push(t.adapter.removeEvent(t.calendar, victim));
        await frame();
        expect(hiddenIn(t.el, victim) || !t.inDom(victim)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await new Promise((resolve) => setTimeout(resolve, delay + 100));
      expect({ delay, renders: renders - before }).toEqual({ delay, renders: expected });
      expect(victims.map((id) => t.shown(id))).toEqual([0, 0, 0]);
      await Promise.all(done);
    }
  }, 30_000);

  it('hides the event only in its own calendar: the same id in a second calendar stays visible', async () => {
    const t = await setup({ paintFirst: true });
    const second = await mount(calendarSource(t.client, { scope: SCOPE, url: feedUrl, paintFirst: true }));
    const victim = t.visible.find((id) => second.inDom(id))!;
    expect(victim).toBeDefined();
    const hold = holdDelete(victim);
    const done = t.adapter.removeEvent(t.calendar, victim);
    expect(hiddenIn(t.el, victim)).toBe(true);
    expect(hiddenIn(second.el, victim)).toBe(false);
    await afterPaint();
    expect([t.shown(victim), second.shown(victim)]).toEqual([0, 1]);
    hold.open();
    await done;
  });

  it('works inside a shadow root, leaving nothing behind in it or in the document', async () => {
    const host = document.createElement('div');
    document.body.append(host);
    const shadow = host.attachShadow({ mode: 'open' });
    const t = await setup({ paintFirst: true, parent: shadow });
    const victim = t.visible[0]!;
    const hold = holdDelete(victim);
    const done = t.adapter.removeEvent(t.calendar, victim);
    expect(hiddenIn(shadow, victim)).toBe(true);
    expect(t.shown(victim)).toBe(1);
    await afterPaint();
    expect(t.shown(victim)).toBe(0);
    expect([shadow.querySelectorAll('[data-nostale-hidden]').length, document.querySelectorAll('[data-nostale-hidden]').length]).toEqual([
      0, 0,
    ]);
    hold.open();
    await done;
  });

  it('hides events added with addEvent at once when eventClassNames gives them the class, even composed', async () => {
    const options: CalendarOptions['eventClassNames'][] = [hideClassNames, (arg) => ['mine', ...hideClassNames(arg)]];
    for (const eventClassNames of options) {
      const t = await setup({ paintFirst: true, calendar: { eventClassNames } });
      expect(t.adapter.eventClassNames).toBe(hideClassNames);
      t.calendar.addEvent({ id: 'local-1', title: 'Local', start: '2024-05-15T09:00:00Z' });
      expect(nodeOf(t.el, 'local-1')?.classList.contains(hideClass('local-1'))).toBe(true);
      const done = t.adapter.removeEvent(t.calendar, 'local-1');
      expect([t.shown('local-1'), hiddenIn(t.el, 'local-1')]).toEqual([1, true]);
      await afterPaint();
      expect([t.shown('local-1'), t.inDom('local-1')]).toEqual([0, false]);
      await expect(done).resolves.toEqual({ removed: ['local-1'], refetched: false });
    }
  });

  it('removes an added event without the class at once, since no rule could hide it', async () => {
    const t = await setup({ paintFirst: true });
    t.calendar.addEvent({ id: 'local-2', title: 'Local', start: '2024-05-15T09:00:00Z' });
    expect(nodeOf(t.el, 'local-2')?.classList.contains(hideClass('local-2'))).toBe(false);
    const done = t.adapter.removeEvent(t.calendar, 'local-2');
    expect([t.shown('local-2'), t.inDom('local-2')]).toEqual([0, false]);
    await done;
  });

  it('rolls back exactly: a failure while queued leaves the others in the flush; one after it re-adds the same event', async () => {
    const t = await setup({ paintFirst: true });
    const [early, kept, late] = [t.visible[0]!, t.visible[1]!, t.visible[2]!];
    const before = t.calendar.getEventById(late)!.toPlainObject();
    const renderedBefore = nodeOf(t.el, early)!.outerHTML;
    const addEvent = vi.spyOn(t.calendar, 'addEvent');
    const holdKept = holdDelete(kept);
    const holdLate = holdDelete(late);
    const keptDone = t.adapter.removeEvent(t.calendar, kept);
    const lateDone = t.adapter.removeEvent(t.calendar, late).catch((e: unknown) => e);
    await expect(t.adapter.removeEvent(t.calendar, early, { mutate: () => Promise.reject(new Error('no')) })).rejects.toThrow('no');
    // Never left FullCalendar: shown again, the same element, nothing re-added.
    expect([t.shown(early), hiddenIn(t.el, early), nodeOf(t.el, early)!.outerHTML]).toEqual([1, false, renderedBefore]);
    await afterPaint();
    expect([t.shown(early), t.shown(kept), t.shown(late)]).toEqual([1, 0, 0]);
    expect(addEvent).not.toHaveBeenCalled();

    setControls({ failNext: true }, t.storage);
    holdLate.open();
    expect(await lateDone).toBeInstanceOf(MutationError);
    const back = t.calendar.getEventById(late)!;
    expect(back.toPlainObject()).toEqual(before);
    expect(back.source?.id).toBe('feed');
    expect([t.inDom(late), hiddenIn(t.el, late)]).toEqual([true, false]);
    holdKept.open();
    await keptDone;
    await t.refetch();
    expect([t.shown(early), t.shown(kept), t.shown(late)]).toEqual([1, 0, 1]);
  });
});

describe('deleteInit', () => {
  /** Records the CSRF header of every DELETE as the server receives it. */
  const seenTokens = () => {
    const seen: (string | null)[] = [];
    server.use(
      http.delete(`${API}/api/users/alice/events/:id`, ({ request }) => {
        seen.push(request.headers.get('x-csrftoken'));
      }),
    );
    return seen;
  };

  it('sends the configured headers with the delete', async () => {
    const t = await setup({ adapter: { deleteInit: { headers: { 'X-CSRFToken': 'tok-1' } } } });
    const seen = seenTokens();
    await expect(t.adapter.removeEvent(t.calendar, t.visible[0]!)).resolves.toEqual({ removed: [t.visible[0]], refetched: false });
    expect(seen).toEqual(['tok-1']);
    expect(t.db.findEvent('alice', t.visible[0]!)).toBeUndefined();
  });

  it('calls a function for every delete with the id, so a changing token is read each time', async () => {
    let token = 'tok-a';
    const deleteInit = vi.fn((id: string) => ({ headers: { 'X-CSRFToken': token, 'X-Event': id } }));
    const t = await setup({ adapter: { deleteInit } });
    const seen = seenTokens();
    await t.adapter.removeEvent(t.calendar, t.visible[0]!);
    token = 'tok-b';
    await t.adapter.removeEvent(t.calendar, t.visible[1]!);
    expect(deleteInit.mock.calls).toEqual([[t.visible[0]], [t.visible[1]]]);
    expect(seen).toEqual(['tok-a', 'tok-b']);
  });

  it('awaits an async init (and passes options beyond headers); a 500 still rolls back with a MutationError', async () => {
    const t = await setup({
      adapter: { deleteInit: async () => ({ headers: { 'X-CSRFToken': 'fetched' }, credentials: 'include', method: 'POST' }) },
    });
    const seen = seenTokens();
    await t.adapter.removeEvent(t.calendar, t.visible[0]!);
    expect(seen).toEqual(['fetched']);
    expect(t.deletes()).toEqual([t.visible[0]]);
    expect(t.db.findEvent('alice', t.visible[0]!)).toBeUndefined();
    // Already gone counts as success here too.
    await expect(t.adapter.removeEvent(t.calendar, t.visible[0]!)).resolves.toEqual({ removed: [], refetched: true });

    const victim = t.visible[1]!;
    setControls({ failNext: true }, t.storage);
    const error = await t.adapter.removeEvent(t.calendar, victim).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MutationError);
    expect(error).toMatchObject({ status: 500, key: `delete:${victim}` });
    expect(t.shown(victim)).toBe(1);
  });

  it('a failing init fails the delete before anything is sent, and the event comes back', async () => {
    const failure = new Error('no token');
    const t = await setup({ adapter: { deleteInit: () => Promise.reject(failure) } });
    const victim = t.visible[0]!;
    const error = await t.adapter.removeEvent(t.calendar, victim).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MutationError);
    expect((error as Error).cause).toBe(failure);
    expect(t.deletes()).toEqual([]);
    expect(t.shown(victim)).toBe(1);
  });
});
