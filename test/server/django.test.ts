import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisVersionFeed, redisVersionStore } from '../../src/server.js';
import { createReadDeleteRead } from './support/cycles.js';
import { spawnWorker, type Worker } from './support/processes.js';
import { freePort, startRedis, type RedisServer } from './support/redisServer.js';
import { roundRobin } from './support/roundRobin.js';

// django-nostale run for real: two gunicorn processes of python/tests/project on one Redis and
// one SQLite file, driven by the nostale client through Node's fetch.
const root = resolve(import.meta.dirname, '../..');
const pythonDir = join(root, 'python');
const venv = join(root, '.venv-python/django-5.2');

let redis: RedisServer;
beforeAll(() => {
  // Idempotent: creates the virtualenv on a fresh machine, returns at once when it exists.
  const setup = spawnSync('bash', [join(root, 'scripts/test-python.sh'), '--setup'], { cwd: root, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`bash scripts/test-python.sh --setup failed:\n${setup.stdout}\n${setup.stderr}`);
  if (!existsSync(join(venv, 'bin/gunicorn'))) throw new Error(`no gunicorn in ${venv}; run: bash scripts/test-python.sh --setup`);
}, 600_000);
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

const version = async (base: string, user: string) =>
  ((await (await fetch(`${base}/api/users/${user}/version`)).json()) as { version: string }).version;

describe.each(['redis', 'database'] as const)('django-nostale with the %s store across two gunicorn processes', (store) => {
  let dir: string;
  let workers: Worker[] = [];
  beforeAll(async () => {
    // In memory-backed /dev/shm where there is one: 400 committed writes need no disk fsyncs.
    dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'nostale-django-'));
    const env = {
      NOSTALE_TEST_REDIS_URL: `${redis.url}/0`,
      NOSTALE_TEST_DB: join(dir, 'db.sqlite3'),
      NOSTALE_TEST_STORE: store,
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const migrate = spawnSync(join(venv, 'bin/python'), ['manage.py', 'migrate', '--noinput'], {
      cwd: pythonDir,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (migrate.status !== 0) throw new Error(`migrate failed:\n${migrate.stdout}\n${migrate.stderr}`);
    workers = await Promise.all(
      [0, 1].map(async () =>
        spawnWorker(
          join(venv, 'bin/gunicorn'),
          ['tests.project.wsgi', '--bind', `127.0.0.1:${await freePort()}`, '--workers', '1', '--chdir', pythonDir],
          env,
          pythonDir,
        ),
      ),
    );
  }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives 200 concurrent bumps over both processes 200 distinct tokens, the highest one current', async () => {
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
    expect(answers.map((response) => response.status)).toEqual(Array(200).fill(201));
    const tokens = answers.map((response) => response.headers.get('x-cache-version')!);
    expect(new Set(tokens).size).toBe(200);
    const numbers = tokens.map((token) => BigInt(token));
    expect(numbers.every((n) => n > start)).toBe(true);
    // BigInt: Math.max does not take them.
    let top = numbers[0]!;
    for (const n of numbers) if (n > top) top = n;
    const highest = top.toString();
    expect(await version(workers[0]!.url, user)).toBe(highest);
    expect(await version(workers[1]!.url, user)).toBe(highest);
  });

  it('shows a bump through process A to readers of process B, and B’s 304 keeps the version header', async () => {
    const [a, b] = workers.map((worker) => worker.url) as [string, string];
    const user = 'a-to-b';
    const before = await fetch(`${b}/api/users/${user}/events`);
    const created = await fetch(`${a}/api/users/${user}/events`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"title":"via A"}',
    });
    const token = created.headers.get('x-cache-version');
    expect(token).toMatch(/^\d+$/);
    const after = await fetch(`${b}/api/users/${user}/events`, { headers: { 'If-None-Match': before.headers.get('etag')! } });
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
      expect(Math.min(...proxy.served)).toBeGreaterThan(20);
    } finally {
      await proxy.close();
    }
  });

  // Only the Redis store is shared with Node; the database store's rows are Django's own.
  if (store === 'redis')
    it('shares scopes with nostale/server: same tokens, and its push feed streams Django’s bumps', async () => {
      const redisClient = new Redis(redis.url);
      const subscriber = redisClient.duplicate();
      try {
        const feed = await redisVersionFeed(subscriber);
        const heard = new Promise<[string, string]>((resolve) =>
          feed.subscribe((scope, token) => scope === 'calendar:shared' && resolve([scope, token])),
        );
        const created = await fetch(`${workers[0]!.url}/api/users/shared/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: '{"title":"from Django"}',
        });
        const token = created.headers.get('x-cache-version')!;
        expect(await heard).toEqual(['calendar:shared', token]);
        const node = redisVersionStore(redisClient);
        expect(await node.read('calendar:shared')).toBe(token);
        const bumped = await node.bump('calendar:shared');
        expect(await version(workers[1]!.url, 'shared')).toBe(bumped);
      } finally {
        subscriber.disconnect();
        redisClient.disconnect();
      }
    });
});
