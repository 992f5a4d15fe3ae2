import fc from 'fast-check';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, type CacheEvent, type Route } from '../../src/index.js';
import { syncTabs, type ChannelLike, type SyncWarning } from '../../src/sync.js';
import { API, gate, makeClient, useServer } from './support/harness.js';

const server = useServer();

const routes: Route[] = [{ match: '/users/:user/events*', scope: 'calendar:{user}' }];

/**
 * The server: one scoped feed and unscoped notes, every response cacheable for five minutes, so a
 * tab that refetches does so because it was told something changed, not because its copy expired.
 */
function backend() {
  const state = { version: 1, data: 'a', calls: 0 };
  const headers = () => ({ 'Cache-Control': 'max-age=300', 'X-Cache-Version': String(state.version) });
  server.use(
    http.get(`${API}/users/:user/events`, () => {
      state.calls++;
      return HttpResponse.json({ data: state.data, version: state.version }, { headers: headers() });
    }),
    http.post(`${API}/users/:user/events`, () => {
      state.version++;
      return HttpResponse.json({ ok: true }, { status: 201, headers: { 'X-Cache-Version': String(state.version) } });
    }),
    http.get(`${API}/notes/:id`, ({ params }) => {
      state.calls++;
      return HttpResponse.json({ id: params.id, data: state.data }, { headers: { 'Cache-Control': 'max-age=300' } });
    }),
    http.put(`${API}/notes/:id`, () => new HttpResponse(null, { status: 204 })),
  );
  return state;
}

/** A BroadcastChannel that counts what it sends (changes: not the `hello` a tab posts as it starts). */
class CountingChannel implements ChannelLike {
  readonly sent: unknown[] = [];
  readonly hellos: unknown[] = [];
  private readonly inner: BroadcastChannel;
  constructor(name: string) {
    this.inner = new BroadcastChannel(name);
  }
  postMessage(message: unknown) {
    ((message as { hello?: boolean }).hello ? this.hellos : this.sent).push(message);
    this.inner.postMessage(message);
  }
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void) {
    this.inner.addEventListener(type, listener);
  }
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void) {
    this.inner.removeEventListener(type, listener);
  }
  close() {
    this.inner.close();
  }
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.restoreAllMocks();
});

let channels = 0;

/** Two clients ("tabs") synced over a fresh channel name, each with a counting channel. */
function twoTabs() {
  const name = `nostale-test-${++channels}`;
  const a = makeClient({ routes });
  const b = makeClient({ routes });
  const channelA = new CountingChannel(name);
  const channelB = new CountingChannel(name);
  const stopA = syncTabs(a.client, { channel: channelA });
  const stopB = syncTabs(b.client, { channel: channelB });
  cleanups.push(
    stopA,
    stopB,
    () => channelA.close(),
    () => channelB.close(),
  );
  return { a, b, name, channelA, channelB, stopA, stopB };
}

const isRemote = (type: CacheEvent['type']) => (e: CacheEvent) => e.type === type && 'origin' in e && e.origin === 'remote';

/** Resolves once `events` holds a remote event of `type`: the other tab's change has been applied. */
const applied = (events: CacheEvent[], type: CacheEvent['type']) => vi.waitFor(() => expect(events.some(isRemote(type))).toBe(true));

/** Lets every message in flight arrive (Node delivers them on later turns of the event loop). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

const feed = '/users/alice/events?month=2026-11';

describe('syncTabs', () => {
  it('invalidate({ scope }) in one tab makes the other refetch, with no reload', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await a.client.get(feed);
    expect(await b.client.get(feed)).toEqual({ data: 'a', version: 1 });
    api.data = 'b';
    // Served from B's cache: nothing told it yet.
    expect(await b.client.get(feed)).toEqual({ data: 'a', version: 1 });
    await a.client.invalidate({ scope: 'calendar:alice' });
    await applied(b.events, 'version');
    expect(await b.client.get(feed)).toEqual({ data: 'b', version: 1 });
    expect(b.client.scopes()[0]!.mark).toBe(a.client.scopes()[0]!.mark);
  });

  it("a version bump learned from a mutation's answer moves the other tab's scope on", async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await b.client.get(feed);
    api.data = 'b';
    await a.client.fetch(`${API}/users/alice/events`, { method: 'POST', body: '{}' });
    await applied(b.events, 'version');
    expect(b.client.scopes()[0]!.token).toBe('2');
    expect(await b.client.get(feed)).toEqual({ data: 'b', version: 2 });
  });

  it('a new version seen in a read response reaches the other tab', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await b.client.get(feed);
    api.version = 2;
    api.data = 'b';
    await a.client.get('/users/alice/events?month=2026-12');
    await applied(b.events, 'version');
    expect(await b.client.get(feed)).toEqual({ data: 'b', version: 2 });
  });

  it('invalidate({ url }) and invalidate({ prefix }) drop the URLs in the other tab, and only those', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    for (const id of ['1', '2']) await b.client.get(`/notes/${id}`);
    await b.client.get(feed);
    const calls = api.calls;
    api.data = 'b';

    await a.client.invalidate({ url: '/notes/1' });
    await applied(b.events, 'invalidate');
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
    expect(await b.client.get('/notes/2')).toEqual({ id: '2', data: 'a' });
    expect(api.calls).toBe(calls + 1);

    b.events.length = 0;
    await a.client.invalidate({ prefix: '/notes/' });
    await applied(b.events, 'invalidate');
    expect(await b.client.get('/notes/2')).toEqual({ id: '2', data: 'b' });
    // The scoped feed was not selected: still served from cache.
    expect(await b.client.get(feed)).toEqual({ data: 'a', version: 1 });
    expect(api.calls).toBe(calls + 2);
  });

  it('invalidate({ url: pattern }) drops the matching URLs in the other tab', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await b.client.get('/notes/1');
    api.data = 'b';
    await a.client.invalidate({ url: '/notes/*' });
    await applied(b.events, 'invalidate');
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
  });

  it("an unsafe request's invalidation reaches the other tab", async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await b.client.get('/notes/1');
    api.data = 'b';
    await a.client.fetch(`${API}/notes/1`, { method: 'PUT', body: '{}' });
    await applied(b.events, 'invalidate');
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
  });

  it('clear({ namespace }) empties that namespace in the other tab (logout)', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await b.client.get('/notes/1');
    api.data = 'b';
    await a.client.clear({ namespace: '' });
    await applied(b.events, 'clear');
    expect(b.events.find(isRemote('clear'))).toMatchObject({ namespace: '' });
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
  });

  it('clear() of another namespace leaves the current one alone in the other tab', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await b.client.get('/notes/1');
    api.data = 'b';
    await a.client.clear({ namespace: 'bob' });
    await applied(b.events, 'clear');
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'a' });
  });

  it('sends one message per change, and nothing echoes back', async () => {
    backend();
    const { a, b, channelA, channelB } = twoTabs();
    await a.client.get(feed);
    await b.client.get(feed);
    await settle();
    channelA.sent.length = 0;
    channelB.sent.length = 0;
    b.events.length = 0;

    await a.client.invalidate({ scope: 'calendar:alice' });
    await a.client.invalidate({ url: '/notes/1' });
    await a.client.clear({ namespace: 'bob' });
    await settle();
    expect(channelA.sent.map((m) => (m as { change: { kind: string } }).change.kind)).toEqual(['scope', 'drop', 'clear']);
    // B applied all three (remote events), and forwarded none of them.
    expect(b.events.filter((e) => 'origin' in e && e.origin === 'remote').map((e) => e.type)).toEqual(['version', 'invalidate', 'clear']);
    expect(channelB.sent).toEqual([]);
    await settle();
    expect(channelA.sent).toHaveLength(3);
  });

  it('with three tabs, a change reaches both others once', async () => {
    const api = backend();
    const { a, b, name } = twoTabs();
    const c = makeClient({ routes });
    const channelC = new CountingChannel(name);
    cleanups.push(syncTabs(c.client, { channel: channelC }), () => channelC.close());
    await b.client.get('/notes/1');
    await c.client.get('/notes/1');
    api.data = 'b';
    await a.client.invalidate({ url: '/notes/1' });
    await applied(b.events, 'invalidate');
    await applied(c.events, 'invalidate');
    await settle();
    expect(b.events.filter(isRemote('invalidate'))).toHaveLength(1);
    expect(c.events.filter(isRemote('invalidate'))).toHaveLength(1);
    expect(channelC.sent).toEqual([]);
    expect(await c.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
  });

  it('ignores malformed and foreign messages without throwing, and keeps working after them', async () => {
    const api = backend();
    const { a, b, name } = twoTabs();
    await b.client.get('/notes/1');
    await b.client.get(feed);
    const apply = vi.spyOn(b.client, 'apply');
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    cleanups.push(() => process.off('uncaughtException', onError));

    const from = 'intruder';
    const protocol = 'nostale-sync/1';
    const record = { namespace: '', scope: 'calendar:alice', mark: 'm1', local: true };
    const garbage: unknown[] = [
      null,
      undefined,
      42,
      'nostale',
      [],
      {},
      { protocol, from },
      { protocol: 'nostale-sync/2', from, change: { kind: 'clear' } },
      { protocol: 'other', from, change: { kind: 'clear' } },
      { protocol, from: 7, change: { kind: 'clear' } },
      { protocol, change: { kind: 'clear' } },
      { protocol, from, change: null },
      { protocol, from, change: 'clear' },
      { protocol, from, change: { kind: 'explode' } },
      { protocol, from, change: { kind: 'clear', namespace: 5 } },
      { protocol, from, change: { kind: 'scope' }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: null }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: { ...record, mark: 5 } }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: { ...record, mark: '' } }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: { ...record, scope: undefined } }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: { ...record, namespace: null } }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: { ...record, local: 'yes' } }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record: { ...record, token: 3 } }, clock: 1 },
      { protocol, from, change: { kind: 'scope', record } },
      { protocol, from, change: { kind: 'scope', record }, clock: -1 },
      { protocol, from, change: { kind: 'scope', record }, clock: 1.5 },
      { protocol, from, change: { kind: 'scope', record }, clock: '1' },
      { protocol, from, change: { kind: 'drop', namespace: '' } },
      { protocol, from, change: { kind: 'drop', urls: [`${API}/notes/1`] } },
      { protocol, from, change: { kind: 'drop', namespace: '', urls: `${API}/notes/1` } },
      { protocol, from, change: { kind: 'drop', namespace: '', urls: [1] } },
      { protocol, from, change: { kind: 'drop', namespace: '', prefix: 1 } },
      { protocol, from, change: { kind: 'drop', namespace: '', pattern: {} } },
    ];
    const intruder = new BroadcastChannel(name);
    cleanups.push(() => intruder.close());
    for (const message of garbage) intruder.postMessage(message);
    await settle();
    expect(apply).not.toHaveBeenCalled();
    expect(errors).toEqual([]);
    const calls = api.calls;
    await b.client.get('/notes/1');
    await b.client.get(feed);
    expect(api.calls).toBe(calls);

    // A well-formed message after all that still goes through, stripped of anything extra.
    intruder.postMessage({ protocol, from, change: { kind: 'drop', namespace: '', urls: [`${API}/notes/1`], extra: true } });
    await applied(b.events, 'invalidate');
    expect(apply).toHaveBeenCalledWith({ kind: 'drop', namespace: '', urls: [`${API}/notes/1`] });
    expect(a.events.some(isRemote('invalidate'))).toBe(true);
  });

  it('ignores its own messages when the channel delivers them back', async () => {
    backend();
    // One object shared by two clients, delivering every message to every listener, the sender's too.
    const listeners = new Set<(event: { data: unknown }) => void>();
    const loopback: ChannelLike = {
      postMessage: (data) =>
        queueMicrotask(() => {
          for (const l of listeners) l({ data: structuredClone(data) });
        }),
      addEventListener: (_, l) => listeners.add(l),
      removeEventListener: (_, l) => listeners.delete(l),
      close: () => listeners.clear(),
    };
    const a = makeClient({ routes });
    const b = makeClient({ routes });
    const applyA = vi.spyOn(a.client, 'apply');
    const stopA = syncTabs(a.client, { channel: loopback });
    cleanups.push(stopA, syncTabs(b.client, { channel: loopback }));
    await a.client.invalidate({ scope: 'calendar:alice' });
    await applied(b.events, 'version');
    await settle();
    expect(applyA).not.toHaveBeenCalled();
    // An injected channel belongs to the caller: stop() detaches but does not close it.
    stopA();
    expect(listeners.size).toBe(1);
  });

  it('stop() stops both directions and closes the channel it opened', async () => {
    const api = backend();
    const name = `nostale-test-${++channels}`;
    const a = makeClient({ routes });
    const b = makeClient({ routes });
    const close = vi.spyOn(BroadcastChannel.prototype, 'close');
    const stopA = syncTabs(a.client, { name });
    const stopB = syncTabs(b.client, { name });
    cleanups.push(stopB);
    await a.client.get('/notes/1');
    await b.client.get('/notes/1');
    api.data = 'b';

    stopA();
    expect(close).toHaveBeenCalledTimes(1);
    stopA(); // idempotent
    expect(close).toHaveBeenCalledTimes(1);

    await a.client.invalidate({ url: '/notes/1' });
    await b.client.invalidate({ url: '/notes/2' });
    await settle();
    expect(b.events.some(isRemote('invalidate'))).toBe(false);
    expect(a.events.some(isRemote('invalidate'))).toBe(false);
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'a' });
  });

  it('uses the name option: tabs on other names are not affected', async () => {
    const api = backend();
    const a = makeClient({ routes });
    const b = makeClient({ routes });
    cleanups.push(syncTabs(a.client, { name: `nostale-test-${++channels}` }), syncTabs(b.client, { name: `nostale-test-${++channels}` }));
    await b.client.get('/notes/1');
    api.data = 'b';
    await a.client.invalidate({ url: '/notes/1' });
    await settle();
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'a' });
  });

  it('never keeps serving an entry another tab invalidated while its own request for it was in flight', async () => {
    const hold = gate();
    const state = { data: 'a', calls: 0 };
    server.use(
      http.get(`${API}/notes/:id`, async () => {
        const data = state.data; // read before the write lands: this answer is already old
        if (++state.calls === 1) await hold.opened;
        return HttpResponse.json({ data }, { headers: { 'Cache-Control': 'max-age=300' } });
      }),
    );
    const { a, b } = twoTabs();
    const pending = b.client.get('/notes/1');
    await new Promise((r) => setTimeout(r, 10));
    state.data = 'b';
    await a.client.invalidate({ url: '/notes/1' });
    await applied(b.events, 'invalidate');
    hold.open();
    // The read that started before the change may answer the old data once...
    expect(await pending).toEqual({ data: 'a' });
    // ...but it was not kept: the next read asks again.
    expect(await b.client.get('/notes/1')).toEqual({ data: 'b' });
  });

  it('never keeps serving a scoped entry whose scope another tab bumped while it was in flight', async () => {
    const hold = gate();
    const state = { data: 'a', calls: 0 };
    server.use(
      http.get(`${API}/users/:user/events`, async () => {
        const data = state.data;
        if (++state.calls === 1) await hold.opened;
        return HttpResponse.json({ data }, { headers: { 'Cache-Control': 'max-age=300', 'X-Cache-Version': '1' } });
      }),
    );
    const { a, b } = twoTabs();
    const pending = b.client.get(feed);
    await new Promise((r) => setTimeout(r, 10));
    state.data = 'b';
    await a.client.invalidate({ scope: 'calendar:alice' });
    await applied(b.events, 'version');
    hold.open();
    // The answer was sent before the bump B now knows of: judged late, fetched again.
    expect(await pending).toEqual({ data: 'b' });
    expect(await b.client.get(feed)).toEqual({ data: 'b' });
  });

  it("does not adopt another tab's older version token, and redoes its local invalidations under the newer one", async () => {
    const api = backend();
    const { b, name, channelB } = twoTabs();
    api.version = 6;
    await b.client.get(feed);
    const before = b.client.scopes()[0]!;
    expect(before.token).toBe('6');
    const apply = vi.spyOn(b.client, 'apply');
    // What a tab that had not yet heard of 6 sends after learning 5.
    const lagging = new BroadcastChannel(name);
    cleanups.push(() => lagging.close());
    const record = { namespace: '', scope: 'calendar:alice', token: '5', mark: 'older', local: false };
    lagging.postMessage({ protocol: 'nostale-sync/1', from: 'lagging', clock: 100, change: { kind: 'scope', record } });
    await settle();
    expect(apply).not.toHaveBeenCalled();
    expect(b.client.scopes()[0]).toEqual(before);

    // Its local invalidation still means "refetch", whatever token it was made under: B bumps the
    // scope itself, keeps 6, and tells everyone, so the bump wins in every tab.
    channelB.sent.length = 0;
    const bump = { ...record, mark: 'bumped', local: true };
    lagging.postMessage({ protocol: 'nostale-sync/1', from: 'lagging', clock: 101, change: { kind: 'scope', record: bump } });
    await vi.waitFor(() => expect(channelB.sent).toHaveLength(1));
    expect(apply).not.toHaveBeenCalled();
    const after = b.client.scopes()[0]!;
    expect(after).toMatchObject({ token: '6', local: true });
    expect(after.mark).not.toBe(before.mark);
    expect(channelB.sent[0]).toMatchObject({ clock: 102, change: { kind: 'scope', record: after } });
    api.data = 'b';
    expect(await b.client.get(feed)).toEqual({ data: 'b', version: 6 });
  });

  it('also knows the versions the client learned before syncTabs was called', async () => {
    const api = backend();
    const name = `nostale-test-${++channels}`;
    const b = makeClient({ routes });
    api.version = 6;
    await b.client.get(feed);
    const before = b.client.scopes()[0]!;
    const channel = new CountingChannel(name);
    cleanups.push(syncTabs(b.client, { channel }), () => channel.close());
    const lagging = new BroadcastChannel(name);
    cleanups.push(() => lagging.close());
    const record = { namespace: '', scope: 'calendar:alice', token: '5', mark: 'older', local: false };
    lagging.postMessage({ protocol: 'nostale-sync/1', from: 'lagging', clock: 1, change: { kind: 'scope', record } });
    await settle();
    expect(b.client.scopes()[0]).toEqual(before);
  });

  it('does not forward scope records loaded from the store', async () => {
    const record = { namespace: '', scope: 'calendar:alice', token: '3', mark: 'persisted', local: false };
    const store = Object.assign(new MemoryStore(), { loadScopes: async () => [record], saveScopes: () => {} });
    const { client, events } = makeClient({ routes, store });
    const channel = new CountingChannel(`nostale-test-${++channels}`);
    cleanups.push(syncTabs(client, { channel }), () => channel.close());
    await client.ready;
    expect(events).toContainEqual(expect.objectContaining({ type: 'version', origin: 'store', record }));
    expect(channel.sent).toEqual([]);
  });

  it('two tabs that learn a scope at the same moment end up with the same record', async () => {
    const api = backend();
    const { a, b } = twoTabs();
    await Promise.all([a.client.get(feed), b.client.get(feed)]);
    await settle();
    expect(a.client.scopes()).toEqual(b.client.scopes());
    // ...and so do two tabs that invalidate it at the same moment.
    api.data = 'b';
    await Promise.all([a.client.invalidate({ scope: 'calendar:alice' }), b.client.invalidate({ scope: 'calendar:alice' })]);
    await settle();
    expect(a.client.scopes()).toEqual(b.client.scopes());
    expect(a.client.scopes()[0]!.local).toBe(true);
    expect(await b.client.get(feed)).toEqual({ data: 'b', version: 1 });
  });

  it('warns once and does nothing where BroadcastChannel is missing', async () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    cleanups.push(() => vi.unstubAllGlobals());
    const warnings: SyncWarning[] = [];
    const { client } = makeClient();
    const stop = syncTabs(client, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([{ code: 'no-broadcast-channel', message: expect.stringContaining('BroadcastChannel') }]);
    expect(() => stop()).not.toThrow();

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    syncTabs(client)();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/nostale\/sync.*BroadcastChannel/);
  });

  it('warns once when a change cannot be posted, and the tab keeps working', async () => {
    backend();
    const warnings: SyncWarning[] = [];
    const broken: ChannelLike = {
      postMessage: () => {
        throw new DOMException('closed', 'InvalidStateError');
      },
      addEventListener: () => {},
      removeEventListener: () => {},
      close: () => {},
    };
    const { client } = makeClient({ routes });
    cleanups.push(syncTabs(client, { channel: broken, onWarning: (w) => warnings.push(w) }));
    await client.invalidate({ url: '/notes/1' });
    await client.invalidate({ url: '/notes/2' });
    expect(warnings.map((w) => w.code)).toEqual(['post-failed']);
    expect(await client.get('/notes/1')).toEqual({ id: '1', data: 'a' });
  });
});

/**
 * Channels whose deliveries the test schedules: each message waits in the receiver's queue for
 * its sender (order per sender is kept, as BroadcastChannel keeps it) until delivered.
 */
function bus() {
  const ports: Port[] = [];
  class Port implements ChannelLike {
    readonly inbox = new Map<Port, unknown[]>();
    readonly listeners = new Set<(event: { data: unknown }) => void>();
    postMessage(message: unknown) {
      for (const port of ports) {
        if (port === this) continue;
        const queue = port.inbox.get(this) ?? [];
        port.inbox.set(this, queue);
        queue.push(structuredClone(message));
      }
    }
    addEventListener(_: 'message', listener: (event: { data: unknown }) => void) {
      this.listeners.add(listener);
    }
    removeEventListener(_: 'message', listener: (event: { data: unknown }) => void) {
      this.listeners.delete(listener);
    }
    close() {}
  }
  return {
    port: () => {
      const port = new Port();
      ports.push(port);
      return port;
    },
    pending: () => ports.flatMap((to) => [...to.inbox].filter(([, queue]) => queue.length).map(([from]) => [to, from] as const)),
    deliver(to: Port, from: Port) {
      const data = to.inbox.get(from)!.shift();
      for (const listener of to.listeners) listener({ data });
    },
  };
}

const command = fc.oneof(
  fc.record({ kind: fc.constant('learn' as const), tab: fc.nat(2), token: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('bump' as const), tab: fc.nat(2) }),
  fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat() }),
);

describe('syncTabs under any interleaving of concurrent changes and deliveries', () => {
  it('every tab ends with the same record, under the newest token, with no entry from before the last invalidation current', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 200 }), (commands, picks) => {
        const channel = bus();
        const tabs = [0, 1, 2].map(() => makeClient().client);
        // When each mark first appeared anywhere: entries fetched under a mark born before an
        // invalidation must be dead once the tabs settle.
        const born = new Map<string, number>();
        let time = 0;
        for (const tab of tabs) {
          tab.subscribe((e) => {
            if (e.type === 'version' && !born.has(e.record.mark)) born.set(e.record.mark, ++time);
          });
          syncTabs(tab, { channel: channel.port() });
        }
        let newest = 0;
        let lastBump = 0;
        const deliver = (pick: number) => {
          const pending = channel.pending();
          if (pending.length) channel.deliver(...pending[pick % pending.length]!);
        };
        for (const c of commands) {
          if (c.kind === 'learn') {
            if (tabs[c.tab]!.setVersion('s', String(c.token))) newest = Math.max(newest, c.token);
          } else if (c.kind === 'bump') {
            void tabs[c.tab]!.invalidate({ scope: 's' });
            lastBump = time;
          } else deliver(c.pick);
        }
        let steps = 0;
        for (; channel.pending().length && steps < 10_000; steps++) deliver(picks[steps % Math.max(picks.length, 1)] ?? 0);
        expect(channel.pending()).toEqual([]);

        const records = tabs.map((t) => t.scopes().find((r) => r.scope === 's'));
        if (!records[0]) {
          expect(records).toEqual([undefined, undefined, undefined]);
          return;
        }
        expect(records[1]).toEqual(records[0]);
        expect(records[2]).toEqual(records[0]);
        if (newest) expect(records[0].token).toBe(String(newest));
        expect(born.get(records[0].mark)).toBeGreaterThanOrEqual(lastBump);
      }),
      { numRuns: 500 },
    );
  });
});
