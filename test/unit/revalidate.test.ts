/**
 * `nostale/revalidate`: focus, reconnect and polling, counted as the server sees requests (msw),
 * on fake timers. "Settled" means every request sent has been answered and the work it caused
 * has run (see `idle`), never a wait for some time to pass.
 */
import { HttpResponse, http } from 'msw';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/index.js';
import { revalidate } from '../../src/revalidate.js';
import { BEAT, elect } from '../../src/revalidate/leader.js';
import { type ChannelLike, syncTabs } from '../../src/sync.js';
import { type WatchState, watch } from '../../src/watch.js';
import { API, makeClient, useServer } from './support/harness.js';

const server = useServer();

const routes = [
  { match: '/api/users/:user/events*', scope: 'calendar:{user}', versionUrl: '/api/users/{user}/version' },
  { match: '/api/notes/*', scope: 'notes' },
];
const EVENTS = `${API}/api/users/alice/events`;
const NOTES = `${API}/api/notes`;

/** The server: a versioned calendar feed (any month) and unversioned notes answering ETags. */
function backend() {
  const state = { version: 1, versionGets: 0, feedGets: 0, noteGets: 0, conditional: 0, failVersion: false, note: 'n1' };
  server.use(
    http.get(`${API}/api/users/alice/version`, () => {
      state.versionGets++;
      if (state.failVersion) return new HttpResponse('down', { status: 503 });
      return HttpResponse.json({ version: String(state.version) });
    }),
    http.get(EVENTS, ({ request }) => {
      state.feedGets++;
      const month = new URL(request.url).searchParams.get('month');
      return HttpResponse.json({ month, version: state.version }, { headers: { 'x-cache-version': String(state.version) } });
    }),
    http.get(`${NOTES}/:id`, ({ request }) => {
      state.noteGets++;
      const etag = `"${state.note}"`;
      if (request.headers.get('if-none-match') !== null) state.conditional++;
      if (request.headers.get('if-none-match') === etag) return new HttpResponse(null, { status: 304, headers: { etag } });
      return HttpResponse.json({ note: state.note }, { headers: { etag, 'cache-control': 'no-cache' } });
    }),
  );
  return state;
}

const page = { visibility: 'visible' as DocumentVisibilityState, online: true };
const cleanups: (() => void)[] = [];

beforeEach(() => {
  page.visibility = 'visible';
  page.online = true;
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => page.visibility });
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => page.online });
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.useRealTimers();
  Reflect.deleteProperty(document, 'visibilityState');
  Reflect.deleteProperty(navigator, 'onLine');
});

const setVisibility = (visibility: DocumentVisibilityState) => {
  page.visibility = visibility;
  document.dispatchEvent(new Event('visibilitychange'));
};
const setOnline = (online: boolean) => {
  page.online = online;
  window.dispatchEvent(new Event(online ? 'online' : 'offline'));
};

/** A client whose requests are tracked until answered, so a test can wait for them all. */
function tracked() {
  const inflight = new Set<Promise<unknown>>();
  /** URLs this client asked for, in order. */
  const asked: string[] = [];
  const made = makeClient({
    routes,
    // A failed re-read is the watcher's error at once here; read retries are servers.retry.test.ts's.
    retry: { retries: 0 },
    fetch: (input, init) => {
      asked.push(input instanceof Request ? input.url : String(input));
      const answer = globalThis.fetch(input, init);
      const settled = answer.then((r) => r.clone().arrayBuffer()).catch(() => undefined);
      inflight.add(settled);
      void settled.finally(() => inflight.delete(settled));
      return answer;
    },
  });
  /** Every request answered and read, every deferred step (timers due now, I/O callbacks) run. */
  const idle = async () => {
    for (let round = 0; round < 6; round++) {
      await Promise.all([...inflight]);
      await new Promise<void>((resolve) => setImmediate(resolve));
      await vi.advanceTimersByTimeAsync(0);
    }
  };
  return { ...made, asked, idle };
}

async function withMonths(client: Client, idle: () => Promise<void>, months = 5) {
  await client.prefetch(Array.from({ length: months }, (_, i) => `${EVENTS}?month=${i + 1}`));
  await idle();
}

/** Starts revalidation and stops it after the test. */
function started(client: Client, options: Parameters<typeof revalidate>[1]) {
  const stop = revalidate(client, options);
  cleanups.push(stop);
  return stop;
}

function watching(client: Client, url: string, options?: Parameters<typeof watch>[3]) {
  const seen: WatchState<unknown>[] = [];
  const stop = watch(client, url, (state) => seen.push(state), options);
  cleanups.push(stop);
  return { seen, last: () => seen.at(-1), stop };
}

describe('polling', () => {
  it('polls a scope with a versionUrl with one request, however many entries it holds', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 5);
    expect(state.feedGets).toBe(5);
    started(client, { interval: 1000, focus: false });
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect([state.versionGets, state.feedGets]).toEqual([1, 5]);
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect([state.versionGets, state.feedGets]).toEqual([2, 5]);
  });

  it('watchers of a polled scope join its version check; a new version costs each watcher one read', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 3);
    const watchers = [1, 2, 3].map((m) => watching(client, `${EVENTS}?month=${m}`));
    await idle();
    // Mounting on expired entries (no freshness given) checked the version once, for all three.
    expect([state.versionGets, state.feedGets]).toEqual([1, 3]);
    started(client, { interval: 1000, focus: false });
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect([state.versionGets, state.feedGets]).toEqual([2, 3]);

    state.version = 2;
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect([state.versionGets, state.feedGets]).toEqual([3, 6]);
    for (const w of watchers) expect(w.last()).toMatchObject({ data: { version: 2 }, isValidating: false });
  });

  it('re-reads a URL without a versionUrl (conditionally) only while something watches it', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await client.get(`${NOTES}/1`);
    await client.get(`${NOTES}/2`);
    started(client, { interval: 1000, focus: false });
    const watched = watching(client, `${NOTES}/1`);
    await idle();
    // Mounting on a `no-cache` entry revalidated it once (the watcher's own rule).
    const before = state.noteGets;
    const conditional = state.conditional;
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect(state.noteGets - before).toBe(1);
    expect(state.conditional - conditional).toBe(1);

    state.note = 'n2';
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect(watched.last()).toMatchObject({ data: { note: 'n2' } });
    expect(state.noteGets - before).toBe(2);
  });

  it('per-route rules: a scope rule changes its interval, others keep the client’s', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    started(client, { interval: 1000, focus: false, routes: [{ scope: 'calendar:*', interval: 3000 }] });
    await vi.advanceTimersByTimeAsync(2000);
    await idle();
    expect(state.versionGets).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect(state.versionGets).toBe(1);
  });

  it('backs off while the version endpoint fails, never rejecting, and recovers', async () => {
    const state = backend();
    const { client, idle, events } = tracked();
    await withMonths(client, idle, 2);
    state.failVersion = true;
    started(client, { interval: 1000, focus: false });
    const counts: number[] = [];
    for (let s = 1; s <= 8; s++) {
      await vi.advanceTimersByTimeAsync(1000);
      await idle();
      counts.push(state.versionGets);
    }
    // Polls at 1 s, then after 2, 4 intervals: 1 s, 3 s, 7 s.
    expect(counts).toEqual([1, 1, 2, 2, 2, 2, 3, 3]);
    expect(events.some((e) => e.type === 'error')).toBe(true);
    state.failVersion = false;
    // 7 s failed a third time: the next poll is 8 intervals on, at 15 s; then every second again.
    await vi.advanceTimersByTimeAsync(7000);
    await idle();
    expect(state.versionGets).toBe(4);
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect(state.versionGets).toBe(5);
  });
});

describe('hidden tab, focus, reconnect', () => {
  it('polls nothing while hidden and catches up once when visible again', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    started(client, { interval: 1000, focus: false });
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(10_000);
    await idle();
    expect(state.versionGets).toBe(0);
    setVisibility('visible');
    await idle();
    expect(state.versionGets).toBe(1);
    // The schedule restarts from the catch-up.
    await vi.advanceTimersByTimeAsync(999);
    await idle();
    expect(state.versionGets).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await idle();
    expect(state.versionGets).toBe(2);
  });

  it('focus revalidates once, also when a poll fell due while hidden', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 3);
    started(client, { interval: 5000 });
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(1000);
    setVisibility('visible');
    await idle();
    expect(state.versionGets).toBe(1);
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(10_000);
    setVisibility('visible');
    await idle();
    expect(state.versionGets).toBe(2);
  });

  it('does not poll offline, and revalidates once on `online`', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    started(client, { interval: 1000, focus: false, reconnect: true });
    setOnline(false);
    await vi.advanceTimersByTimeAsync(5000);
    await idle();
    expect(state.versionGets).toBe(0);
    setOnline(true);
    await idle();
    expect(state.versionGets).toBe(1);
  });

  it('reconnect without polling: one check per scope on `online`, none when reconnect is off', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    const stop = started(client, {});
    setOnline(false);
    setOnline(true);
    await idle();
    expect(state.versionGets).toBe(1);
    stop();
    started(client, { reconnect: false });
    setOnline(false);
    setOnline(true);
    await idle();
    expect(state.versionGets).toBe(1);
  });

  it('stop() removes every listener and timer', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    const added = vi.spyOn(document, 'addEventListener');
    const removed = vi.spyOn(document, 'removeEventListener');
    const stop = started(client, { interval: 1000 });
    stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(removed.mock.calls.map((c) => c[0])).toEqual(added.mock.calls.map((c) => c[0]));
    setVisibility('hidden');
    setVisibility('visible');
    setOnline(false);
    setOnline(true);
    await vi.advanceTimersByTimeAsync(5000);
    await idle();
    expect(state.versionGets).toBe(0);
  });
});

describe('focus throttle', () => {
  /** The tab goes to the background and comes back `ms` later. */
  const refocus = async (ms: number) => {
    setVisibility('hidden');
    await vi.advanceTimersByTimeAsync(ms);
    setVisibility('visible');
  };

  it('switching tabs back and forth asks once per 5 s by default, and every time with 0', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    const stop = started(client, {});
    await refocus(100);
    await idle();
    expect(state.versionGets).toBe(1);
    await refocus(1000);
    await refocus(1000);
    await idle();
    expect(state.versionGets).toBe(1);
    await refocus(3000);
    await idle();
    expect(state.versionGets).toBe(2);
    stop();
    started(client, { focusThrottle: 0 });
    await refocus(100);
    await idle();
    await refocus(100);
    await idle();
    expect(state.versionGets).toBe(4);
  });

  it('a poll or a reconnect just before counts; reconnects themselves are never throttled', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    started(client, { interval: 10_000, focusThrottle: 4000 });
    await vi.advanceTimersByTimeAsync(10_000);
    await idle();
    expect(state.versionGets).toBe(1);
    await refocus(1000);
    await idle();
    expect(state.versionGets).toBe(1);
    setOnline(false);
    setOnline(true);
    await idle();
    setOnline(false);
    setOnline(true);
    await idle();
    expect(state.versionGets).toBe(3);
    await refocus(3000);
    await idle();
    expect(state.versionGets).toBe(3);
    await refocus(1001);
    await idle();
    expect(state.versionGets).toBe(4);
  });

  it('a watcher that opted in by itself is throttled too, and a failed re-read does not hold the next focus back', async () => {
    const state = backend();
    const { client, idle } = tracked();
    const w = watching(client, `${NOTES}/1`, { revalidate: { focus: true } });
    await idle();
    await refocus(100);
    await idle();
    await refocus(100);
    await idle();
    expect(state.noteGets).toBe(2);
    server.use(http.get(`${NOTES}/1`, () => HttpResponse.error()));
    await refocus(5000);
    await idle();
    expect(w.last()?.error).toBeDefined();
    server.resetHandlers();
    backend();
    await refocus(100);
    await idle();
    expect(w.last()).toMatchObject({ data: { note: 'n1' }, error: undefined });
  });
});

describe('revalidate(client, …) called again', () => {
  it('replaces the first call’s options; the first stop then does nothing', async () => {
    const state = backend();
    const { client, idle } = tracked();
    await withMonths(client, idle, 2);
    const first = started(client, { interval: 1000, focus: false });
    started(client, { interval: 3000, focus: false });
    first();
    await vi.advanceTimersByTimeAsync(2000);
    await idle();
    expect(state.versionGets).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    await idle();
    expect(state.versionGets).toBe(1);
  });
});

describe('watchers opting in', () => {
  it('a watcher with its own triggers works without revalidate(client), and stops with the watcher', async () => {
    const state = backend();
    const { client, idle } = tracked();
    const w = watching(client, `${NOTES}/1`, { revalidate: { focus: true } });
    await idle();
    expect(state.noteGets).toBe(1);
    setVisibility('hidden');
    setVisibility('visible');
    await idle();
    expect([state.noteGets, state.conditional]).toEqual([2, 1]);
    w.stop();
    setVisibility('hidden');
    setVisibility('visible');
    await idle();
    expect(state.noteGets).toBe(2);
  });

  it('`revalidate: false` keeps a watcher out of the client’s triggers; a failed re-read is its error', async () => {
    const state = backend();
    const { client, idle } = tracked();
    started(client, { focus: true });
    const quiet = watching(client, `${NOTES}/1`, { revalidate: false });
    const loud = watching(client, `${NOTES}/2`);
    await idle();
    expect(state.noteGets).toBe(2);
    server.use(http.get(`${NOTES}/2`, () => HttpResponse.error()));
    setVisibility('hidden');
    setVisibility('visible');
    await idle();
    expect(state.noteGets).toBe(2);
    expect(loud.last()).toMatchObject({ data: { note: 'n1' }, isValidating: false });
    expect(loud.last()?.error).toBeDefined();
    expect(quiet.last()?.error).toBeUndefined();
  });
});

/** Channels that deliver to each other (never to the sender), as BroadcastChannel does; while `link.up` is false, into `link.held`. */
function bus(link: { up: boolean; held?: (() => void)[] } = { up: true }) {
  const members = new Set<ChannelLike & { listeners: Set<(event: { data: unknown }) => void> }>();
  return () => {
    const listeners = new Set<(event: { data: unknown }) => void>();
    const channel = {
      listeners,
      postMessage(message: unknown) {
        if (!members.has(channel)) return;
        for (const other of members) {
          if (other === channel) continue;
          for (const l of [...other.listeners]) {
            const deliver = () => l({ data: message });
            // While the link is down, what is sent waits in `held` (a test delivers it at once, crossed).
            if (link.up) queueMicrotask(deliver);
            else link.held?.push(deliver);
          }
        }
      },
      addEventListener: (_: 'message', l: (event: { data: unknown }) => void) => void listeners.add(l),
      removeEventListener: (_: 'message', l: (event: { data: unknown }) => void) => void listeners.delete(l),
      close: () => void members.delete(channel),
    };
    members.add(channel);
    return channel;
  };
}

describe('one tab polls for all (nostale/sync)', () => {
  /** Two clients synced over one bus, each revalidating every second, with or without Web Locks. */
  async function twoTabs() {
    const state = backend();
    const join = bus();
    const tabs = [tracked(), tracked()].map((tab) => {
      cleanups.push(syncTabs(tab.client, { channel: join() }));
      return { ...tab, checks: () => tab.asked.filter((url) => url.endsWith('/version')).length };
    });
    for (const tab of tabs) await withMonths(tab.client, tab.idle, 2);
    return { state, tabs };
  }

  const idleAll = async (tabs: { idle: () => Promise<void> }[]) => {
    for (const tab of tabs) await tab.idle();
  };

  for (const locks of [true, false]) {
    it(`${locks ? 'Web Locks' : 'a lease on the sync channel'}: one tab polls; when it stops, the other takes over`, async () => {
      if (!locks) Object.defineProperty(navigator, 'locks', { configurable: true, value: undefined });
      cleanups.push(() => Reflect.deleteProperty(navigator, 'locks'));
      const { state, tabs } = await twoTabs();
      const [one, two] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
      const stopOne = started(one.client, { interval: 1000, focus: false });
      // Give the election its time: a lock is granted at once, a lease after one beat.
      await idleAll(tabs);
      started(two.client, { interval: 1000, focus: false });
      await vi.advanceTimersByTimeAsync(BEAT);
      await idleAll(tabs);
      const at = [one.checks(), two.checks()];
      for (let s = 0; s < 4; s++) {
        await vi.advanceTimersByTimeAsync(1000);
        await idleAll(tabs);
      }
      // Four polls, all by the first tab (the leader), one request each; none by the other.
      expect([one.checks() - at[0]!, two.checks() - at[1]!]).toEqual([4, 0]);
      stopOne();
      // The other tab takes over: at once with locks or a release message, within 3 beats at most.
      await vi.advanceTimersByTimeAsync(3 * BEAT);
      await idleAll(tabs);
      const after = [one.checks(), two.checks()];
      for (let s = 0; s < 3; s++) {
        await vi.advanceTimersByTimeAsync(1000);
        await idleAll(tabs);
      }
      expect([one.checks() - after[0]!, two.checks() - after[1]!]).toEqual([0, 3]);
      expect(state.versionGets).toBe(one.checks() + two.checks());
    });
  }
});

describe('one tab polls for all: what sync cannot carry', () => {
  it('a tab that does not lead polls its watched URLs without a scope version, not those with one', async () => {
    const state = backend();
    const join = bus();
    const [one, two] = [tracked(), tracked()];
    for (const tab of [one, two]) cleanups.push(syncTabs(tab.client, { channel: join() }));
    started(one.client, { interval: 1000, focus: false });
    await one.idle();
    started(two.client, { interval: 1000, focus: false });
    await vi.advanceTimersByTimeAsync(BEAT);
    // Only the second tab shows these: a note (ETag, no version) and a feed (versioned).
    const note = watching(two.client, `${NOTES}/1`);
    watching(two.client, `${EVENTS}?month=1`);
    await two.idle();
    const before = { notes: state.noteGets, feeds: state.feedGets };
    const asked = () => two.asked.filter((url) => url.includes('/api/notes/')).length;
    const notesAsked = asked();
    for (let s = 0; s < 3; s++) {
      await vi.advanceTimersByTimeAsync(1000);
      await one.idle();
      await two.idle();
    }
    // The note: three conditional re-reads by the tab showing it; the feed: none (the leader's checks cover it).
    expect([state.noteGets - before.notes, asked() - notesAsked, state.conditional]).toEqual([3, 3, 3]);
    expect(state.feedGets - before.feeds).toBe(0);
    expect(two.asked.filter((url) => url.endsWith('/version'))).toEqual([]);
    // A change to the note reaches the tab by its own poll.
    state.note = 'n2';
    await vi.advanceTimersByTimeAsync(1000);
    await two.idle();
    expect(note.last()?.data).toEqual({ note: 'n2' });
  });
});

describe('the lease election (no Web Locks)', () => {
  it('a leader that stops answering (a crashed tab) is replaced after three beats', async () => {
    Object.defineProperty(navigator, 'locks', { configurable: true, value: undefined });
    cleanups.push(() => Reflect.deleteProperty(navigator, 'locks'));
    const join = bus();
    const channelA = join();
    const a = elect({ name: 'crash', channel: channelA }, () => undefined);
    const b = elect({ name: 'crash', channel: join() }, () => undefined);
    a.join();
    await vi.advanceTimersByTimeAsync(BEAT);
    b.join();
    await vi.advanceTimersByTimeAsync(2 * BEAT);
    expect([a.leader, b.leader]).toEqual([true, false]);
    // Tab A is gone without a word: its messages no longer reach anyone.
    channelA.close();
    await vi.advanceTimersByTimeAsync(2 * BEAT);
    expect(b.leader).toBe(false);
    await vi.advanceTimersByTimeAsync(2 * BEAT);
    expect(b.leader).toBe(true);
    a.leave();
    b.leave();
  });

  it('two leaders (claims crossed while the tabs could not hear each other) settle on one', async () => {
    Object.defineProperty(navigator, 'locks', { configurable: true, value: undefined });
    cleanups.push(() => Reflect.deleteProperty(navigator, 'locks'));
    const link = { up: false, held: [] as (() => void)[] };
    const join = bus(link);
    const a = elect({ name: 'race', channel: join() }, () => undefined);
    const b = elect({ name: 'race', channel: join() }, () => undefined);
    a.join();
    b.join();
    await vi.advanceTimersByTimeAsync(BEAT);
    expect([a.leader, b.leader]).toEqual([true, true]);
    // Each hears the other's lease in the same moment.
    link.up = true;
    for (const deliver of link.held.splice(0)) deliver();
    expect([a.leader, b.leader].filter(Boolean)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(BEAT);
    expect([a.leader, b.leader].filter(Boolean)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5 * BEAT);
    expect([a.leader, b.leader].filter(Boolean)).toHaveLength(1);
    a.leave();
    b.leave();
  });
});
