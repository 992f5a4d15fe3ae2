import { describe, expect, it } from 'vitest';
import { MemoryStore, type CacheEvent, type Store } from '../../src/index.js';
import { entry } from './support/entries.js';
import { tieredStore } from '../../src/tiered.js';

/**
 * `store` with reads that take a while, as IndexedDB's do: each answers what it found when it
 * started, once `release` is called.
 */
function slowReads(store: Store) {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const slow: Store = {
    ...store,
    get: async (key) => {
      const found = store.get(key);
      await gate;
      return found;
    },
  };
  return { slow, release };
}

/** A persistent tier that counts reads and can be made to fail. */
function fakeDisk() {
  const disk = new MemoryStore({ maxEntries: 1e6 });
  const state = { reads: 0, failing: false };
  const fail = () => {
    if (state.failing) throw new DOMException('quota', 'QuotaExceededError');
  };
  const store: Store = {
    get: (key) => {
      state.reads++;
      fail();
      return disk.get(key);
    },
    set: (entries) => {
      fail();
      return disk.set(entries);
    },
    delete: (keys) => {
      fail();
      return disk.delete(keys);
    },
    keys: (filter) => {
      fail();
      return disk.keys(filter);
    },
    clear: (filter) => {
      fail();
      return disk.clear(filter);
    },
  };
  return { store, disk, state };
}

describe('tieredStore', () => {
  it('answers a memory hit synchronously without touching the persistent tier', async () => {
    const { store, state } = fakeDisk();
    const tiers = tieredStore(store);
    void tiers.set([entry('a')]);
    expect(tiers.get('a')).toMatchObject({ key: 'a' });
    expect(state.reads).toBe(0);
  });

  it('promotes a persisted entry on a miss, and never persists memory-only entries', async () => {
    const { store, disk } = fakeDisk();
    void tieredStore(store).set([entry('a'), entry('secret', { memoryOnly: true })]);
    expect(disk.keys()).toEqual(['a']);
    const fresh = tieredStore(store);
    expect(await fresh.get('a')).toMatchObject({ key: 'a' });
    expect(await fresh.get('secret')).toBeUndefined();
  });

  it('never serves a persisted entry of another build, or a record under the wrong key', async () => {
    const { store, disk } = fakeDisk();
    disk.set([entry('old', { build: 'b1' })]);
    const tiers = tieredStore(store, { build: 'b2' });
    expect(await tiers.get('old')).toBeUndefined();
    const foreign: Store = { ...store, get: () => entry('someone-else') };
    expect(await tieredStore(foreign).get('x')).toBeUndefined();
  });

  it('reports a failing persistent tier and keeps working from memory', async () => {
    const { store, state } = fakeDisk();
    const events: CacheEvent[] = [];
    const tiers = tieredStore(store);
    tiers.attach?.((e) => events.push(e));
    state.failing = true;
    void tiers.set([entry('a')]);
    expect(await tiers.get('missing')).toBeUndefined();
    expect(await tiers.keys()).toEqual(['a']);
    await tiers.clear({ namespace: 'alice' });
    await new Promise((r) => setTimeout(r, 0));
    expect(events.some((e) => e.type === 'warning' && e.code === 'store-failed')).toBe(true);
  });
  it('a persisted read in flight during a clear or delete that removes its entry is not copied up or answered', async () => {
    const { store, disk } = fakeDisk();
    disk.set([entry('a'), entry('b', { namespace: 'bob' }), entry('c')]);
    const { slow, release } = slowReads(store);
    const tiers = tieredStore(slow);
    const alice = tiers.get('a');
    const bob = tiers.get('b');
    const other = tiers.get('c');
    // Alice logs out while her read is in flight; `c` is deleted by an invalidation.
    await tiers.clear({ namespace: 'alice', urls: ['http://api.test/a'] });
    await tiers.delete(['c']);
    release();
    expect(await alice).toBeUndefined();
    expect(await other).toBeUndefined();
    // Bob's entry was not removed: it is served and copied up.
    expect(await bob).toMatchObject({ key: 'b' });
    disk.clear();
    expect(tiers.get('b')).toMatchObject({ key: 'b' });
    expect(tiers.get('a')).not.toMatchObject({ key: 'a' });
  });

  it('keys({ urls }) answers the union of both tiers', async () => {
    const { store, disk } = fakeDisk();
    disk.set([entry('old', { url: 'http://api.test/x' })]);
    const tiers = tieredStore(store);
    void tiers.set([entry('new', { url: 'http://api.test/x' }), entry('other')]);
    expect((await tiers.keys({ urls: ['http://api.test/x'] })).sort()).toEqual(['new', 'old']);
  });
});

describe('tieredStore.remove', () => {
  it('removes from both tiers and answers the union; a persisted read in flight for a removed URL is not copied up', async () => {
    const { store, disk } = fakeDisk();
    disk.set([entry('old', { url: 'http://api.test/x' }), entry('kept', { url: 'http://api.test/y' })]);
    const { slow, release } = slowReads(store);
    const tiers = tieredStore(slow);
    void tiers.set([entry('new', { url: 'http://api.test/x' })]);
    const inFlight = tiers.get('old');
    // The persistent tier has no remove of its own here: keys, then delete.
    expect((await tiers.remove!({ urls: ['http://api.test/x'] })).sort()).toEqual(['new', 'old']);
    release();
    expect(await inFlight).toBeUndefined();
    expect(tiers.peek!('new')).toBeUndefined();
    expect(disk.keys()).toEqual(['kept']);
  });
});
