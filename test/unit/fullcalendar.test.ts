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
  removeEvent,
  type CalendarSource,
} from '../../src/fullcalendar.js';
import { idbStore } from '../../src/idb.js';
import type { Route, Store } from '../../src/index.js';
import { MutationError } from '../../src/mutate.js';
import { API, gate, makeClient, useServer, holdDelete as holdOneDelete } from './support/harness.js';

const server = useServer();

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
async function mount(source: CalendarSource, extra: CalendarOptions = {}) {
  const el = document.createElement('div');
  document.body.append(el);
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
  options: { beforeRespond?: (request: Request) => Promise<void>; storage?: KeyValueStorage; paintFirst?: boolean; store?: Store } = {},
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
  });
  const view = await mount(adapter.source);
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
  const afterPaint = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 5)));
  const rules = () =>
    [...((document.querySelector('style[data-nostale]') as HTMLStyleElement | null)?.sheet?.cssRules ?? [])].map((r) => r.cssText);

  it('hides the event with a class rule at once and lets FullCalendar remove it after the next paint', async () => {
    const t = await setup({ paintFirst: true });
    const victim = t.visible[0]!;
    const node = t.el.querySelector(`[data-event-id="${victim}"]`)!;
    expect(node.classList.contains(hideClass(victim))).toBe(true);
    const done = t.adapter.removeEvent(t.calendar, victim);
    expect(rules().join('')).toContain(`.${hideClass(victim)}`);
    expect(getComputedStyle(node).display).toBe('none');
    // FullCalendar has not re-rendered yet.
    expect(t.shown(victim)).toBe(1);
    await afterPaint();
    expect(t.shown(victim)).toBe(0);
    expect(rules().join('')).not.toContain(hideClass(victim));
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
    expect(rules().join('')).not.toContain(hideClass(early));
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
