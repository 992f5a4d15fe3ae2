import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRedis,
  ConfigurationError,
  memoryVersionStore,
  redisVersionStore,
  TOKEN_SCRIPT,
  VersionStoreError,
  type VersionStore,
} from '../../src/server.js';
import { CLIENT_NAMES, connectClient, type NamedClient } from './support/redisClients.js';
import { startRedis, type RedisServer } from './support/redisServer.js';

let redis: RedisServer;
let admin: Redis;
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

const big = (token: string) => BigInt(token);

describe.each(CLIENT_NAMES)('redisVersionStore with %s', (clientName) => {
  let named: NamedClient;
  let store: VersionStore;
  const scope = `calendar:${clientName.replace(/\W/g, '')}`;
  const key = `nostale:version:${scope}`;
  beforeAll(async () => {
    named = await connectClient(clientName, redis.url);
    store = redisVersionStore(named.client);
  });
  afterAll(() => named?.close());

  it('seeds a new scope from Redis time in µs, and a read does not move it', async () => {
    const [seconds, micros] = (await admin.time()) as [number, number];
    const first = await store.read(scope);
    expect(first).toMatch(/^\d+$/);
    expect(big(first)).toBeGreaterThanOrEqual(BigInt(seconds) * 1_000_000n + BigInt(micros));
    expect(await store.read(scope)).toBe(first);
    expect(await admin.get(key)).toBe(first);
  });

  it('bumps strictly upwards, and a read after a bump sees the bump', async () => {
    const before = await store.read(scope);
    const bumped = await store.bump(scope);
    expect(big(bumped)).toBeGreaterThan(big(before));
    expect(await store.read(scope)).toBe(bumped);
  });

  it('never goes backwards after FLUSHDB', async () => {
    const before = await store.bump(scope);
    await admin.flushdb();
    expect(big(await store.read(scope))).toBeGreaterThan(big(before));
    const after = await store.bump(scope);
    expect(big(after)).toBeGreaterThan(big(before));
  });

  it('never goes backwards after the key was evicted', async () => {
    const before = await store.bump(scope);
    await admin.del(key);
    expect(big(await store.bump(scope))).toBeGreaterThan(big(before));
  });

  it('never goes backwards when the token was seeded by a clock far ahead', async () => {
    // A token from a server whose clock ran a year ahead: Redis's own clock is now behind it.
    const ahead = (BigInt(Date.now()) * 1000n + 365n * 86_400_000_000n).toString();
    await admin.set(key, ahead);
    expect(await store.read(scope)).toBe(ahead);
    expect(await store.bump(scope)).toBe((big(ahead) + 1n).toString());
    expect(await store.bump(scope)).toBe((big(ahead) + 2n).toString());
    await admin.del(key);
  });

  it('keeps working after Redis forgot its scripts (restart, SCRIPT FLUSH)', async () => {
    const before = await store.bump(scope);
    await admin.script('FLUSH');
    expect(big(await store.bump(scope))).toBeGreaterThan(big(before));
  });

  it('replaces a stored value that is not a token instead of answering it', async () => {
    await admin.set(key, 'null');
    expect(await store.bump(scope)).toMatch(/^\d{16}$/);
  });
});

describe('checkRedis', () => {
  it('flags an allkeys-* eviction policy, which may evict tokens, and accepts noeviction', async () => {
    expect(await checkRedis(admin)).toEqual([]);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const problems = await checkRedis(admin);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/allkeys-lru/);
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  });
});

describe('stores', () => {
  it('refuses something that is not a Redis client', () => {
    expect(() => redisVersionStore({} as never)).toThrow(ConfigurationError);
  });

  it('turns a failed Redis call into a VersionStoreError naming the scope', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const error = await redisVersionStore(dead)
      .bump('calendar:alice')
      .catch((e: unknown) => e);
    dead.disconnect();
    expect(error).toBeInstanceOf(VersionStoreError);
    expect((error as VersionStoreError).scope).toBe('calendar:alice');
  });

  it('memory store: max(previous + 1, now) even when the clock jumps back', async () => {
    let now = 5_000_000;
    const store = memoryVersionStore({ now: () => now });
    expect(await store.bump('s')).toBe('5000000');
    expect(await store.bump('s')).toBe('5000001');
    now = 1_000;
    expect(await store.bump('s')).toBe('5000002');
    now = 9_000_000;
    expect(await store.bump('s')).toBe('9000000');
  });

  it('memory store warns when NODE_ENV is production, and only then', () => {
    const warnings: string[] = [];
    const saved = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'production';
      memoryVersionStore({ warn: (message) => warnings.push(message) });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/worker process/);
      process.env.NODE_ENV = 'development';
      memoryVersionStore({ warn: (message) => warnings.push(message) });
      expect(warnings).toHaveLength(1);
    } finally {
      process.env.NODE_ENV = saved;
    }
  });

  it('Node and Django run the same token script', () => {
    const python = readFileSync(new URL('../../python/django_nostale/token.lua', import.meta.url), 'utf8');
    expect(python).toBe(TOKEN_SCRIPT);
  });
});
