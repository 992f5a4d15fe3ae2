import fc from 'fast-check';
import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { setControls } from '../../demo/mock/controls';
import { createDemoDb } from '../../demo/mock/db';
import { createHandlers } from '../../demo/mock/handlers';
import type { DemoEvent } from '../../demo/mock/model';
import { createMemoryStorage } from '../../demo/mock/storage';
import type { Route } from '../../src/index.js';
import { insertItem, MutationError, removeItem, sameId, updateItem, withMutations, type MutationEvent } from '../../src/mutate.js';
import { API, gate, makeClient, useServer, holdDelete as holdOneDelete } from './support/harness.js';

const server = useServer();

const TODAY = new Date('2024-05-15T12:00:00Z');
const SCOPE = 'calendar:alice';
/** The six weeks a May month view asks for. */
const FEED = '/api/users/alice/events?start=2024-04-28T00:00:00Z&end=2024-06-09T00:00:00Z';
const MAY = '/api/users/alice/events?start=2024-05-01T00:00:00Z&end=2024-06-01T00:00:00Z';
const routes: Route[] = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }];
const deleteUrl = (id: string) => `${API}/api/users/alice/events/${id}`;

/** The demo backend over fresh storage, with no latency; `db` reads the same data directly. */
function demo(options: { beforeRespond?: (request: Request) => Promise<void> } = {}) {
  const storage = createMemoryStorage();
  setControls({ latencyMs: 0 }, storage);
  server.use(...createHandlers({ storage, today: TODAY, count: 40, beforeRespond: options.beforeRespond }));
  const db = createDemoDb({ storage, today: TODAY, count: 40 });
  return { storage, db };
}

function setup(options: Parameters<typeof demo>[0] = {}) {
  const backend = demo(options);
  const harness = makeClient({ routes });
  const client = withMutations(harness.client);
  const events: MutationEvent[] = [];
  client.mutate.subscribe((event) => events.push(event));
  const ids = async (url = FEED) => (await client.get<DemoEvent[]>(url)).map((e) => e.id);
  const del = (id: string, extra: { key?: string; timeout?: number } = {}) =>
    client.mutate({ scope: SCOPE, request: { url: deleteUrl(id), method: 'DELETE' }, optimistic: removeItem(id), ...extra });
  return { ...backend, ...harness, client, events, ids, del };
}

const holdDelete = (id: string) => holdOneDelete(server, id);

describe('client.mutate', () => {
  it('removes the item at once: the next get no longer shows it, before the server answers', async () => {
    const t = setup();
    const [victim] = await t.ids();
    const hold = holdDelete(victim!);
    const done = t.del(victim!);
    expect(await t.ids()).not.toContain(victim);
    expect(t.client.mutate.pending()).toHaveLength(1);
    expect(t.db.findEvent('alice', victim!)).toBeDefined();
    hold.open();
    await done;
    expect(t.client.mutate.pending()).toEqual([]);
  });

  it('on success keeps the item gone and moves the scope to the version the server sent', async () => {
    const t = setup();
    const [victim] = await t.ids();
    expect(t.client.scopes()[0]).toMatchObject({ scope: SCOPE, token: '1' });
    const result = await t.del(victim!);
    expect(result).toMatchObject({ status: 204, version: '2' });
    expect(t.client.scopes()[0]).toMatchObject({ token: '2', local: false });
    expect(await t.ids()).not.toContain(victim);
    expect(await t.ids(MAY)).not.toContain(victim);
    expect(t.db.findEvent('alice', victim!)).toBeUndefined();
    expect(t.events.map((e) => e.type)).toEqual(['pending', 'committed']);
  });

  it('on a server 500 brings the item back and rejects with a MutationError carrying status and key', async () => {
    const t = setup();
    const [victim] = await t.ids();
    setControls({ failNext: true }, t.storage);
    const settled: string[] = [];
    const done = t.client.mutate({
      scope: SCOPE,
      key: `delete:${victim}`,
      request: { url: deleteUrl(victim!), method: 'DELETE' },
      optimistic: removeItem(victim!),
      onSettled: (outcome) => settled.push(outcome.type),
    });
    expect(await t.ids()).not.toContain(victim);
    const error = await done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MutationError);
    expect(error).toMatchObject({ status: 500, key: `delete:${victim}`, scope: SCOPE, reason: 'http' });
    expect((error as MutationError).cause).toMatchObject({ name: 'HttpError', status: 500 });
    expect(await t.ids()).toContain(victim);
    expect(t.client.scopes()[0]!.token).toBe('1');
    expect(settled).toEqual(['rolled-back']);
    expect(t.events.at(-1)).toMatchObject({ type: 'rolled-back', error });
  });

  it('two concurrent deletes where one fails: only the failed one comes back, the other stays gone', async () => {
    for (const order of [
      ['ok', 'fail'],
      ['fail', 'ok'],
    ] as const) {
      const t = setup();
      const [good, bad] = await t.ids();
      const holdGood = holdDelete(good!);
      const holdBad = gate();
      server.use(
        http.delete(`${API}/api/users/alice/events/${bad}`, async () => {
          await holdBad.opened;
          return HttpResponse.json({ error: 'server-error' }, { status: 500 });
        }),
      );
      const okDone = t.del(good!);
      const badDone = t.del(bad!).catch((e: unknown) => e);
      expect(await t.ids()).not.toEqual(expect.arrayContaining([good]));
      expect(await t.ids()).not.toEqual(expect.arrayContaining([bad]));
      for (const step of order) {
        if (step === 'ok') {
          holdGood.open();
          await okDone;
        } else {
          holdBad.open();
          expect(await badDone).toBeInstanceOf(MutationError);
        }
        // Whatever settled so far, the other one's layer is untouched.
        const visible = await t.ids();
        expect(visible).not.toContain(good);
        if (step === 'fail') expect(visible).toContain(bad);
        else expect(visible.includes(bad!)).toBe(order[0] === 'fail');
      }
      const visible = await t.ids();
      expect(visible).toContain(bad);
      expect(visible).not.toContain(good);
    }
  });

  it('never resurrects the item from a feed response computed before the delete and delivered after it', async () => {
    const hold = gate();
    const arrived = gate();
    let holdNext = false;
    const t = setup({
      beforeRespond: async (request) => {
        if (request.method !== 'GET' || !holdNext) return;
        holdNext = false;
        arrived.open();
        await hold.opened;
      },
    });
    const [victim] = await t.ids();
    holdNext = true;
    // Not cached yet: the held answer is a full 200 listing the victim, at version 1.
    const slow = t.ids(MAY);
    await arrived.opened;
    await t.del(victim!);
    expect(t.client.scopes()[0]!.token).toBe('2');
    hold.open();
    expect(await slow).not.toContain(victim);
    // The late answer was fetched again rather than served or stored.
    expect(t.requests.filter((r) => r.url.includes('start=2024-05-01'))).toHaveLength(2);
    expect(await t.ids(MAY)).not.toContain(victim);
    expect(await t.ids()).not.toContain(victim);
  });

  it('keeps a committed layer until the scope has been read again after the commit', async () => {
    const t = setup();
    const [victim] = await t.ids();
    let layerEvents = 0;
    t.client.subscribe((event) => {
      if (event.type === 'overlay') layerEvents++;
    });
    await t.del(victim!);
    expect(layerEvents).toBe(1);
    expect(await t.ids()).not.toContain(victim);
    expect(layerEvents).toBe(2);
  });

  it('is idempotent per key while pending, and a delete answered 404 counts as success without a bump', async () => {
    const t = setup();
    const [victim] = await t.ids();
    const hold = holdDelete(victim!);
    const first = t.del(victim!, { key: `delete:${victim}` });
    const second = t.del(victim!, { key: `delete:${victim}` });
    expect(second).toBe(first);
    // Requests described as data are keyed on method and URL by default.
    const third = t.del(victim!);
    expect(t.del(victim!)).toBe(third);
    hold.open();
    await Promise.all([first, third]);
    const deletes = () => t.requests.filter((r) => r.method === 'DELETE').length;
    expect(deletes()).toBe(2);
    const { mark } = t.client.scopes()[0]!;
    await expect(t.del(victim!, { key: `delete:${victim}` })).resolves.toMatchObject({ status: 404, version: '2' });
    expect(deletes()).toBe(3);
    expect(t.client.scopes()[0]).toMatchObject({ token: '2', mark });
    expect(await t.ids()).not.toContain(victim);
    // By bare primary key too, as the demo API allows.
    const pk = victim!.slice(victim!.lastIndexOf('-') + 1);
    await expect(t.del(pk)).resolves.toMatchObject({ status: 404 });
  });

  it('rolls back and reports when the network drops mid-request (offline)', async () => {
    const t = setup();
    const [victim] = await t.ids();
    server.use(
      http.delete(`${API}/api/users/alice/events/:id`, async () => {
        await delay(20);
        return HttpResponse.error();
      }),
    );
    const done = t.del(victim!);
    expect(await t.ids()).not.toContain(victim);
    await expect(done).rejects.toMatchObject({ name: 'MutationError', reason: 'network', status: undefined });
    expect(t.events.map((e) => e.type)).toEqual(['pending', 'rolled-back']);
    expect(t.client.mutate.pending()).toEqual([]);
    expect(await t.ids()).toContain(victim);
  });

  it('rolls back on timeout, even when the request function ignores the signal', async () => {
    const t = setup();
    const [victim] = await t.ids();
    const never = new Promise<Response>(() => undefined);
    const done = t.client.mutate({ scope: SCOPE, request: () => never, optimistic: removeItem(victim!), timeout: 30 });
    expect(await t.ids()).not.toContain(victim);
    await expect(done).rejects.toMatchObject({ name: 'MutationError', reason: 'timeout' });
    expect(await t.ids()).toContain(victim);
  });

  it('learns the version from a request function that bypasses client.fetch', async () => {
    const t = setup();
    const [victim] = await t.ids();
    const result = await t.client.mutate({
      scope: SCOPE,
      request: (signal) => fetch(deleteUrl(victim!), { method: 'DELETE', signal }),
      optimistic: removeItem(victim!),
    });
    expect(result.version).toBe('2');
    expect(t.client.scopes()[0]).toMatchObject({ token: '2', local: false });
    expect(await t.ids()).not.toContain(victim);
  });

  it('sends plain-object bodies as JSON and resolves with the decoded answer', async () => {
    const t = setup();
    await t.ids();
    const created = await t.client.mutate<DemoEvent>({
      scope: SCOPE,
      request: {
        url: `${API}/api/users/alice/events`,
        method: 'POST',
        body: { title: 'Added', start: '2024-05-20', allDay: true, kind: 'staff-task' },
      },
      optimistic: insertItem({ id: 'tmp-1', title: 'Added', start: '2024-05-20', allDay: true, kind: 'staff-task' }),
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({ title: 'Added', kind: 'staff-task' });
    const titles = (await t.client.get<DemoEvent[]>(FEED)).map((e) => e.title);
    expect(titles.filter((title) => title === 'Added')).toHaveLength(1);
  });
});

describe('version tokens', () => {
  /** A tiny list API whose version tokens the test chooses. */
  function tokens(next: () => string | undefined) {
    const state = { items: [{ id: 'a' }, { id: 'b' }], token: 'opaque-1' as string | undefined };
    server.use(
      http.get(`${API}/items`, () => {
        const headers: Record<string, string> = { 'Cache-Control': 'no-cache' };
        if (state.token !== undefined) headers['X-Cache-Version'] = state.token;
        return HttpResponse.json(state.items, { headers });
      }),
      http.delete(`${API}/items/:id`, ({ params }) => {
        state.items = state.items.filter((item) => item.id !== params.id);
        state.token = next();
        return new HttpResponse(null, { status: 204, headers: state.token === undefined ? {} : { 'X-Cache-Version': state.token } });
      }),
    );
    const { client } = makeClient({ routes: [{ match: '/items*', scope: 'items' }] });
    const withMutate = withMutations(client);
    const remove = (id: string) =>
      withMutate.mutate({ scope: 'items', request: { url: `${API}/items/${id}`, method: 'DELETE' }, optimistic: removeItem(id) });
    const ids = async () => (await client.get<{ id: string }[]>('/items')).map((item) => item.id);
    return { client, remove, ids };
  }

  it('adopts a new opaque token', async () => {
    const t = tokens(() => 'opaque-2');
    await t.ids();
    await t.remove('a');
    expect(t.client.scopes()[0]).toMatchObject({ token: 'opaque-2', local: false });
    expect(await t.ids()).toEqual(['b']);
  });

  it('bumps the scope locally when the server sends the same token, or none', async () => {
    for (const next of [() => 'opaque-1', () => undefined]) {
      const t = tokens(next);
      await t.ids();
      const { mark } = t.client.scopes()[0]!;
      await t.remove('a');
      expect(t.client.scopes()[0]).toMatchObject({ local: true });
      expect(t.client.scopes()[0]!.mark).not.toBe(mark);
      expect(await t.ids()).toEqual(['b']);
    }
  });

  it('compares numeric tokens as numbers (9 → 10 is a move forward)', async () => {
    let n = 9;
    const t = tokens(() => String(++n));
    await t.ids();
    await t.remove('a');
    await t.remove('b');
    expect(t.client.scopes()[0]).toMatchObject({ token: '11', local: false });
  });
});

describe('property: interleaved deletes', () => {
  it('any interleaving of N deletes with random outcomes ends with exactly the failed ones visible', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.record({
            outcomes: fc.array(fc.constantFrom('ok', 'http', 'network', 'gone'), { minLength: n, maxLength: n }),
            order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
            readBetween: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
          }),
        ),
        async ({ outcomes, order, readBetween }) => {
          const n = outcomes.length;
          const state = { version: 1, items: Array.from({ length: 8 }, (_, i) => ({ id: `item-${i}` })) };
          const gates = outcomes.map(() => gate());
          server.resetHandlers(
            http.get(`${API}/list`, () =>
              HttpResponse.json(
                { items: state.items },
                { headers: { 'Cache-Control': 'no-cache', 'X-Cache-Version': String(state.version) } },
              ),
            ),
            http.delete(`${API}/list/:i`, async ({ params }) => {
              const i = Number(params.i);
              await gates[i]!.opened;
              const outcome = outcomes[i]!;
              if (outcome === 'http') return HttpResponse.json({}, { status: 500 });
              if (outcome === 'network') return HttpResponse.error();
              // 'gone': someone else deleted it first; the server answers 404 at its current version.
              const before = state.items.length;
              state.items = state.items.filter((item) => item.id !== `item-${i}`);
              if (state.items.length !== before) state.version++;
              const status = outcome === 'gone' ? 404 : 204;
              return new HttpResponse(null, { status, headers: { 'X-Cache-Version': String(state.version) } });
            }),
          );
          const { client: base } = makeClient({ routes: [{ match: '/list*', scope: 'list' }] });
          const client = withMutations(base);
          const visible = async () => (await client.get<{ items: { id: string }[] }>('/list')).items.map((item) => item.id);
          expect(await visible()).toHaveLength(8);
          // 'gone' items disappear on the server before their delete arrives.
          for (let i = 0; i < n; i++) {
            if (outcomes[i] !== 'gone') continue;
            state.items = state.items.filter((item) => item.id !== `item-${i}`);
            state.version++;
          }

          const settled: ('ok' | 'failed' | undefined)[] = outcomes.map(() => undefined);
          const done = outcomes.map((_, i) =>
            client
              .mutate({ scope: 'list', request: { url: `${API}/list/${i}`, method: 'DELETE' }, optimistic: removeItem(`item-${i}`) })
              .then(
                () => void (settled[i] = 'ok'),
                (error: unknown) => {
                  expect(error).toBeInstanceOf(MutationError);
                  settled[i] = 'failed';
                },
              ),
          );
          const victims = outcomes.map((_, i) => `item-${i}`);
          expect((await visible()).filter((id) => victims.includes(id))).toEqual([]);
          for (const [step, i] of order.entries()) {
            gates[i]!.open();
            await done[i];
            if (!readBetween[step]) continue;
            const shown = await visible();
            for (let j = 0; j < n; j++) expect(shown.includes(`item-${j}`), `item-${j} after step ${step}`).toBe(settled[j] === 'failed');
          }
          await Promise.all(done);
          const failed = victims.filter((_, i) => outcomes[i] === 'http' || outcomes[i] === 'network');
          expect((await visible()).filter((id) => victims.includes(id))).toEqual(failed);
          expect(client.mutate.pending()).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('list helpers', () => {
  const list = [
    { id: 'work-item-42', title: 'a' },
    { id: 'staff-task-7', title: 'b' },
    { id: 3, title: 'c' },
  ];

  it('sameId matches equal ids and bare keys against prefixed ones, never two prefixes', () => {
    expect(sameId('42', 'work-item-42')).toBe(true);
    expect(sameId('work-item-42', 42)).toBe(true);
    expect(sameId(3, '3')).toBe(true);
    expect(sameId('142', 'work-item-42')).toBe(false);
    expect(sameId('work-item-42', 'staff-task-42')).toBe(false);
    expect(sameId('', 'work-item-')).toBe(false);
    expect(sameId(undefined, undefined)).toBe(false);
  });

  it('remove, update and insert work on arrays and on objects holding one, without mutating', () => {
    const frozen = Object.freeze(list.map((item) => Object.freeze(item)));
    expect(removeItem('42')(frozen, '')).toEqual([list[1], list[2]]);
    expect(removeItem('nope')(frozen, '')).toBe(frozen);
    expect(updateItem('7', { title: 'B' })(frozen, '')).toEqual([list[0], { id: 'staff-task-7', title: 'B' }, list[2]]);
    expect(
      updateItem<{ id: number; title: string }>(3, (item) => ({ ...item, title: item.title.toUpperCase() }))(frozen, ''),
    ).toMatchObject([{}, {}, { title: 'C' }]);
    expect(insertItem({ id: 'x' }, { at: 'start' })(frozen, '')).toEqual([{ id: 'x' }, ...list]);
    expect(insertItem({ id: 'work-item-42' })(frozen, '')).toBe(frozen);
    const wrapped = Object.freeze({ total: 3, events: frozen });
    expect(removeItem('42', { key: 'events' })(wrapped, '')).toEqual({ total: 3, events: [list[1], list[2]] });
    expect(removeItem('42')({ items: frozen }, '')).toEqual({ items: [list[1], list[2]] });
    // Other endpoints of the scope are left alone.
    expect(removeItem('42')({ version: 3 }, '')).toEqual({ version: 3 });
    expect(removeItem('42')('text', '')).toBe('text');
  });

  it('takes a custom id and matcher', () => {
    const rows = [{ pk: 1 }, { pk: 2 }];
    expect(removeItem(2, { idOf: (row) => (row as { pk: number }).pk, sameId: (a, b) => a === b })(rows, '')).toEqual([{ pk: 1 }]);
  });
});
