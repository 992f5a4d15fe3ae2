import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVersioning, redisVersionStore } from '../../src/server.js';
import { ADAPTERS, startApp, type RunningApp } from './support/apps.js';
import { eventsDb } from './support/eventsDb.js';
import { startRedis, type RedisServer } from './support/redisServer.js';
import { tcpProxy } from './support/tcpProxy.js';

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

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.each(ADAPTERS)('a write committed while the %s app was cut off from Redis', (adapter) => {
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let versions: Redis;
  let app: RunningApp;
  beforeAll(async () => {
    proxy = await tcpProxy(redis.port);
    versions = new Redis({
      port: proxy.port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 20,
    });
    versions.on('error', () => undefined); // the partition's connection errors are the point
    await until(() => versions.status === 'ready');
    app = await startApp(adapter, createVersioning({ store: redisVersionStore(versions), build: 'b', log: () => {} }), eventsDb(data));
  });
  afterAll(async () => {
    await app?.close();
    versions?.disconnect();
    await proxy?.close();
  });

  it('is never hidden behind a 304 once Redis is reachable again', async () => {
    const user = `partition-${adapter}`;
    const feed = `${app.url}/api/users/${user}/events`;
    const before = await fetch(feed);
    const etag = before.headers.get('etag')!;
    const oldVersion = before.headers.get('x-cache-version')!;

    proxy.cut();
    await until(() => versions.status !== 'ready');
    const created = await fetch(feed, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"title":"written during the partition"}',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-cache-version')).toBeNull();

    proxy.restore();
    await until(() => versions.status === 'ready');
    // Redis kept the old version; the write's bump never reached it. The old tag must not validate.
    const after = await fetch(feed, { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(BigInt(after.headers.get('x-cache-version')!)).toBeGreaterThan(BigInt(oldVersion));
    expect(await after.json()).toContainEqual(expect.objectContaining({ title: 'written during the partition' }));
    const endpoint = (await (await fetch(`${app.url}/api/users/${user}/version`)).json()) as { version: string };
    expect(endpoint.version).toBe(after.headers.get('x-cache-version'));
  });
});
