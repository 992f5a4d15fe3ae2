/**
 * `X-Cache-Namespace` (the `namespaceHeader` option): the server names the user an answer was
 * computed for. An answer naming another namespace than the one its request was sent in (a
 * session cookie the tabs share changed first) is never stored, none of its versions is learned,
 * and the read rejects with `NamespaceMismatchError`; a write still drops what it wrote.
 */
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { isNostaleError, NamespaceMismatchError, type Route } from '../../src/index.js';
import { withMutations } from '../../src/mutate.js';
import { API, makeClient, useServer } from './support/harness.js';

const server = useServer();
const routes: Route[] = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}' }];

/** Alice's feed, answered as whoever `owner.value` says (the header left out when undefined). */
function feed(owner: { value: string | undefined }, headerName = 'X-Cache-Namespace') {
  server.use(
    http.get(`${API}/api/users/alice/events`, () =>
      HttpResponse.json(
        { owner: owner.value },
        {
          headers: {
            'Cache-Control': 'max-age=60',
            'X-Cache-Version': '7',
            ...(owner.value === undefined ? {} : { [headerName]: owner.value }),
          },
        },
      ),
    ),
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('resolved'),
    (error: unknown) => error,
  );
}

describe('X-Cache-Namespace: whose answer it is', () => {
  it("another user's answer rejects with NamespaceMismatchError, is not stored, and teaches no version", async () => {
    feed({ value: 'bob' });
    const { client, events } = makeClient({ namespace: 'alice', routes });
    const error = await rejection(client.get('/api/users/alice/events'));
    expect(error).toBeInstanceOf(NamespaceMismatchError);
    expect(isNostaleError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'NamespaceMismatchError',
      expected: 'alice',
      received: 'bob',
      url: `${API}/api/users/alice/events`,
    });
    expect(client.peek('/api/users/alice/events', { cache: 'force-cache' })).toBeUndefined();
    expect(events.filter((e) => e.type === 'store')).toEqual([]);
    expect(client.scopes().find((s) => s.scope === 'calendar:alice')?.token).toBeUndefined();
    expect(events).toContainEqual(expect.objectContaining({ type: 'error', error }));
    expect(client.stats().errors).toBe(1);
  });

  it("alice's own answer, and one that names nobody, are stored as before", async () => {
    const owner: { value: string | undefined } = { value: 'alice' };
    feed(owner);
    const { client, tick } = makeClient({ namespace: 'alice', routes });
    expect(await client.get('/api/users/alice/events')).toEqual({ owner: 'alice' });
    expect(client.peek('/api/users/alice/events')?.data).toEqual({ owner: 'alice' });
    expect(client.scopes().find((s) => s.scope === 'calendar:alice')?.token).toBe('7');
    owner.value = undefined;
    tick(61_000);
    expect(await client.get('/api/users/alice/events')).toEqual({});
    expect(client.peek('/api/users/alice/events')?.data).toEqual({});
  });

  it("a stale copy of alice's is neither replaced nor served in place of bob's answer", async () => {
    const owner: { value: string | undefined } = { value: 'alice' };
    server.use(
      http.get(`${API}/api/users/alice/events`, () =>
        HttpResponse.json(
          { owner: owner.value },
          { headers: { 'Cache-Control': 'max-age=1, stale-if-error=3600', 'X-Cache-Namespace': owner.value ?? '' } },
        ),
      ),
    );
    const { client, tick } = makeClient({ namespace: 'alice' });
    await client.get('/api/users/alice/events');
    owner.value = 'bob';
    tick(5_000);
    expect(await rejection(client.get('/api/users/alice/events'))).toBeInstanceOf(NamespaceMismatchError);
    expect(client.peek('/api/users/alice/events', { cache: 'force-cache' })?.data).toEqual({ owner: 'alice' });
  });

  it('the value is percent-encoded UTF-8: odd ids match however the server encoded them', async () => {
    const id = "o'brien (ä, 1)";
    for (const sent of [encodeURIComponent(id), 'o%27brien%20%28%C3%A4%2C%201%29', "o'brien%20(%c3%a4%2c%201)"]) {
      feed({ value: sent });
      const { client } = makeClient({ namespace: id });
      expect(await client.get('/api/users/alice/events')).toEqual({ owner: sent });
    }
  });

  it('two values, a value that does not decode, and an anonymous answer to a user are mismatches', async () => {
    for (const [namespace, sent, received] of [
      ['alice', 'alice, bob', 'alice, bob'],
      ['alice', '%E0%A4%A', '%E0%A4%A'],
      ['alice', '', ''],
      ['', 'bob', 'bob'],
    ] as const) {
      feed({ value: sent });
      const { client } = makeClient({ namespace });
      expect(await rejection(client.get('/api/users/alice/events'))).toMatchObject({ expected: namespace, received });
    }
    feed({ value: '' });
    const anonymous = makeClient({ namespace: '' });
    expect(await anonymous.client.get('/api/users/alice/events')).toEqual({ owner: '' });
  });

  it('namespaceHeader names another header, matched case-insensitively', async () => {
    feed({ value: 'bob' }, 'X-User');
    const renamed = makeClient({ namespace: 'alice', namespaceHeader: 'X-USER' });
    expect(await rejection(renamed.client.get('/api/users/alice/events'))).toBeInstanceOf(NamespaceMismatchError);
    const unrenamed = makeClient({ namespace: 'alice' });
    expect(await unrenamed.client.get('/api/users/alice/events')).toEqual({ owner: 'bob' });
  });

  it("a write answered for bob drops alice's copy, learns none of its versions, and rejects", async () => {
    feed({ value: 'alice' });
    server.use(
      http.post(
        `${API}/api/users/alice/events`,
        () =>
          new HttpResponse(null, {
            status: 201,
            headers: { 'X-Cache-Namespace': 'bob', 'X-Cache-Version': '9', 'X-Cache-Versions': 'calendar%3Aalice=9, tasks%3Abob=4' },
          }),
      ),
    );
    const { client } = makeClient({ namespace: 'alice', routes });
    await client.get('/api/users/alice/events');
    const error = await rejection(client.fetch('/api/users/alice/events', { method: 'POST', body: '{}' }));
    expect(error).toMatchObject({ name: 'NamespaceMismatchError', expected: 'alice', received: 'bob' });
    expect(client.peek('/api/users/alice/events', { cache: 'force-cache' })).toBeUndefined();
    expect(client.scopes().map((s) => [s.scope, s.token])).toEqual([['calendar:alice', '7']]);
  });

  it("nostale/mutate rolls back a mutation answered as bob (reason 'namespace'), learning none of its tokens", async () => {
    feed({ value: 'alice' });
    server.use(
      http.delete(
        `${API}/api/users/alice/events/1`,
        () => new HttpResponse(null, { status: 204, headers: { 'X-Cache-Namespace': 'bob', 'X-Cache-Version': '9' } }),
      ),
    );
    const { client } = makeClient({ namespace: 'alice', routes });
    const mutations = withMutations(client);
    await client.get('/api/users/alice/events');
    const error = await rejection(
      mutations.mutate({ scope: 'calendar:alice', request: { url: '/api/users/alice/events/1', method: 'DELETE' }, optimistic: () => [] }),
    );
    expect(error).toMatchObject({ name: 'MutationError', reason: 'namespace' });
    expect((error as Error).cause).toBeInstanceOf(NamespaceMismatchError);
    expect(client.scopes().find((s) => s.scope === 'calendar:alice')?.token).toBe('7');
  });
});
