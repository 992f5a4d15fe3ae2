/**
 * The whole system of the model tests, real parts only: per tab, `createClient` over
 * `tieredStore(idbStore())` on one fake-indexeddb factory (tabs share the database, as tabs of an
 * origin do), `nostale/mutate`, `nostale/watch` and `nostale/sync` over an in-memory channel that
 * delays and loses messages. The origin holds every request until a command answers it.
 *
 * Beside it, the reference model is the bookkeeping of what each tab has acknowledged (floors),
 * checked after every command against what reads resolved with and what memory and disk hold.
 */
import { IDBFactory } from 'fake-indexeddb';
import { expect, vi } from 'vitest';
import { type IdbStore, idbStore, tieredStore } from '../../../../src/idb.js';
import { type CacheEntry, type Client, createClient, isNostaleError, type Store } from '../../../../src/index.js';
import { type Mutate, type MutationEvent, withMutations } from '../../../../src/mutate.js';
import { syncTabs } from '../../../../src/sync.js';
import type { WatchState } from '../../../../src/watch.js';
import { observe } from '../../../../src/watch.js';
import { Bus } from './bus.js';
import { BASE, type Body, Origin, READ_URLS, scoped, VERSION_URL } from './origin.js';

/** Memory tier cap of every tab: small, so that LRU eviction runs in most sequences. */
export const MEMORY_CAP = 4;
/** Mutation timeout (ms of the fake clock): two 30 s ticks pass it, one does not. */
export const MUTATION_TIMEOUT = 45_000;
export const READ_TIMEOUT = 20_000;
export const DB = 'nostale-model';

/**
 * Server-side counter resets (a version store flushed, counting again from 1, the data kept). The
 * client confirms a lower token with the scope's version endpoint before adopting it; until then
 * it may refuse reads with `StaleVersionError`. Floors are in states of the data, not tokens.
 */
export const COUNTER_RESETS = true;

/** What a tab has acknowledged in one namespace: the reference model. */
export interface Floor {
  /**
   * Least state of the data a read may show (the origin's state index, which a counter reset does
   * not move back): mutations committed, states learned from reads or other tabs' versions.
   */
  rev: number;
  /** Items whose delete this tab saw committed. */
  deleted: Set<number>;
  /** Per URL, least request number a read may show after a local invalidation of it (own answers only). */
  seq: Map<string, number>;
  /**
   * Scope tokens the tab learned since its last local invalidation of the scope, with the
   * origin's release count then. The client judges by token: once it has learned a token anew,
   * an answer carrying that token is current however early it was sent (one token, one state:
   * the protocol's assumption). Learned from the answer itself does not count.
   */
  learned: Map<string, number>;
}

export interface ReadRecord {
  tab: number;
  ns: string;
  url: string;
  tenant: string;
  floor: { rev: number; deleted: Set<number>; seq: number };
  /** The answer carries a token the tab learned anew after the invalidation, from another answer. */
  exempt?: boolean;
  controller: AbortController;
  settled: boolean;
  outcome?: { data?: Body; error?: unknown };
}

interface MutationRecord {
  id?: number;
  tab: number;
  ns: string;
  item: number;
  settled: boolean;
  outcome?: 'committed' | 'rolled-back';
}

interface Watcher {
  url: string;
  states: WatchState<Body>[];
  stop: () => void;
  state: () => WatchState<Body>;
}

export class Tab {
  client!: Client & { mutate: Mutate };
  idb!: IdbStore;
  /** Keys the memory tier may hold, to look into it through `peek` (its own listing is private). */
  readonly seen = new Set<string>();
  store!: Store;
  stopSync: () => void = () => undefined;
  /** Ends the current page: what it still sends fails as an unloaded page's requests do. */
  unload: () => void = () => undefined;
  endpoint = 0;
  watchers: Watcher[] = [];
  /** Mutation events of this page, by mutation id. */
  readonly events = new Map<number, MutationEvent[]>();
  /** Namespace cut-offs: requests numbered below were sent before this tab's clear took effect. */
  readonly clearedBefore = new Map<string, number>();
  readonly floors = new Map<string, Floor>();

  constructor(
    readonly id: number,
    readonly world: World,
    namespace: string,
  ) {
    this.load(namespace);
  }

  floor(ns: string): Floor {
    let floor = this.floors.get(ns);
    if (!floor) this.floors.set(ns, (floor = { rev: 0, deleted: new Set(), seq: new Map(), learned: new Map() }));
    return floor;
  }

  /** A page load over the shared database: fresh memory, fresh client, a new channel endpoint. */
  load(namespace: string) {
    const { world } = this;
    this.idb = idbStore({ name: DB, indexedDB: world.factory, pruneDelay: false, now: () => world.clock });
    const tiered = tieredStore(this.idb, { maxEntries: MEMORY_CAP });
    const seen = this.seen;
    const store: Store = {
      ...tiered,
      get: (key) => {
        seen.add(key);
        return tiered.get(key);
      },
      set: (entries) => {
        for (const e of entries) seen.add(e.key);
        return tiered.set(entries);
      },
    };
    this.store = store;
    this.seen.clear();
    // The page this load opens: once unloaded, it runs nothing more (its retries and timers die
    // with it), and it sends with its own client's session, never the next page's.
    this.unload();
    const page = { alive: true };
    this.unload = () => void (page.alive = false);
    const client = createClient({
      baseUrl: BASE,
      namespace,
      store,
      now: () => world.clock,
      routes: [{ match: '/cal/*', scope: 'cal', versionUrl: VERSION_URL }],
      fetch: (input, init) => {
        const request = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
        if (!page.alive) return Promise.reject(new DOMException('The page was unloaded', 'AbortError'));
        return world.origin.handle(this.id, client.namespace, request, world.refuseNext);
      },
    });
    this.client = withMutations(client, { timeout: MUTATION_TIMEOUT });
    this.client.subscribe((event) => {
      if (event.type !== 'version' || event.version === undefined || event.origin === 'local' || event.origin === 'store') return;
      this.floor(event.record.namespace).learned.set(event.version, world.origin.epoch);
    });
    this.client.mutate.subscribe((event) => {
      const list = this.events.get(event.mutation.id) ?? [];
      list.push(event);
      this.events.set(event.mutation.id, list);
    });
    this.events.clear();
    if (world.tabs.length > 1 || world.multiTab) {
      const channel = world.bus.endpoint();
      this.endpoint = channel.id;
      const stop = syncTabs(this.client, { channel, onWarning: () => undefined });
      this.stopSync = () => {
        stop();
        world.bus.close(channel.id);
      };
    }
  }

  /** What the memory tier holds now, through the store's synchronous `peek` (never IndexedDB). */
  memoryEntries(): CacheEntry[] {
    const found: CacheEntry[] = [];
    for (const key of this.seen) {
      const entry = this.store.peek?.(key);
      if (entry) found.push(entry);
    }
    return found;
  }

  watch(url: string) {
    const observer = observe<Body>(this.client, url);
    const watcher: Watcher = { url, states: [], stop: () => undefined, state: () => observer.getSnapshot() };
    watcher.stop = observer.subscribe(() => watcher.states.push(observer.getSnapshot()));
    this.watchers.push(watcher);
  }
}

export class World {
  readonly origin = new Origin();
  readonly bus = new Bus();
  readonly factory = new IDBFactory();
  readonly tabs: Tab[] = [];
  readonly reads: ReadRecord[] = [];
  readonly mutations: MutationRecord[] = [];
  readonly rejections: unknown[] = [];
  clock = 1_000_000;
  refuseNext = false;
  commands = 0;
  /** Look at the raw database after every command, not only after logouts, reloads and at the end. */
  diskEveryStep = false;

  constructor(
    tabs: number,
    readonly multiTab = tabs > 1,
    namespaces: readonly string[] = ['alice', 'alice', 'bob'],
  ) {
    for (let i = 0; i < tabs; i++) {
      const tab = new Tab(i, this, namespaces[i % namespaces.length]!);
      this.tabs.push(tab);
    }
  }

  async ready() {
    await Promise.all(this.tabs.map((t) => t.client.ready));
  }

  /** Lets microtasks, fake-indexeddb's tasks and zero-delay (fake) timers run until quiet. */
  async settle(rounds = 6) {
    for (let i = 0; i < rounds; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      vi.advanceTimersByTime(0);
    }
  }

  /** Every IndexedDB entry record, read with the raw API of the factory the tabs share. */
  async disk(): Promise<Record<string, unknown>[]> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = this.factory.open(DB);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      if (!db.objectStoreNames.contains('entries')) return [];
      return await new Promise<Record<string, unknown>[]>((resolve, reject) => {
        const request = db.transaction('entries').objectStore('entries').getAll();
        request.onsuccess = () => resolve(request.result as Record<string, unknown>[]);
        request.onerror = () => reject(request.error);
      });
    } finally {
      db.close();
    }
  }

  /** The answer carries a scope token that a counter reset made name two states. */
  reused(data: Body): boolean {
    return data.token !== undefined && this.origin.reused(data.ns, data.token);
  }

  /** The invariants that hold after every command. */
  check() {
    for (const read of this.reads) {
      const data = read.outcome?.data;
      if (data) {
        expect(data.ns, 'a read returned another namespace’s data').toBe(read.ns);
        expect(data.tenant, 'a read returned another variant').toBe(read.tenant);
        expect(data.url, 'a read returned another URL').toBe(read.url);
        // A token reused after a counter reset names two states: only the order of the data it
        // was computed from, not its token, could tell the client which (see COUNTER_RESETS).
        if (scoped(read.url) && !this.reused(data)) {
          expect(data.rev, `a read of ${read.url} returned data older than an acknowledged change`).toBeGreaterThanOrEqual(read.floor.rev);
        }
        if (scoped(read.url)) {
          const back = data.items.filter((i) => read.floor.deleted.has(i));
          expect(back, 'an item whose delete was acknowledged came back').toEqual([]);
        }
        if (data.tab === read.tab && !read.exempt) {
          expect(data.seq, `a read of ${read.url} returned an answer from before its invalidation`).toBeGreaterThanOrEqual(read.floor.seq);
        }
      }
      const error = read.outcome?.error;
      if (error !== undefined) {
        expect(isNostaleError(error) || (error as Error).name === 'AbortError', `untyped error ${String(error)}`).toBe(true);
      }
    }
    for (const tab of this.tabs) {
      const memory = tab.memoryEntries();
      expect(memory.length, 'the memory tier is over its cap').toBeLessThanOrEqual(MEMORY_CAP);
      for (const entry of memory) this.checkEntry(entry, `tab ${tab.id}'s memory`, tab.id);
      for (const [id, events] of tab.events) {
        const ends = events.filter((e) => e.type !== 'pending').length;
        expect(ends, `mutation ${id} ended ${ends} times`).toBeLessThanOrEqual(1);
      }
    }
    expect(this.rejections, 'an unhandled rejection').toEqual([]);
  }

  /** What memory or disk holds belongs to the namespace it is filed under, and never a `no-store` answer. */
  /**
   * A tab's logout binds what that tab fetched (`holder` limits the check to one tab's answers: a
   * tab not told of another's logout may still hold, and copy from disk, what it fetched itself).
   */
  checkEntry(entry: { key: unknown; namespace: unknown; body: unknown; url: unknown }, where: string, holder?: number) {
    const namespace = entry.namespace as string;
    const body = entry.body as string;
    expect(new URL(entry.url as string).pathname, `a no-store answer in ${where}`).not.toBe('/p');
    expect((JSON.parse(entry.key as string) as string[])[0], `a key of another namespace in ${where}`).toBe(namespace);
    if (body === '') return; // a Vary pointer
    const data = JSON.parse(body) as Body;
    expect(data.ns, `an entry of ${data.ns} filed under ${namespace} in ${where}`).toBe(namespace);
    if (holder !== undefined && data.tab !== holder) return;
    const cut = this.tabs[data.tab]?.clearedBefore.get(namespace) ?? 0;
    expect(data.seq, `an answer to ${data.ns} from before their logout survived it in ${where}`).toBeGreaterThanOrEqual(cut);
  }

  async checkDisk() {
    for (const record of await this.disk()) this.checkEntry(record as Parameters<World['checkEntry']>[0], 'IndexedDB');
  }

  /** Answers everything still held, delivers every message, lets every timer run out; then checks once more. */
  async drain() {
    // One answer at a time, so what one answer teaches lands before the next is released.
    for (let i = 0; i < 200 && (this.origin.open().length || this.bus.pending()); i++) {
      this.origin.open()[0]?.release('ok');
      while (this.bus.pending()) this.deliver(0);
      await this.settle();
    }
    vi.advanceTimersByTime(MUTATION_TIMEOUT * 2);
    await this.settle();
    this.check();
    for (const m of this.mutations) expect(m.settled, 'a mutation never settled').toBe(true);
    for (const tab of this.tabs) {
      expect(tab.client.mutate.pending(), 'a mutation is still pending').toEqual([]);
      for (const [id, events] of tab.events) {
        expect(events.filter((e) => e.type !== 'pending').length, `mutation ${id} ended neither committed nor rolled back`).toBe(1);
      }
    }
    await Promise.all(this.tabs.map((t) => t.idb.flush()));
    await this.settle();
    await this.checkDisk();
    this.checkWatchers();
  }

  /**
   * Watchers re-read on every change: once everything has landed, each shows the current user's
   * data, at least as new as what the tab acknowledged (unless its last read failed).
   */
  checkWatchers() {
    for (const tab of this.tabs) {
      const ns = tab.client.namespace;
      for (const watcher of tab.watchers) {
        const state = watcher.state();
        if (!state.data || state.isValidating || state.error !== undefined) continue;
        expect(state.data.url).toBe(watcher.url);
        expect(state.data.ns, `tab ${tab.id}: a watcher shows another user's data`).toBe(ns);
        if (scoped(watcher.url) && !this.reused(state.data)) {
          expect(state.data.rev, `tab ${tab.id}: a watcher shows outdated data`).toBeGreaterThanOrEqual(tab.floor(ns).rev);
        }
      }
    }
  }

  /** Delivers one message and raises the receiver's floor by the scope version it carries. */
  deliver(index: number) {
    const got = this.bus.deliver(index);
    if (!got) return;
    const tab = this.tabs.find((t) => t.endpoint === got.to);
    const change = (got.data as { change?: { kind: string; record?: { namespace: string; token?: string }; namespace?: string } }).change;
    if (!tab || !change) return;
    if (change.kind === 'scope' && change.record?.token !== undefined && /^\d+$/.test(change.record.token)) {
      const floor = tab.floor(change.record.namespace);
      floor.rev = Math.max(floor.rev, this.origin.revOf(change.record.namespace, change.record.token));
    }
    if (change.kind === 'clear') {
      const ns = change.namespace;
      for (const name of ns === undefined ? [...tab.floors.keys()] : [ns]) {
        tab.clearedBefore.set(name, this.origin.seq + 1);
        // The receiving tab forgets the user's versions too (see the logout command).
        const floor = tab.floor(name);
        floor.rev = 0;
        floor.deleted.clear();
      }
    }
  }

  /** The last look of a run: every tab converges on the origin, and nothing optimistic is left behind. */
  async converge() {
    for (const tab of this.tabs) {
      const ns = tab.client.namespace;
      let data: Body | undefined;
      let failure: unknown;
      let done = false;
      // After a reset gave the current token out before, with other data, the version endpoint's
      // "unchanged" cannot tell the two apart: `no-cache` may rightly keep the entry, so reload.
      const reused = this.origin.reused(ns, String(this.origin.user(ns).counter));
      tab.client
        .get<Body>('/cal/a', { cache: reused ? 'reload' : 'no-cache', headers: { 'X-Tenant': 't1' } })
        .then(
          (d) => (data = d),
          (e: unknown) => (failure = e),
        )
        .finally(() => (done = true));
      for (let i = 0; i < 20 && !done; i++) {
        await this.settle(2);
        // Past a retry's backoff: after a counter reset, the read waits before asking again.
        vi.advanceTimersByTime(5_000);
        for (const h of this.origin.open()) h.release('ok');
      }
      expect(done, `tab ${tab.id}: a read never settled`).toBe(true);
      if (failure) throw failure;
      if (!data) throw new Error('no data');
      expect(data.ns).toBe(ns);
      expect(data.items, `tab ${tab.id} does not converge on the origin`).toEqual(this.origin.items(ns));
    }
  }

  close() {
    for (const tab of this.tabs) {
      for (const w of tab.watchers) w.stop();
      tab.stopSync();
      tab.idb.close();
    }
  }
}

export const readUrl = (i: number) => READ_URLS[i % READ_URLS.length]!;
