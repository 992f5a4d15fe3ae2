/**
 * Issue 10: with `nostale/sync`, a drop in one tab (a DELETE, `invalidate({ url })`) made every
 * other tab repeat the disk delete, one readwrite transaction per tab, though the tabs share the
 * database and the first tab had already deleted the records. A tab over the same database now
 * drops the entries from memory only, and from disk only what it wrote there itself since the
 * other tab's drop began (an answer it stored before it was told).
 */
import { IDBFactory } from 'fake-indexeddb';
import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type IdbStore, idbStore, tieredStore } from '../../src/idb.js';
import { type CacheEvent, MemoryStore, type Store } from '../../src/index.js';
import { type ChannelLike, syncTabs } from '../../src/sync.js';
import { API, gate, makeClient, useServer } from './support/harness.js';
import { entry, rawRecords, sleep, uniqueName } from './support/idb.js';

const server = useServer();

function backend() {
  const state = { calls: 0, data: 'a' };
  server.use(
    http.get(`${API}/notes/:id`, ({ params }) => {
      state.calls++;
      return HttpResponse.json({ id: params.id, data: state.data }, { headers: { 'Cache-Control': 'max-age=300' } });
    }),
    http.delete(`${API}/notes/:id`, () => new HttpResponse(null, { status: 204 })),
  );
  return state;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const WRITES = new Set(['set', 'delete', 'remove', 'clear']);

/**
 * The persistent tier, with every write call it gets recorded (method and first argument); its
 * `remove` waits for `hold` when one is set.
 */
function counting(store: IdbStore) {
  const writes: [string, unknown][] = [];
  const control: { hold?: Promise<void> } = {};
  const proxy = new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (WRITES.has(String(prop))) writes.push([String(prop), args[0]]);
        if (prop === 'remove' && control.hold) await control.hold;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { proxy, writes, control };
}

/** One tab over the database `db` (or a plain memory store), synced on `channel`. */
function tab(db: string | undefined, channel: ChannelLike | string) {
  const idb = db === undefined ? undefined : idbStore({ name: db, pruneDelay: false });
  const persistent = idb && counting(idb);
  const store: Store = persistent ? tieredStore(persistent.proxy) : new MemoryStore();
  const made = makeClient({ store });
  const stop = syncTabs(made.client, typeof channel === 'string' ? { name: channel } : { channel });
  cleanups.push(stop, () => idb?.close());
  return { ...made, idb, writes: persistent?.writes ?? [], control: persistent?.control ?? {}, flush: () => idb?.flush() };
}

let channels = 0;
const channelName = () => `nostale-sync-disk-${++channels}`;

const isRemote = (e: CacheEvent) => e.type === 'invalidate' && e.origin === 'remote';
const note = (id: string) => `${API}/notes/${id}`;
const onDisk = async (db: string, url: string) => (await rawRecords(db)).filter((r) => r.url === url);

/** Channels that hold every message until `deliver()`: a tab that is told late. */
function slowChannels() {
  const ports: Port[] = [];
  const held: [Port, unknown][] = [];
  class Port implements ChannelLike {
    readonly listeners = new Set<(event: { data: unknown }) => void>();
    postMessage(message: unknown) {
      for (const port of ports) if (port !== this) held.push([port, structuredClone(message)]);
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
    deliver() {
      for (const [port, data] of held.splice(0)) for (const listener of port.listeners) listener({ data });
    },
  };
}

/** Two tabs over one database and one channel; A reads note 1 (on disk once flushed), then B reads it. */
async function twoTabsReadNote() {
  const db = uniqueName('drop');
  const channel = channelName();
  const a = tab(db, channel);
  const b = tab(db, channel);
  await a.client.get('/notes/1');
  await a.flush();
  await b.client.get('/notes/1');
  return { db, channel, a, b };
}

describe('a drop from another tab over the same IndexedDB', () => {
  for (const [what, act] of [
    ['a DELETE', (c: ReturnType<typeof tab>) => c.client.fetch(note('1'), { method: 'DELETE' })],
    ['invalidate({ url })', (c: ReturnType<typeof tab>) => c.client.invalidate({ url: '/notes/1' })],
  ] as const) {
    it(`${what}: the receiving tab writes nothing to IndexedDB, and the entry is gone in both tabs and after a reload`, async () => {
      const api = backend();
      const { db, channel, a, b } = await twoTabsReadNote();
      await b.client.get('/notes/2');
      await Promise.all([a.flush(), b.flush()]);
      expect(await onDisk(db, note('1'))).toHaveLength(1);
      // B's own writes settle before A's drop begins.
      await sleep(5);
      b.writes.length = 0;

      await act(a);
      await vi.waitFor(() => expect(b.events.some(isRemote)).toBe(true));
      await Promise.all([a.flush(), b.flush()]);
      expect(b.writes).toEqual([]);
      expect(b.events.find(isRemote)).toMatchObject({ count: 1 });
      expect(a.client.peek('/notes/1')).toBeUndefined();
      expect(b.client.peek('/notes/1')).toBeUndefined();
      expect(b.client.peek('/notes/2')).toBeDefined();
      expect(await onDisk(db, note('1'))).toEqual([]);

      // A reload (a new client over the same database) asks the server again.
      api.data = 'b';
      const calls = api.calls;
      const reloaded = tab(db, channel);
      expect(await reloaded.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
      expect(api.calls).toBe(calls + 1);
      expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
    });
  }

  it('the receiving tab removes from disk what it wrote there itself before it was told', async () => {
    const api = backend();
    const db = uniqueName('drop');
    const slow = slowChannels();
    const a = tab(db, slow.port());
    const b = tab(db, slow.port());
    await a.client.get('/notes/1');
    await a.flush();
    slow.deliver();

    await a.client.invalidate({ url: '/notes/1' });
    await a.flush();
    expect(await onDisk(db, note('1'))).toEqual([]);
    // B, not told yet, reads the URL from the server and stores the answer, after A's delete.
    api.data = 'b';
    await b.client.get('/notes/1');
    await b.flush();
    expect(await onDisk(db, note('1'))).toHaveLength(1);
    b.writes.length = 0;

    slow.deliver();
    await vi.waitFor(() => expect(b.events.some(isRemote)).toBe(true));
    await b.flush();
    expect(b.writes.map(([method]) => method)).toEqual(['delete']);
    expect(await onDisk(db, note('1'))).toEqual([]);
    expect(b.client.peek('/notes/1')).toBeUndefined();
  });

  it('is told once the sender removed the records from disk, so it never reads them back from there', async () => {
    const api = backend();
    const { a, b } = await twoTabsReadNote();
    await sleep(5);
    // A's disk delete takes its time (a batch ahead of it, a slow disk).
    const slowDisk = gate();
    a.control.hold = slowDisk.opened;
    api.data = 'b';
    const dropped = a.client.invalidate({ url: '/notes/1' });
    await sleep(20);
    // Not told yet: B may still answer from its memory (the delivery window), never from a disk
    // the delete has not reached.
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'a' });
    slowDisk.open();
    await dropped;
    await vi.waitFor(() => expect(b.events.some(isRemote)).toBe(true));
    expect(await b.client.get('/notes/1')).toEqual({ id: '1', data: 'b' });
  });

  for (const [what, sender] of [
    ['another database', () => uniqueName('other')],
    ['no persistent tier', () => undefined],
  ] as const) {
    it(`a drop from a tab over ${what} is done on the receiving tab's disk`, async () => {
      backend();
      const db = uniqueName('drop');
      const channel = channelName();
      const a = tab(sender(), channel);
      const b = tab(db, channel);
      await b.client.get('/notes/1');
      await b.flush();
      await sleep(5);
      b.writes.length = 0;
      await a.client.invalidate({ url: '/notes/1' });
      await vi.waitFor(() => expect(b.events.some(isRemote)).toBe(true));
      await b.flush();
      expect(b.writes.map(([method]) => method)).toEqual(['remove']);
      expect(await onDisk(db, note('1'))).toEqual([]);
    });
  }

  it('idbStore names its storage: the same for one database, another for another factory, none once memory-only', () => {
    const name = uniqueName('shared');
    const stores = [
      idbStore({ name }),
      idbStore({ name }),
      idbStore({ name, indexedDB: new IDBFactory() }),
      idbStore({ name: `${name}-2` }),
    ];
    const off = idbStore({ name, indexedDB: null });
    cleanups.push(() => {
      for (const s of [...stores, off]) s.close();
    });
    const [one, same, factory, other] = stores.map((s) => s.shared);
    expect(one).toBeTypeOf('string');
    expect(same).toBe(one);
    expect(factory).not.toBe(one);
    expect(other).not.toBe(one);
    expect(off.shared).toBeUndefined();
    expect(tieredStore(stores[0]!).shared).toBe(one);
  });
});

describe('tieredStore.remove with since', () => {
  /** A persistent tier whose writes settle when the test says, recording its calls. */
  function persistent() {
    const calls: string[] = [];
    let settle: () => void = () => undefined;
    const store: Store = {
      shared: 'disk',
      get: () => undefined,
      set: () => {
        calls.push('set');
        return new Promise<void>((resolve) => (settle = resolve));
      },
      delete: (keys) => void calls.push(`delete ${keys.join(' ')}`),
      keys: () => [],
      clear: () => undefined,
      remove: () => {
        calls.push('remove');
        return [];
      },
    };
    return { store, calls, settle: () => settle() };
  }
  const one = entry({ url: 'http://api.test/1' });
  const filter = { namespace: 'alice', urls: ['http://api.test/1'] };
  afterEach(() => vi.useRealTimers());

  it('removes from disk a write still in flight, whatever `since`', async () => {
    const disk = persistent();
    const tiered = tieredStore(disk.store);
    void tiered.set([one]);
    expect(await tiered.remove!(filter, Date.now() + 60_000)).toEqual([one.key]);
    expect(disk.calls).toEqual(['set', `delete ${one.key}`]);
    expect(tiered.peek!(one.key)).toBeUndefined();
  });

  it('leaves a write that settled before `since`, and removes one that settled at or after it', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const disk = persistent();
    const tiered = tieredStore(disk.store);
    void tiered.set([one]);
    disk.settle();
    await vi.advanceTimersByTimeAsync(0);
    disk.calls.length = 0;
    expect(await tiered.remove!(filter, 1_000_001)).toEqual([one.key]);
    expect(disk.calls).toEqual([]);
    void tiered.set([one]);
    disk.settle();
    await vi.advanceTimersByTimeAsync(0);
    disk.calls.length = 0;
    await tiered.remove!(filter, 1_000_000);
    expect(disk.calls).toEqual([`delete ${one.key}`]);
  });

  it('a drop from before what it still remembers (over a minute) is removed from disk in full', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const disk = persistent();
    const tiered = tieredStore(disk.store);
    void tiered.set([one]);
    disk.settle();
    await vi.advanceTimersByTimeAsync(0);
    vi.setSystemTime(1_000_000 + 61_000);
    void tiered.set([entry({ url: 'http://api.test/2' })]);
    disk.settle();
    await vi.advanceTimersByTimeAsync(0);
    disk.calls.length = 0;
    await tiered.remove!(filter, 1_000_000);
    expect(disk.calls).toEqual(['remove']);
    disk.calls.length = 0;
    // A recent drop is still memory only.
    await tiered.remove!(filter, 1_000_000 + 61_000 + 1);
    expect(disk.calls).toEqual([]);
  });
});
