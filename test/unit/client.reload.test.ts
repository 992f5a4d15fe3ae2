/**
 * Reloads over the same IndexedDB (a new client and store over one database name), with the real
 * idbStore on fake-indexeddb: the Vary index survives (issue 8, class 11) and a logout sticks
 * while a persisted read is in flight (class 3).
 */
import { describe, expect, it } from 'vitest';
import { idbStore, tieredStore } from '../../src/idb.js';
import { type ClientOptions, createClient } from '../../src/index.js';
import { uniqueName } from './support/idb.js';
import { json, origin, settle } from './support/origin.js';

const BASE = 'http://api.test/';

function page(name: string, options: ClientOptions = {}, auto: Parameters<typeof origin>[0] = undefined) {
  const o = origin(auto);
  const idb = idbStore({ name, pruneDelay: false });
  const client = createClient({ baseUrl: BASE, fetch: o.fetch, store: tieredStore(idb), ...options });
  return {
    client,
    requests: o.requests,
    async leave() {
      await idb.flush();
      idb.close();
    },
  };
}

const byLanguage = (r: { headers: Headers }) =>
  json({ lang: r.headers.get('accept-language') }, { vary: 'Accept-Language, Accept-Encoding', 'cache-control': 'max-age=600' });

describe('a reload over the same IndexedDB', () => {
  it('finds the variant a Vary response was stored under, without a request', async () => {
    const name = uniqueName('vary');
    const first = page(name, {}, byLanguage);
    expect(await first.client.get('/v', { headers: { 'Accept-Language': 'fr' } })).toEqual({ lang: 'fr' });
    expect(await first.client.get('/v', { headers: { 'Accept-Language': 'de' } })).toEqual({ lang: 'de' });
    await first.leave();

    const second = page(name, {}, byLanguage);
    expect(await second.client.get('/v', { headers: { 'Accept-Language': 'de' } })).toEqual({ lang: 'de' });
    expect(await second.client.get('/v', { headers: { 'Accept-Language': 'fr' } })).toEqual({ lang: 'fr' });
    expect(second.requests).toHaveLength(0);
    // A variant never stored is still asked for.
    expect(await second.client.get('/v', { headers: { 'Accept-Language': 'it' } })).toEqual({ lang: 'it' });
    expect(second.requests).toHaveLength(1);
    await second.leave();
  });

  it('after clear({ namespace }) a persisted read in flight is not copied back into memory', async () => {
    const name = uniqueName('logout');
    const first = page(name, { namespace: 'alice' }, () => json({ me: 'alice' }, { 'cache-control': 'max-age=600' }));
    await first.client.get('/me');
    await first.leave();

    const second = page(name, { namespace: 'alice' }, () => json({ me: 'again' }, { 'cache-control': 'max-age=600' }));
    await second.client.ready;
    const read = second.client.get('/me');
    const cleared = second.client.clear({ namespace: 'alice' });
    await read.catch(() => undefined);
    await cleared;
    await settle();
    // The old copy ({ me: 'alice' }) is neither in memory nor in IndexedDB: the server answers.
    // The read in flight may have gone to the network too (tieredStore drops a persisted read a
    // clear overtook), so how many requests ran is not the point; what the next read gets is.
    expect(await second.client.get('/me')).toEqual({ me: 'again' });
    expect(second.requests.length).toBeGreaterThan(0);
    await second.leave();
  });
});
