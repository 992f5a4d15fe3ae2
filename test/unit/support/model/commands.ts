/**
 * The commands of the system model, each run against the real system and then checked against
 * the reference model (see world.ts). Indexes (`tab`, `index`) are taken modulo what exists, so
 * shrinking a sequence never makes a command invalid.
 */
import fc from 'fast-check';
import { vi } from 'vitest';
import type { MutationResult } from '../../../../src/mutate.js';
import { removeItem } from '../../../../src/mutate.js';
import { type Body, ITEMS, type Release, scoped, USERS } from './origin.js';
import { COUNTER_RESETS, READ_TIMEOUT, type ReadRecord, readUrl, type Tab, type World } from './world.js';

export type Cmd = fc.AsyncCommand<object, World>;

export const command = (name: string, run: (w: World) => Promise<void>, options: { disk?: boolean; settle?: boolean } = {}): Cmd => ({
  check: () => true,
  async run(_, world) {
    world.commands++;
    await run(world);
    // Without settling, the next command starts while this one's IndexedDB reads are in flight.
    if (options.settle !== false) await world.settle();
    world.check();
    if (options.disk || world.diskEveryStep) await world.checkDisk();
  },
  toString: () => name,
});

const tabOf = (w: World, index: number): Tab => w.tabs[index % w.tabs.length]!;

/** The URLs a local invalidation covers, for the reference model. */
const covers = (target: 'scope' | 'prefix' | 'pattern' | 'url'): string[] =>
  target === 'scope' || target === 'prefix' ? ['/cal/a', '/cal/b'] : ['/n/1'];

export const read = (tab: number, url: number, tenant: string, timeout: boolean, quick = false) =>
  command(
    `read(tab ${tab}, ${readUrl(url)}, ${tenant}${timeout ? ', timeout' : ''}${quick ? ', then at once' : ''})`,
    async (w) => {
      const t = tabOf(w, tab);
      const ns = t.client.namespace;
      const path = readUrl(url);
      const floor = t.floor(ns);
      const record: ReadRecord = {
        tab: t.id,
        ns,
        url: path,
        tenant,
        floor: { rev: floor.rev, deleted: new Set(floor.deleted), seq: floor.seq.get(path) ?? 0 },
        controller: new AbortController(),
        settled: false,
      };
      w.reads.push(record);
      t.client
        .get<Body>(path, { headers: { 'X-Tenant': tenant }, signal: record.controller.signal, ...(timeout && { timeout: READ_TIMEOUT }) })
        .then(
          (data) => {
            record.outcome = { data };
            const at = data.token === undefined ? undefined : floor.learned.get(data.token);
            const releasedAt = w.origin.held.find((h) => h.seq === data.seq)?.releasedAt;
            record.exempt = scoped(path) && at !== undefined && releasedAt !== undefined && at < releasedAt;
            // What a read showed is acknowledged too: later reads of the tab never go back before it.
            if (scoped(path) && data.ns === ns) floor.rev = Math.max(floor.rev, data.rev);
          },
          (error: unknown) => (record.outcome = { error }),
        )
        .finally(() => (record.settled = true));
    },
    { settle: !quick },
  );

export const prefetch = (tab: number) =>
  command(`prefetch(tab ${tab})`, async (w) => {
    const t = tabOf(w, tab);
    // Never rejects, whatever happens to its requests.
    t.client.prefetch(['/cal/a', '/n/1']).catch((error: unknown) => w.rejections.push(error));
  });

export const watch = (tab: number, url: '/cal/a' | '/n/1') =>
  command(`watch(tab ${tab}, ${url})`, async (w) => {
    tabOf(w, tab).watch(url);
  });

export const release = (index: number, kind: Release) =>
  command(`release(${index}, ${kind})`, async (w) => {
    const open = w.origin.open();
    open[index % Math.max(open.length, 1)]?.release(kind);
  });

export type MutationPlan = 'ok' | 'refused' | 'held';

export const mutate = (tab: number, item: number, plan: MutationPlan) =>
  command(`mutate(tab ${tab}, delete ${item}, ${plan})`, async (w) => {
    const t = tabOf(w, tab);
    const ns = t.client.namespace;
    const floor = t.floor(ns);
    const record = { tab: t.id, ns, item, settled: false } as (typeof w.mutations)[number];
    w.mutations.push(record);
    const before = w.origin.seq;
    let sentSeq = -1;
    w.refuseNext = plan === 'refused';
    const promise = t.client.mutate({
      scope: 'cal',
      request: { url: `/cal/items/${item}`, method: 'DELETE' },
      optimistic: removeItem(item, { idOf: (x) => x }),
    });
    w.refuseNext = false;
    promise.then(
      (result: MutationResult) => {
        record.settled = true;
        record.outcome = 'committed';
        // The state the answer spoke for (its token alone may name two states after a reset).
        const state = w.origin.held.find((h) => h.seq === sentSeq)?.state;
        if (result.version !== undefined) floor.rev = Math.max(floor.rev, state ?? w.origin.revOf(ns, result.version));
        floor.deleted.add(item);
      },
      () => {
        record.settled = true;
        record.outcome = 'rolled-back';
      },
    );
    await Promise.resolve();
    const sent = w.origin.held.find((h) => h.seq > before && h.method === 'DELETE');
    if (sent) sentSeq = sent.seq;
    if (plan !== 'held') sent?.release('ok');
  });

export const invalidate = (tab: number, target: 'scope' | 'prefix' | 'pattern' | 'url') =>
  command(`invalidate(tab ${tab}, by ${target})`, async (w) => {
    const t = tabOf(w, tab);
    const ns = t.client.namespace;
    const at = w.origin.seq + 1;
    const spec =
      target === 'scope'
        ? { scope: 'c*' }
        : target === 'prefix'
          ? { prefix: '/cal/' }
          : target === 'pattern'
            ? { url: '/n/*' }
            : { url: '/n/1' };
    await t.client.invalidate(spec);
    const floor = t.floor(ns);
    for (const url of covers(target)) floor.seq.set(url, Math.max(floor.seq.get(url) ?? 0, at));
    if (target === 'scope' || target === 'prefix') floor.learned.clear();
  });

export const serverBump = (user: string, item: number) =>
  command(`server: ${user}'s data changes elsewhere (item ${item} goes)`, async (w) => {
    w.origin.bump(user, item);
  });

/** The user's version counter is lost (a flushed store) and counts again from 1; the data stays. */
export const serverReset = (user: string) =>
  command(`server: ${user}'s version counter resets`, async (w) => {
    w.origin.reset(user);
  });

export const tick = (ms: number) =>
  command(`tick(${ms / 1000}s)`, async (w) => {
    w.clock += ms;
    vi.advanceTimersByTime(ms);
  });

export const abort = (index: number) =>
  command(`abort(${index})`, async (w) => {
    const open = w.reads.filter((r) => !r.settled);
    open[index % Math.max(open.length, 1)]?.controller.abort();
  });

export const reload = (tab: number) =>
  command(
    `reload(tab ${tab})`,
    async (w) => {
      const t = tabOf(w, tab);
      // The old page's requests die with it, as the browser aborts them on unload.
      for (const h of w.origin.open().filter((x) => x.tab === t.id)) h.release('unload');
      await w.settle();
      for (const watcher of t.watchers) watcher.stop();
      t.watchers = [];
      t.stopSync();
      // Assumption: what the page wrote has committed before the next page opens the database.
      await t.idb.flush();
      t.idb.close();
      await w.settle();
      t.load(t.client.namespace);
      await t.client.ready;
    },
    { disk: true },
  );

export const deliver = (index: number) =>
  command(`deliver(${index})`, async (w) => {
    w.deliver(index);
  });

export const lose = (index: number) =>
  command(`lose(${index})`, async (w) => {
    w.bus.drop(index);
  });

export const switchTo = (tab: number, ns: string, logout: boolean) =>
  command(
    `tab ${tab}: ${logout ? 'logout, then login as' : 'switch to'} ${ns}`,
    async (w) => {
      const t = tabOf(w, tab);
      if (logout) {
        const leaving = t.client.namespace;
        await t.client.clear({ namespace: leaving });
        const at = w.origin.seq + 1;
        t.clearedBefore.set(leaving, at);
        const floor = t.floor(leaving);
        for (const url of ['/cal/a', '/cal/b', '/n/1', '/p']) floor.seq.set(url, at);
        // A logout forgets the user's versions on purpose (nothing of them stays on the device):
        // after it, only what the server answers next is known, lagging replica or not.
        floor.rev = 0;
        floor.deleted.clear();
      }
      t.client.namespace = ns;
    },
    { disk: logout },
  );

const TAB = fc.nat({ max: 2 });
const TENANT = fc.constantFrom('t1', 't1', 't1', 't2');
const ITEM = fc.constantFrom(...ITEMS);
const USER = fc.constantFrom(...USERS);
const RELEASE = fc.constantFrom<Release>('ok', 'ok', 'ok', 'ok', 'lagged', 'malformed', 'fail', 'error');

/** Every command of the whole system, weighted towards reads, answers and changes meeting in flight. */
export function systemCommands(options: { tabs: boolean; maxCommands: number }) {
  const list = [
    fc.tuple(TAB, fc.nat({ max: 3 }), TENANT, fc.boolean(), fc.boolean()).map(([t, u, tn, to, q]) => read(t, u, tn, to, q)),
    fc.tuple(TAB, fc.nat({ max: 1 }), TENANT).map(([t, u, tn]) => read(t, u, tn, false)),
    TAB.map(prefetch),
    fc.tuple(TAB, fc.constantFrom('/cal/a' as const, '/n/1' as const)).map(([t, u]) => watch(t, u)),
    fc.tuple(fc.nat(), RELEASE).map(([i, k]) => release(i, k)),
    fc.tuple(fc.nat(), RELEASE).map(([i, k]) => release(i, k)),
    fc.tuple(fc.nat(), fc.constant<Release>('ok')).map(([i, k]) => release(i, k)),
    fc.tuple(TAB, ITEM, fc.constantFrom<MutationPlan>('ok', 'ok', 'refused', 'held')).map(([t, i, p]) => mutate(t, i, p)),
    fc
      .tuple(TAB, fc.constantFrom('scope' as const, 'prefix' as const, 'pattern' as const, 'url' as const))
      .map(([t, k]) => invalidate(t, k)),
    fc.tuple(USER, ITEM).map(([u, i]) => serverBump(u, i)),
    fc.constantFrom(30_000, 61_000).map(tick),
    fc.nat().map(abort),
    TAB.map(reload),
    fc.tuple(TAB, USER, fc.boolean()).map(([t, u, l]) => switchTo(t, u, l)),
  ];
  if (COUNTER_RESETS) list.push(USER.map(serverReset));
  if (options.tabs) list.push(fc.nat().map(deliver), fc.nat().map(deliver), fc.nat().map(deliver), fc.nat().map(lose));
  return fc.commands(list, { maxCommands: options.maxCommands, size: 'max' });
}

/**
 * The namespace isolation fuzz: the same URLs for every user, random logins, logouts, reloads and
 * answers landing in any order, in two tabs over one database; nothing else.
 */
export function isolationCommands(maxCommands: number) {
  return fc.commands(
    [
      fc.tuple(TAB, fc.nat({ max: 2 }), TENANT, fc.boolean()).map(([t, u, tn, q]) => read(t, u, tn, false, q)),
      fc.tuple(TAB, fc.nat({ max: 2 }), TENANT, fc.boolean()).map(([t, u, tn, q]) => read(t, u, tn, false, q)),
      TAB.map(prefetch),
      fc.tuple(fc.nat(), fc.constantFrom<Release>('ok', 'ok', 'lagged', 'fail')).map(([i, k]) => release(i, k)),
      fc.tuple(fc.nat(), fc.constant<Release>('ok')).map(([i, k]) => release(i, k)),
      fc.tuple(TAB, USER, fc.boolean()).map(([t, u, l]) => switchTo(t, u, l)),
      fc.tuple(TAB, USER, fc.constant(true)).map(([t, u, l]) => switchTo(t, u, l)),
      TAB.map(reload),
      fc.nat().map(deliver),
      fc.nat().map(lose),
      fc.constant(61_000).map(tick),
    ],
    { maxCommands, size: 'max' },
  );
}
