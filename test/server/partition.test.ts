import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, type RunningApp } from './support/apps.js';
import { startRedis, type RedisServer } from './support/redisServer.js';
import { appOverCuttableRedis } from './support/cutRedis.js';

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

describe.each(ADAPTERS)('a write committed while the %s app was cut off from Redis', (adapter) => {
  let redisLink: Awaited<ReturnType<typeof appOverCuttableRedis>>;
  let app: RunningApp;
  beforeAll(async () => {
    redisLink = await appOverCuttableRedis(adapter, redis.port, data);
    app = redisLink.app;
  });
  afterAll(() => redisLink?.close());

  it('is never hidden behind a 304 once Redis is reachable again', async () => {
    const user = `partition-${adapter}`;
    const feed = `${app.url}/api/users/${user}/events`;
    const before = await fetch(feed);
    const etag = before.headers.get('etag')!;
    const oldVersion = before.headers.get('x-cache-version')!;

    await redisLink.cut();
    const created = await fetch(feed, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"title":"written during the partition"}',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-cache-version')).toBeNull();

    await redisLink.restore();
    // Redis kept the old version; the write's bump never reached it. The old tag must not validate.
    const after = await fetch(feed, { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(BigInt(after.headers.get('x-cache-version')!)).toBeGreaterThan(BigInt(oldVersion));
    expect(await after.json()).toContainEqual(expect.objectContaining({ title: 'written during the partition' }));
    const endpoint = (await (await fetch(`${app.url}/api/users/${user}/version`)).json()) as { version: string };
    expect(endpoint.version).toBe(after.headers.get('x-cache-version'));
  });
});
