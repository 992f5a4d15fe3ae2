/**
 * Cross-tab namespace switches (security): sessions are usually cookies, which every tab of an
 * origin shares. Tab A is alice's; tab B logs in as bob (the cookie is now bob's) and switches its
 * client. A's next request goes out with bob's cookie: unless A follows the switch, bob's answer
 * is filed under alice, in memory and in IndexedDB, and served to alice. Two clients over one
 * real BroadcastChannel and one IndexedDB database, a server whose answer depends on the cookie.
 */
import fc from 'fast-check';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { primaryKey } from '../../src/core/cacheKey.js';
import { idbStore, tieredStore } from '../../src/idb.js';
import { createClient, type Store } from '../../src/index.js';
import { type SyncOptions, syncTabs } from '../../src/sync.js';
import { API, gate, makeClient, useServer } from './support/harness.js';
import { rawRecords, uniqueName } from './support/idb.js';
import { Bus } from './support/model/bus.js';

const server = useServer();

/** The origin: one cookie for every tab; each answer names the user whose cookie it was sent with. */
function origin() {
  const cookie = { user: 'alice', calls: 0 };
  server.use(
    http.get(`${API}/me/:what`, ({ params }) => {
      cookie.calls++;
      return HttpResponse.json({ user: cookie.user, what: params.what }, { headers: { 'Cache-Control': 'max-age=300' } });
    }),
  );
  return cookie;
}

/**
 * `/me/inbox` answered as the cookie's user when the request arrives, held until `hold.open()`:
 * a request sent after the cookie changed and answered after the switch.
 */
function heldInbox(cookie: { user: string }) {
  const hold = gate();
  const state = { arrived: false, hold };
  server.use(
    http.get(`${API}/me/inbox`, async () => {
      const user = cookie.user;
      state.arrived = true;
      await hold.opened;
      return HttpResponse.json({ user, what: 'inbox' }, { headers: { 'Cache-Control': 'max-age=300' } });
    }),
  );
  return state;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.restoreAllMocks();
});

/** One tab: a client over the shared database, synced on `channel`. */
function tab(db: string, channel: string, namespace: string, options: SyncOptions = {}) {
  const idb = idbStore({ name: db, pruneDelay: false });
  const store: Store = tieredStore(idb);
  const made = makeClient({ namespace, store });
  const stop = syncTabs(made.client, { name: channel, ...options });
  cleanups.push(stop, () => idb.close());
  return { ...made, idb, store };
}

let channels = 0;
function twoTabs(options: { a?: SyncOptions; b?: SyncOptions } = {}) {
  const db = uniqueName('tabs');
  const channel = `nostale-security-tabs-${++channels}`;
  return { db, channel, a: tab(db, channel, 'alice', options.a), b: tab(db, channel, 'alice', options.b) };
}

const url = (what: string) => `${API}/me/${what}`;

/** Every entry under `namespace`, from the store (memory, then disk) and from the raw database. */
async function filedUnder(t: ReturnType<typeof tab>, db: string, namespace: string) {
  await t.idb.flush();
  const keys = await t.store.keys({ namespace });
  const held = await Promise.all(keys.map(async (key) => JSON.parse(String((await t.store.get(key))?.body)) as { user: string }));
  const disk = (await rawRecords(db)).filter((r) => r.namespace === namespace).map((r) => JSON.parse(String(r.body)) as { user: string });
  return { held, disk };
}

describe('security: a namespace switch in one tab, with a session shared by the tabs', () => {
  it("the other tab follows it, and bob's answer is never filed under alice", async () => {
    const cookie = origin();
    const { db, a, b } = twoTabs();
    expect(await a.client.get('/me/profile')).toEqual({ user: 'alice', what: 'profile' });

    // B logs in as bob: the cookie changes for every tab, then B switches its client.
    cookie.user = 'bob';
    b.client.namespace = 'bob';
    await vi.waitFor(() => expect(a.client.namespace).toBe('bob'));

    // A's next request goes out with bob's cookie, and is filed under bob.
    expect(await a.client.get('/me/inbox')).toEqual({ user: 'bob', what: 'inbox' });
    const alice = await filedUnder(a, db, 'alice');
    expect(alice.held.map((e) => e.user)).toEqual(['alice']);
    expect(alice.disk.map((e) => e.user)).toEqual(['alice']);
    const bob = await filedUnder(a, db, 'bob');
    expect(bob.held.map((e) => e.user)).toEqual(['bob']);
    expect(bob.disk.map((e) => e.user)).toEqual(['bob']);
    // Alice's own entry stays for her next login.
    expect(await a.store.get(primaryKey('alice', 'GET', url('profile')))).toBeDefined();
  });

  it('an answer in flight in the tab when the switch arrives is stored under neither namespace', async () => {
    const cookie = origin();
    // Sent after the cookie changed, before the switch reached this tab: bob's answer.
    const inbox = heldInbox(cookie);
    const { db, a, b } = twoTabs();
    cookie.user = 'bob';
    const pending = a.client.get('/me/inbox');
    await vi.waitFor(() => expect(inbox.arrived).toBe(true));
    b.client.namespace = 'bob';
    await vi.waitFor(() => expect(a.client.namespace).toBe('bob'));
    inbox.hold.open();
    // The read that was waiting gets its answer (it was asked before the switch)...
    expect(await pending).toEqual({ user: 'bob', what: 'inbox' });
    // ...which is stored nowhere: not under alice (whose request it was), not under bob.
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const namespace of ['alice', 'bob']) {
      const filed = await filedUnder(a, db, namespace);
      expect(filed.held, `held under ${namespace}`).toEqual([]);
      expect(filed.disk, `on disk under ${namespace}`).toEqual([]);
    }
  });

  it('a tab’s own switch also keeps what is in flight for the namespace it leaves from being stored', async () => {
    const cookie = origin();
    const inbox = heldInbox(cookie);
    const db = uniqueName('tabs');
    const a = tab(db, `nostale-security-tabs-${++channels}`, 'alice');
    // The login's answer has set bob's cookie; a read goes out before the app switches.
    cookie.user = 'bob';
    const pending = a.client.get('/me/inbox');
    await vi.waitFor(() => expect(inbox.arrived).toBe(true));
    a.client.namespace = 'bob';
    inbox.hold.open();
    expect(await pending).toEqual({ user: 'bob', what: 'inbox' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const namespace of ['alice', 'bob']) expect((await filedUnder(a, db, namespace)).disk, namespace).toEqual([]);
  });

  it("a logout in one tab (clear, then switch to '') makes the other tab forget the user too", async () => {
    const cookie = origin();
    const { db, a, b } = twoTabs();
    await a.client.get('/me/profile');
    await b.client.get('/me/inbox');
    cookie.user = '';
    await b.client.clear({ namespace: 'alice' });
    b.client.namespace = '';
    await vi.waitFor(() => expect(a.client.namespace).toBe(''));
    await vi.waitFor(async () => expect((await filedUnder(a, db, 'alice')).held).toEqual([]));
    expect((await filedUnder(a, db, 'alice')).disk).toEqual([]);
    expect(a.client.peek('/me/profile')).toBeUndefined();
  });

  it('a switch to the namespace the tab already has does nothing', async () => {
    const { hold } = heldInbox(origin());
    const { db, a, channel } = twoTabs();
    const reads = vi.fn();
    a.client.onReadsChanged(reads);
    const pending = a.client.get('/me/inbox');
    await new Promise((resolve) => setTimeout(resolve, 10));
    // What a tab that switched to alice too (or replays an old switch) sends.
    const other = new BroadcastChannel(channel);
    cleanups.push(() => other.close());
    other.postMessage({ protocol: 'nostale-sync/1', from: 'other', change: { kind: 'namespace', namespace: 'alice' }, at: Date.now() + 1 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    hold.open();
    expect(await pending).toEqual({ user: 'alice', what: 'inbox' });
    expect(reads).not.toHaveBeenCalled();
    // Not detached: the answer was stored as usual.
    expect((await filedUnder(a, db, 'alice')).disk.map((e) => e.user)).toEqual(['alice']);
  });

  it('setting the namespace the tab has keeps what is in flight (an app may set it on every render)', async () => {
    const { hold } = heldInbox(origin());
    const { db, a } = twoTabs();
    const pending = a.client.get('/me/inbox');
    await new Promise((resolve) => setTimeout(resolve, 10));
    a.client.namespace = 'alice';
    hold.open();
    await pending;
    expect((await filedUnder(a, db, 'alice')).disk.map((e) => e.user)).toEqual(['alice']);
  });

  it('followNamespace: false (per-tab sessions): the tabs neither follow nor announce switches', async () => {
    origin();
    const { a, b, channel } = twoTabs({ a: { followNamespace: false }, b: { followNamespace: false } });
    const heard: unknown[] = [];
    const listener = new BroadcastChannel(channel);
    listener.onmessage = (event) => heard.push(event.data);
    cleanups.push(() => listener.close());
    b.client.namespace = 'bob';
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(a.client.namespace).toBe('alice');
    expect(heard).toEqual([]);
    // A following tab's switch does not move an opted-out one either.
    const c = tab(uniqueName('tabs'), channel, 'carol');
    c.client.namespace = 'dave';
    await vi.waitFor(() => expect(heard).toContainEqual(expect.objectContaining({ change: { kind: 'namespace', namespace: 'dave' } })));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(a.client.namespace).toBe('alice');
    expect(b.client.namespace).toBe('bob');
  });

  it('onNamespace is told when the tab followed a switch', async () => {
    origin();
    const onNamespace = vi.fn();
    const { a, b } = twoTabs({ a: { onNamespace } });
    b.client.namespace = 'bob';
    await vi.waitFor(() => expect(onNamespace).toHaveBeenCalledWith('bob', 'alice'));
    expect(a.client.namespace).toBe('bob');
  });

  it('a tab that starts after a switch asks for it: a page that loaded before the switch follows it', async () => {
    origin();
    const { db, channel, b } = twoTabs();
    b.client.namespace = 'bob';
    await new Promise((resolve) => setTimeout(resolve, 30));
    // A page whose load began before the switch (this process's time origin) and named alice.
    const late = tab(db, channel, 'alice');
    await vi.waitFor(() => expect(late.client.namespace).toBe('bob'));
  });

  it('…but a page that loaded after the last switch keeps the namespace it loaded with', async () => {
    origin();
    const { db, channel, b } = twoTabs();
    b.client.namespace = 'bob';
    await new Promise((resolve) => setTimeout(resolve, 30));
    vi.spyOn(performance, 'timeOrigin', 'get').mockReturnValue(Date.now() + 1000);
    const late = tab(db, channel, 'carol');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(late.client.namespace).toBe('carol');
    // Nor does its load move the others: only switches travel.
    expect(b.client.namespace).toBe('bob');
  });

  it('two tabs switching at once end on the same namespace', async () => {
    origin();
    const { a, b } = twoTabs();
    a.client.namespace = 'bob';
    b.client.namespace = 'carol';
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(a.client.namespace).toBe(b.client.namespace);
  });
});

/**
 * The same, fuzzed: two tabs over one database and one cookie, logins and logouts in either tab,
 * reads answered in any order, messages delivered in any order (per sender, in order). After every
 * command, every entry in either tab's store and every IndexedDB record holds the answer of the
 * user it is filed under, but for the one window nothing in an answer can close: a request sent
 * with another user's cookie (a tab logged in since, and this tab had not followed yet), answered
 * before this tab switched away from the namespace it was sent in. Once every message has
 * arrived, both tabs are on the user of the cookie (the latest login or logout).
 */
describe('security: namespace switches with a shared cookie, fuzzed', () => {
  interface Sent {
    id: number;
    namespace: string;
    cookie: string;
    /** How many switches its tab had made when it was sent. */
    moved: number;
    release: () => void;
    /** Sent with another user's cookie, and answered before its tab switched away. */
    windowed?: boolean;
  }

  const command = fc.oneof(
    fc.record({ kind: fc.constant('read' as const), tab: fc.nat(1), url: fc.nat(2), reload: fc.boolean() }),
    fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('login' as const), tab: fc.nat(1), user: fc.constantFrom('alice', 'bob', 'carol') }),
    fc.record({ kind: fc.constant('logout' as const), tab: fc.nat(1) }),
    fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
  );

  const settle = async () => {
    for (let i = 0; i < 4; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  };

  it('no entry holds another user’s answer outside the window, and the tabs end on the cookie’s user', async () => {
    // Every login a few ms after the last: which of two switches is the later must not be a tie.
    const now = Date.now.bind(Date);
    let skew = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => now() + skew);
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), async (commands) => {
        const db = uniqueName('tabs-fuzz');
        const bus = new Bus();
        const cookie = { user: 'alice' };
        const moved = [0, 0];
        const last = ['alice', 'alice'];
        const sent: Sent[] = [];
        const open: Sent[] = [];
        const tabs = [0, 1].map((id) => {
          const idb = idbStore({ name: db, pruneDelay: false });
          const store = tieredStore(idb);
          const client = createClient({
            baseUrl: `${API}/`,
            namespace: 'alice',
            store,
            fetch: (input) =>
              new Promise<Response>((resolve) => {
                const request: Sent = {
                  id: sent.length,
                  namespace: client.namespace,
                  cookie: cookie.user,
                  moved: moved[id]!,
                  release: () => {
                    request.windowed = request.cookie !== request.namespace && moved[id] === request.moved;
                    const body = { user: request.cookie, request: request.id, url: String(input) };
                    resolve(Response.json(body, { headers: { 'Cache-Control': 'max-age=300' } }));
                  },
                };
                sent.push(request);
                open.push(request);
              }),
          });
          const stop = syncTabs(client, { channel: bus.endpoint(), onWarning: () => undefined });
          return { client, store, idb, stop };
        });
        /** Counts each tab's switches (by its own app, or followed). */
        const track = () => {
          for (const [i, t] of tabs.entries()) {
            if (t.client.namespace === last[i]) continue;
            last[i] = t.client.namespace;
            moved[i]!++;
          }
        };
        const reads: Promise<unknown>[] = [];
        const check = async (label: string) => {
          for (const [i, t] of tabs.entries()) {
            await t.idb.flush();
            const keys = await t.store.keys();
            for (const key of keys) {
              const entry = await t.store.get(key);
              if (entry) checkEntry(entry, `${label}: tab ${i}'s store`);
            }
          }
          for (const record of await rawRecords(db)) checkEntry(record, `${label}: IndexedDB`);
        };
        const checkEntry = (entry: { namespace?: unknown; body?: unknown }, where: string) => {
          const body = JSON.parse(String(entry.body)) as { user: string; request: number };
          if (body.user === entry.namespace) return;
          expect(sent[body.request]?.windowed, `${where}: ${body.user}'s answer under ${String(entry.namespace)}`).toBe(true);
        };
        try {
          for (const [step, c] of commands.entries()) {
            const t = tabs[c.kind === 'read' || c.kind === 'login' || c.kind === 'logout' ? c.tab : 0]!;
            if (c.kind === 'read') {
              reads.push(t.client.get(`/me/${c.url}`, c.reload ? { cache: 'reload' } : {}).catch(() => undefined));
            } else if (c.kind === 'release') {
              const [request] = open.splice(c.pick % Math.max(open.length, 1), 1);
              request?.release();
            } else if (c.kind === 'login' || c.kind === 'logout') {
              const user = c.kind === 'login' ? c.user : '';
              skew += 5;
              cookie.user = user;
              if (c.kind === 'logout') await t.client.clear({ namespace: t.client.namespace });
              t.client.namespace = user;
            } else bus.deliver(c.pick);
            track();
            await settle();
            await check(`after step ${step} (${JSON.stringify(c)})`);
          }
          for (const request of open.splice(0)) request.release();
          while (bus.deliver(0)) track();
          await Promise.all(reads);
          await settle();
          await check('at the end');
          for (const t of tabs) expect(t.client.namespace, 'a tab is not on the cookie’s user').toBe(cookie.user);
        } finally {
          for (const t of tabs) {
            t.stop();
            t.idb.close();
          }
        }
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
