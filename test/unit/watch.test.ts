/**
 * `watch` / `observe` (`nostale/watch`): a watcher reads only when the cache holds nothing current
 * for its URL. Requests are counted as the server sees them (msw).
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { type WatchState, watch } from '../../src/watch.js';
import { API, makeClient, useServer } from './support/harness.js';

const server = useServer();
const routes = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }];
const EVENTS = `${API}/api/users/alice/events`;
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/** A feed of events whose DELETE bumps the version; `gets` counts the feed's GETs. */
function backend(cacheControl = 'max-age=60') {
  const state = { version: 1, items: [1, 2, 3], gets: 0 };
  server.use(
    http.get(EVENTS, () => {
      state.gets++;
      return HttpResponse.json(state.items, { headers: { 'x-cache-version': String(state.version), 'cache-control': cacheControl } });
    }),
    http.delete(`${EVENTS}/:id`, ({ params }) => {
      state.items = state.items.filter((id) => id !== Number(params.id));
      state.version++;
      return new HttpResponse(null, { status: 204, headers: { 'x-cache-version': String(state.version) } });
    }),
  );
  return state;
}

function watching(cacheControl?: string) {
  const state = backend(cacheControl);
  const { client } = makeClient({ routes });
  const seen: WatchState<number[]>[] = [];
  const stop = watch<number[]>(client, EVENTS, (s) => seen.push(s));
  return { state, client, seen, stop, last: () => seen.at(-1)! };
}

describe('watch', () => {
  it('one request on start, none after its own answer', async () => {
    const { state, last, stop } = watching();
    await settle();
    expect(state.gets).toBe(1);
    expect(last()).toMatchObject({ data: [1, 2, 3], isLoading: false, isValidating: false, source: 'network' });
    await settle();
    expect(state.gets).toBe(1);
    stop();
  });

  it('an optimistic overlay re-renders without a request; removing it too', async () => {
    const { state, client, last, stop } = watching();
    await settle();
    const remove = client.overlay('calendar:alice', (data) => (data as number[]).filter((id) => id !== 2));
    await settle();
    expect(last().data).toEqual([1, 3]);
    remove();
    await settle();
    expect(last().data).toEqual([1, 2, 3]);
    expect(state.gets).toBe(1);
    stop();
  });

  it('exactly one request after a version-bumping DELETE through client.fetch', async () => {
    const { state, client, last, stop } = watching();
    await settle();
    await client.fetch(`${EVENTS}/2`, { method: 'DELETE' });
    await settle();
    expect(state.gets).toBe(2);
    expect(last().data).toEqual([1, 3]);
    await settle();
    expect(state.gets).toBe(2);
    stop();
  });

  it('exactly one request after clear() and after a namespace switch', async () => {
    const { state, client, stop } = watching();
    await settle();
    await client.clear();
    await settle();
    expect(state.gets).toBe(2);
    client.namespace = 'bob';
    await settle();
    expect(state.gets).toBe(3);
    stop();
  });

  it('a no-cache feed (what createVersioning sends) costs one request per change, not a loop', async () => {
    const { state, client, last, stop } = watching('private, no-cache');
    await settle();
    expect(state.gets).toBe(1);
    await client.fetch(`${EVENTS}/3`, { method: 'DELETE' });
    await settle();
    expect(state.gets).toBe(2);
    expect(last().data).toEqual([1, 2]);
    stop();
  });

  it('unsubscribe stops it', async () => {
    const { state, client, seen, stop } = watching();
    await settle();
    stop();
    const before = seen.length;
    await client.fetch(`${EVENTS}/1`, { method: 'DELETE' });
    await client.clear();
    await settle();
    expect(state.gets).toBe(1);
    expect(seen).toHaveLength(before);
  });
});
