import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVersioning, parseVersionList, redisVersionStore, type Versioning, type VersionStore } from '../../src/server.js';
import { ADAPTERS, startApp, type RunningApp } from './support/apps.js';
import { eventsDb } from './support/eventsDb.js';
import { startRedis, type RedisServer } from './support/redisServer.js';

let redis: RedisServer;
let data: Redis;
beforeAll(async () => {
  redis = await startRedis();
  data = new Redis(redis.url);
});
afterAll(async () => {
  data?.disconnect();
  await redis?.stop();
});

const FEED_CACHE_CONTROL = 'private, no-cache, stale-if-error=86400';
const exposed = (response: Response) => (response.headers.get('access-control-expose-headers') ?? '').split(/,\s*/);

describe.each(ADAPTERS)('the %s adapter speaks the protocol', (adapter) => {
  let app: RunningApp;
  let deployed: RunningApp;
  const user = `u-${adapter}`;
  const feed = () => `${app.url}/api/users/${user}/events?start=2026-01-01`;
  const version = async (who = user) =>
    ((await (await fetch(`${app.url}/api/users/${who}/version`)).json()) as { version: string }).version;

  beforeAll(async () => {
    const store = redisVersionStore(data);
    app = await startApp(adapter, createVersioning({ store, build: 'build-1' }), eventsDb(data));
    deployed = await startApp(adapter, createVersioning({ store, build: 'build-2' }), eventsDb(data));
  });
  afterAll(async () => {
    await app?.close();
    await deployed?.close();
  });

  it('stamps a feed with a weak ETag, the version and private, no-cache', async () => {
    const response = await fetch(feed());
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toMatch(/^W\/"\d+-[0-9a-f]{24}"$/);
    expect(response.headers.get('x-cache-version')).toBe(await version());
    expect(response.headers.get('cache-control')).toBe(FEED_CACHE_CONTROL);
    expect(exposed(response)).toEqual(expect.arrayContaining(['ETag', 'X-Cache-Version', 'X-Cache-Versions']));
  });

  it('answers 304 with the version header before the handler runs, even to Cache-Control: no-cache', async () => {
    const first = await fetch(feed());
    const etag = first.headers.get('etag')!;
    const calls = app.feedCalls();
    const again = await fetch(feed(), { headers: { 'If-None-Match': etag, 'Cache-Control': 'no-cache', Pragma: 'no-cache' } });
    expect(again.status).toBe(304);
    expect(app.feedCalls()).toBe(calls);
    expect(again.headers.get('x-cache-version')).toBe(first.headers.get('x-cache-version'));
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.headers.get('cache-control')).toBe(FEED_CACHE_CONTROL);
    expect(exposed(again)).toContain('X-Cache-Version');
    // The strong form of the same tag and a list containing it match too (weak comparison).
    const listed = await fetch(feed(), { headers: { 'If-None-Match': `"other", ${etag.slice(2)}` } });
    expect(listed.status).toBe(304);
  });

  it('gives another build, query, Accept or Accept-Language another ETag', async () => {
    const base = await fetch(feed(), { headers: { Accept: 'application/json', 'Accept-Language': 'en' } });
    const etag = base.headers.get('etag')!;
    const variants = await Promise.all([
      fetch(`${deployed.url}/api/users/${user}/events?start=2026-01-01`, {
        headers: { Accept: 'application/json', 'Accept-Language': 'en', 'If-None-Match': etag },
      }),
      fetch(`${feed()}&end=2026-02-01`, { headers: { Accept: 'application/json', 'Accept-Language': 'en', 'If-None-Match': etag } }),
      fetch(feed(), { headers: { Accept: 'text/csv', 'Accept-Language': 'en', 'If-None-Match': etag } }),
      fetch(feed(), { headers: { Accept: 'application/json', 'Accept-Language': 'de', 'If-None-Match': etag } }),
    ]);
    for (const response of variants) {
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).not.toBe(etag);
    }
  });

  it('serves the version endpoint as JSON, no-store', async () => {
    const response = await fetch(`${app.url}/api/users/${user}/version`);
    const body = (await response.json()) as { version: unknown };
    expect(body.version).toMatch(/^\d+$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-cache-version')).toBe(body.version);
  });

  it('bumps on a successful write, after it, and puts the new token on the response', async () => {
    const before = await fetch(feed());
    const created = await fetch(`${app.url}/api/users/${user}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'standup' }),
    });
    expect(created.status).toBe(201);
    const token = created.headers.get('x-cache-version')!;
    expect(BigInt(token)).toBeGreaterThan(BigInt(before.headers.get('x-cache-version')!));
    expect(created.headers.get('cache-control')).toBe('no-store');
    expect(await version()).toBe(token);
    const after = await fetch(feed(), { headers: { 'If-None-Match': before.headers.get('etag')! } });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-cache-version')).toBe(token);
    expect(await after.json()).toContainEqual(expect.objectContaining({ title: 'standup' }));
  });

  it('does not bump for a failed write, and still tells the current version', async () => {
    const current = await version();
    const missing = await fetch(`${app.url}/api/users/${user}/events/no-such-id`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-cache-version')).toBe(current);
    const invalid = await fetch(`${app.url}/api/users/${user}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(invalid.status).toBe(400);
    expect(await version()).toBe(current);
  });

  it('lists every scope a write moved in X-Cache-Versions, the URL’s own scope first', async () => {
    const created = (await (
      await fetch(`${app.url}/api/users/${user}/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title: 'shared' }),
      })
    ).json()) as { id: string };
    const other = `${user}-colleague`;
    const copied = await fetch(`${app.url}/api/users/${user}/events/${created.id}/copy-to/${other}`, { method: 'POST' });
    expect(copied.status).toBe(201);
    const list = parseVersionList(copied.headers.get('x-cache-versions')!);
    expect([...list.keys()]).toEqual([`calendar:${user}`, `calendar:${other}`]);
    expect(list.get(`calendar:${user}`)).toBe(await version());
    expect(list.get(`calendar:${other}`)).toBe(await version(other));
    expect(copied.headers.get('x-cache-version')).toBe(list.get(`calendar:${user}`));
  });
});

describe.each(ADAPTERS)('the %s adapter with its version store down', (adapter) => {
  let app: RunningApp;
  let hanging: RunningApp;
  const logged: string[] = [];
  const user = `down-${adapter}`;
  let deadRedis: Redis;

  beforeAll(async () => {
    const gone = await startRedis();
    deadRedis = new Redis(gone.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    await gone.stop();
    const log = (message: string) => void logged.push(message);
    app = await startApp(adapter, createVersioning({ store: redisVersionStore(deadRedis), build: 'b', log }), eventsDb(data));
    const never: VersionStore = { read: () => new Promise(() => {}), bump: () => new Promise(() => {}) };
    hanging = await startApp(adapter, createVersioning({ store: never, build: 'b', log, storeTimeout: 50 }), eventsDb(data));
  });
  afterAll(async () => {
    deadRedis?.disconnect();
    await app?.close();
    await hanging?.close();
  });

  it.each(['down', 'hanging'] as const)('serves reads no-store, without ETag or version, when the store is %s', async (which) => {
    const base = which === 'down' ? app.url : hanging.url;
    const before = logged.length;
    const response = await fetch(`${base}/api/users/${user}/events`, { headers: { 'If-None-Match': '*' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expect.any(Array));
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('x-cache-version')).toBeNull();
    expect(logged.length).toBeGreaterThan(before);
  });

  it.each(['down', 'hanging'] as const)(
    'answers a committed write with its 2xx and no version header when the store is %s',
    async (which) => {
      const base = which === 'down' ? app.url : hanging.url;
      const title = `written while ${which}`;
      const created = await fetch(`${base}/api/users/${user}/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ title }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-cache-version')).toBeNull();
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect(await eventsDb(data).list(user)).toContainEqual(expect.objectContaining({ title }));
      expect(logged.some((line) => line.includes('Bumping the version'))).toBe(true);
    },
  );

  it('answers the version endpoint 503, no-store', async () => {
    const response = await fetch(`${app.url}/api/users/${user}/version`);
    expect(response.status).toBe(503);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });
});

describe('createVersioning', () => {
  it('refuses to run without a build id or a store', async () => {
    const { ConfigurationError, memoryVersionStore } = await import('../../src/server.js');
    expect(() => createVersioning({ store: memoryVersionStore(), build: '' })).toThrow(ConfigurationError);
    expect(() => createVersioning({ store: undefined as unknown as VersionStore, build: 'b' })).toThrow(/store/);
  });

  it('rejects touch() with VersionStoreError so a background job knows its bump failed', async () => {
    const { VersionStoreError } = await import('../../src/server.js');
    const failing: Versioning = createVersioning({
      store: { read: () => Promise.reject(new Error('boom')), bump: () => Promise.reject(new Error('boom')) },
      build: 'b',
      storeTimeout: 50,
      log: () => {},
    });
    await expect(failing.touch('calendar:x')).rejects.toThrow(Error);
    const never = createVersioning({
      store: { read: () => new Promise(() => {}), bump: () => new Promise(() => {}) },
      build: 'b',
      storeTimeout: 20,
    });
    await expect(never.touch('calendar:x')).rejects.toBeInstanceOf(VersionStoreError);
  });
});
