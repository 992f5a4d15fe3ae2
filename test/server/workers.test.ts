import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReadDeleteRead } from './support/cycles.js';
import { spawnWorker, type Worker } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redisServer.js';
import { roundRobin } from './support/roundRobin.js';

// Two real worker processes of the Express example app on one real Redis, as a deployment runs them.
let redis: RedisServer;
let workers: Worker[] = [];
beforeAll(async () => {
  redis = await startRedis();
  const script = new URL('./support/worker.ts', import.meta.url).pathname;
  workers = await Promise.all(
    [0, 1].map(() =>
      spawnWorker(process.execPath, ['--import', 'tsx', script], { REDIS_URL: redis.url, ADAPTER: 'express', BUILD: 'e2e' }),
    ),
  );
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await redis?.stop();
});

const version = async (base: string, user: string) =>
  ((await (await fetch(`${base}/api/users/${user}/version`)).json()) as { version: string }).version;

describe('nostale/server across two worker processes', () => {
  it('gives 200 concurrent bumps over both workers 200 distinct tokens, all above the start, the last one current', async () => {
    const user = 'concurrent';
    const start = BigInt(await version(workers[0]!.url, user));
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`${workers[i % 2]!.url}/api/users/${user}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ title: `e${i}` }),
        }),
      ),
    );
    const tokens = answers.map((response) => response.headers.get('x-cache-version'));
    expect(answers.every((response) => response.status === 201)).toBe(true);
    expect(tokens.every((token) => token !== null && /^\d+$/.test(token))).toBe(true);
    const numbers = tokens.map((token) => BigInt(token!));
    expect(new Set(tokens).size).toBe(200);
    expect(numbers.every((n) => n > start)).toBe(true);
    // BigInt: Math.max does not take them.
    let highest = numbers[0]!;
    for (const n of numbers) if (n > highest) highest = n;
    expect(await version(workers[1]!.url, user)).toBe(highest.toString());
    expect(await version(workers[0]!.url, user)).toBe(highest.toString());
  });

  it('shows a bump made through worker A to readers of worker B, feed and 304 alike', async () => {
    const user = 'a-to-b';
    const [a, b] = workers.map((worker) => worker.url) as [string, string];
    const before = await fetch(`${b}/api/users/${user}/events`);
    const etag = before.headers.get('etag')!;
    const created = await fetch(`${a}/api/users/${user}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"title":"via A"}',
    });
    const token = created.headers.get('x-cache-version');
    expect(await version(b, user)).toBe(token);
    const after = await fetch(`${b}/api/users/${user}/events`, { headers: { 'If-None-Match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-cache-version')).toBe(token);
    const unchanged = await fetch(`${a}/api/users/${user}/events`, { headers: { 'If-None-Match': after.headers.get('etag')! } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('x-cache-version')).toBe(token);
  });

  it('end to end: the nostale client behind a round-robin sees zero stale reads and zero resurrected items', async () => {
    const proxy = await roundRobin(workers.map((worker) => worker.url));
    try {
      const report = await createReadDeleteRead(proxy.url, 'alice', 20);
      expect({ stale: report.staleReads, resurrected: report.resurrected }).toEqual({ stale: 0, resurrected: 0 });
      expect(report.observerReads).toBe(40);
      // Both workers really served: the round-robin is what makes per-process state visible.
      expect(Math.min(...proxy.served)).toBeGreaterThan(20);
    } finally {
      await proxy.close();
    }
  });
});

describe('the end-to-end harness', () => {
  it('does catch per-process counters: memory stores on two workers with skewed clocks resurrect deleted items', async () => {
    const script = new URL('./support/worker.ts', import.meta.url).pathname;
    const local = await Promise.all(
      [0, 1].map((i) =>
        spawnWorker(process.execPath, ['--import', 'tsx', script], {
          REDIS_URL: redis.url,
          STORE: 'memory',
          CLOCK_AHEAD_US: String(i * 3_600_000_000),
        }),
      ),
    );
    const proxy = await roundRobin(local.map((worker) => worker.url));
    try {
      const report = await createReadDeleteRead(proxy.url, 'bob', 5);
      expect(report.staleReads).toBeGreaterThan(0);
      expect(report.resurrected).toBeGreaterThan(0);
    } finally {
      await proxy.close();
      await Promise.all(local.map((worker) => worker.stop()));
    }
  });
});
