import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { StaleVersionError, type Route } from '../../src/index.js';
import { API, gate, makeClient, useServer } from './support/harness.js';

const server = useServer();

const routes: Route[] = [
  { match: '/users/:user/events*', scope: 'calendar:{user}', versionUrl: '/users/{user}/version' },
  { match: '/users/:user/profile', scope: 'profile:{user}' },
];

/** A per-user backend: a version counter and a month feed that says which version produced it. */
function backend(options: { cacheControl?: string } = {}) {
  const state = { version: 1, feedCalls: 0, versionCalls: 0, conditional: 0 };
  server.use(
    http.get(`${API}/users/:user/events`, ({ request }) => {
      state.feedCalls++;
      const etag = `"${state.version}-${new URL(request.url).search}"`;
      const headers = { 'Cache-Control': options.cacheControl ?? 'max-age=300', 'X-Cache-Version': String(state.version), ETag: etag };
      if (request.headers.get('if-none-match')) {
        state.conditional++;
        if (request.headers.get('if-none-match') === etag) return new HttpResponse(null, { status: 304, headers });
      }
      return HttpResponse.json({ version: state.version, url: request.url }, { headers });
    }),
    http.get(`${API}/users/:user/version`, () => {
      state.versionCalls++;
      return HttpResponse.json({ version: String(state.version) }, { headers: { 'Cache-Control': 'no-store' } });
    }),
    http.post(`${API}/users/:user/events`, () => {
      state.version++;
      return HttpResponse.json({ ok: true }, { status: 201, headers: { 'X-Cache-Version': String(state.version) } });
    }),
  );
  return state;
}

const months = ['2026-10', '2026-11', '2026-12'].map((m) => `/users/alice/events?month=${m}`);

describe('scopes and version tokens', () => {
  it('a new token in any response makes every older entry of the scope stale at once', async () => {
    const api = backend();
    const { client } = makeClient({ routes });
    for (const url of months) await client.get(url);
    api.version = 2;
    // One response carries the new token (e.g. a month not seen yet)...
    await client.get('/users/alice/events?month=2027-01');
    // ...and every month fetched under version 1 is refetched, not served.
    const again = (await Promise.all(months.map((url) => client.get(url)))) as { version: number }[];
    expect(again.map((r) => r.version)).toEqual([2, 2, 2]);
    expect(client.scopes()).toEqual([expect.objectContaining({ scope: 'calendar:alice', token: '2' })]);
  });

  it('a mutation answer with the version header moves the scope on', async () => {
    const api = backend();
    const { client } = makeClient({ routes });
    await client.get(months[0]!);
    await client.fetch(`${API}/users/alice/events`, { method: 'POST', body: '{}' });
    expect(api.version).toBe(2);
    expect(await client.get(months[0]!)).toMatchObject({ version: 2 });
  });

  it('setVersion and invalidate({ scope }) make the scope stale, and leave other scopes alone', async () => {
    backend();
    let profile = 0;
    server.use(
      http.get(`${API}/users/:user/profile`, () =>
        HttpResponse.json({ profile: ++profile }, { headers: { 'Cache-Control': 'max-age=300' } }),
      ),
    );
    const { client, requests } = makeClient({ routes });
    await client.get(months[0]!);
    await client.get('/users/alice/profile');
    expect(client.setVersion('calendar:alice', '7')).toBe(true);
    expect(client.setVersion('calendar:alice', '3')).toBe(false);
    const before = requests.length;
    await client.get('/users/alice/profile');
    expect(requests.length).toBe(before);
    await client.invalidate({ scope: 'profile:*' });
    expect(await client.get('/users/alice/profile')).toEqual({ profile: 2 });
  });

  it('numeric tokens never go backwards: an older token in a response is neither adopted nor stored', async () => {
    const api = backend();
    // No version endpoint: a lower token one confirms twice is a counter reset (servers.versions.test.ts).
    // Short backoffs: the retries of the lagging read are not what this test is about.
    const { client } = makeClient({ routes: [{ match: '/users/:user/events*', scope: 'calendar:{user}' }], retry: { delay: 1 } });
    api.version = 5;
    await client.get(months[0]!);
    api.version = 4; // a lagging replica
    await expect(client.get(months[1]!)).rejects.toBeInstanceOf(StaleVersionError);
    expect(client.scopes()[0]!.token).toBe('5');
    expect(await client.get(months[0]!)).toMatchObject({ version: 5 });
  });

  it('numeric tokens compare as numbers, not strings', async () => {
    const api = backend();
    const { client } = makeClient({ routes });
    api.version = 9;
    await client.get(months[0]!);
    api.version = 10;
    expect(await client.get(months[1]!)).toMatchObject({ version: 10 });
    expect(client.scopes()[0]!.token).toBe('10');
  });

  it('a late response sent before a newer token was learned is not stored and not served: it is fetched again', async () => {
    const hold = gate();
    const state = { version: 1, calls: 0 };
    server.use(
      http.get(`${API}/users/alice/events`, async ({ request }) => {
        const version = state.version; // the version this request is answered from
        state.calls++;
        if (new URL(request.url).searchParams.get('slow') && state.calls === 1) await hold.opened;
        return HttpResponse.json({ version }, { headers: { 'X-Cache-Version': `v${version}`, 'Cache-Control': 'max-age=300' } });
      }),
    );
    const { client, events } = makeClient({ routes });
    const slow = client.get('/users/alice/events?slow=1');
    await new Promise((r) => setTimeout(r, 10));
    state.version = 2;
    expect(await client.get('/users/alice/events?fast=1')).toEqual({ version: 2 });
    hold.open();
    // Opaque tokens: "v1" differs from "v2" and was sent before "v2" was known, so it is late.
    expect(await slow).toEqual({ version: 2 });
    expect(client.scopes()[0]!.token).toBe('v2');
    // Said, so a panel can tell "answer arrived late: discarded" from nothing happening.
    expect(events.filter((e) => e.type === 'late')).toEqual([
      { type: 'late', url: `${API}/users/alice/events?slow=1`, scope: 'calendar:alice', version: 'v1', retried: true },
    ]);
  });

  it('an answer in flight during a local invalidation is fetched again rather than served', async () => {
    const hold = gate();
    let calls = 0;
    server.use(
      http.get(`${API}/users/alice/events`, async () => {
        calls++;
        if (calls === 1) await hold.opened;
        return HttpResponse.json({ calls }, { headers: { 'X-Cache-Version': '1', 'Cache-Control': 'max-age=300' } });
      }),
    );
    const { client } = makeClient({ routes });
    const pending = client.get(months[0]!);
    await new Promise((r) => setTimeout(r, 10));
    await client.invalidate({ scope: 'calendar:alice' });
    hold.open();
    expect(await pending).toEqual({ calls: 2 });
  });

  it('revalidates a whole scope of expired entries with one version check instead of one request each', async () => {
    const api = backend({ cacheControl: 'max-age=10' });
    const { client, tick } = makeClient({ routes });
    const urls = Array.from({ length: 20 }, (_, i) => `/users/alice/events?page=${i}`);
    await Promise.all(urls.map((u) => client.get(u)));
    tick(11_000);
    const feedBefore = api.feedCalls;
    await Promise.all(urls.map((u) => client.get(u)));
    expect(api.versionCalls).toBe(1);
    expect(api.feedCalls).toBe(feedBefore);
    // The check refreshed every entry: nothing more is asked until they expire again.
    await Promise.all(urls.map((u) => client.get(u)));
    expect(api.versionCalls).toBe(1);
  });

  it('no-cache entries revalidate through the version endpoint on each reuse; a changed version refetches unconditionally', async () => {
    const api = backend({ cacheControl: 'private, no-cache' });
    const { client, events } = makeClient({ routes });
    await client.get(months[0]!);
    await client.get(months[0]!);
    expect(api.versionCalls).toBe(1);
    expect(api.feedCalls).toBe(1);
    api.version = 2;
    expect(await client.get(months[0]!)).toMatchObject({ version: 2 });
    expect(api.versionCalls).toBe(2);
    // An entry of the older version is no validator: a 304 must not revive it (issue 8, class 5).
    expect(api.conditional).toBe(0);
    expect(events.some((e) => e.type === 'revalidate' && e.via === 'version')).toBe(true);
  });

  it('checkVersion() dedupes concurrent checks of one scope', async () => {
    const api = backend();
    const { client } = makeClient({ routes });
    await client.get(months[0]!);
    const results = await Promise.all([client.checkVersion('calendar:alice'), client.checkVersion('calendar:alice')]);
    expect(api.versionCalls).toBe(1);
    expect(results).toEqual([true, true]);
    await expect(client.checkVersion('nowhere')).rejects.toThrow(/versionUrl/);
  });

  it('warns once when a scoped response lacks the version header (e.g. not exposed by CORS)', async () => {
    server.use(http.get(`${API}/users/:user/profile`, () => HttpResponse.json({})));
    const { client, events } = makeClient({ routes });
    await client.get('/users/alice/profile');
    await client.get('/users/bob/profile');
    const warnings = events.filter((e) => e.type === 'warning' && e.code === 'missing-version-header');
    expect(warnings).toHaveLength(1);
  });
});

describe('namespaces', () => {
  it('never serves one namespace the entries of another', async () => {
    server.use(
      http.get(`${API}/me`, ({ request }) =>
        HttpResponse.json({ user: request.headers.get('x-user') }, { headers: { 'Cache-Control': 'max-age=300' } }),
      ),
    );
    const { client } = makeClient({ namespace: 'alice' });
    expect(await client.get('/me', { headers: { 'X-User': 'alice' } })).toEqual({ user: 'alice' });
    client.namespace = 'bob';
    expect(await client.get('/me', { headers: { 'X-User': 'bob' } })).toEqual({ user: 'bob' });
    client.namespace = 'alice';
    expect(await client.get('/me', { headers: { 'X-User': 'ignored' } })).toEqual({ user: 'alice' });
  });

  it('clear({ namespace }) drops only that namespace', async () => {
    let n = 0;
    server.use(http.get(`${API}/me`, () => HttpResponse.json({ n: ++n }, { headers: { 'Cache-Control': 'max-age=300' } })));
    const { client } = makeClient({ namespace: 'alice' });
    await client.get('/me');
    client.namespace = 'bob';
    await client.get('/me');
    await client.clear({ namespace: 'alice' });
    expect(await client.get('/me')).toEqual({ n: 2 });
    client.namespace = 'alice';
    expect(await client.get('/me')).toEqual({ n: 3 });
  });
});

describe('the invalidations counter', () => {
  it('counts version changes and drops that removed something, not first tokens or empty drops', async () => {
    const api = backend();
    const { client } = makeClient({ routes });
    await client.get(months[0]!);
    expect(client.stats().invalidations).toBe(0); // learning the first token invalidates nothing
    server.use(http.put(`${API}/nothing-cached`, () => new HttpResponse(null, { status: 204 })));
    await client.fetch(`${API}/nothing-cached`, { method: 'PUT' });
    expect(client.stats().invalidations).toBe(0);
    await client.fetch(`${API}/users/alice/events`, { method: 'POST', body: '{}' });
    expect(api.version).toBe(2);
    expect(client.stats().invalidations).toBe(1);
  });
});
