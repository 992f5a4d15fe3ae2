/**
 * Fault injection on the server side (issue 14), through the real nostale client and
 * nostale/mutate on Node's fetch: Redis going away under the server companion, and a worker
 * process restarted while requests are in flight. Real Redis, real HTTP, real processes.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { type MutationEvent, removeItem, withMutations } from '../../src/mutate.js';
import { ADAPTERS, type RunningApp } from './support/apps.js';
import { type CalendarEvent, eventsDb } from './support/eventsDb.js';
import { spawnWorker, type Worker } from './support/processes.js';
import { type RedisServer, startRedis } from './support/redisServer.js';
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

/** A nostale client with mutations, as the docs set it up, recording how each mutation ended. */
function device(baseUrl: string, user: string) {
  const routes = [{ match: '/api/users/:user/events*', scope: 'calendar:{user}', versionUrl: '/api/users/{user}/version' }];
  const client = withMutations(createClient({ baseUrl, routes, namespace: user }));
  const outcomes: MutationEvent['type'][] = [];
  client.mutate.subscribe((event) => outcomes.push(event.type));
  const titles = async () => (await client.get<CalendarEvent[]>(`/api/users/${user}/events`)).map((e) => e.title);
  return { client, outcomes, titles };
}

describe.each(ADAPTERS)('Redis down under the %s server companion', (adapter) => {
  let redisLink: Awaited<ReturnType<typeof appOverCuttableRedis>>;
  let app: RunningApp;
  beforeAll(async () => {
    redisLink = await appOverCuttableRedis(adapter, redis.port, data);
    app = redisLink.app;
  });
  afterAll(() => redisLink?.close());

  it('mutations commit, reads show them at once, and no device sees pre-outage data once Redis is back', async () => {
    const user = `outage-${adapter}`;
    const kept = await eventsDb(data).create(user, 'kept');
    const doomed = await eventsDb(data).create(user, 'doomed');
    const phone = device(app.url, user);
    const laptop = device(app.url, user);
    expect(await phone.titles()).toEqual(['kept', 'doomed']);
    expect(await laptop.titles()).toEqual(['kept', 'doomed']);
    const before = phone.client.scopes()[0]!.token!;

    await redisLink.cut();
    // Writes still reach the database; the server cannot bump, so it answers without a version
    // and the client bumps the scope locally.
    const created = await phone.client.mutate<CalendarEvent>({
      scope: `calendar:${user}`,
      request: { url: `/api/users/${user}/events`, method: 'POST', body: { title: 'written during the outage' } },
    });
    expect(created).toMatchObject({ status: 201, version: undefined });
    await phone.client.mutate({
      scope: `calendar:${user}`,
      request: { url: `/api/users/${user}/events/${doomed.id}`, method: 'DELETE' },
      optimistic: removeItem(doomed.id),
    });
    expect(phone.outcomes).toEqual(['pending', 'committed', 'pending', 'committed']);
    // Reads are answered no-store meanwhile: current, and never cached.
    expect(await phone.titles()).toEqual(['kept', 'written during the outage']);
    expect(await laptop.titles()).toEqual(['kept', 'written during the outage']);

    await redisLink.restore();
    for (const { titles } of [phone, laptop]) expect(await titles()).toEqual(['kept', 'written during the outage']);
    const after = phone.client.scopes()[0]!.token!;
    expect(BigInt(after)).toBeGreaterThan(BigInt(before));
    expect(kept.title).toBe('kept');
  });
});

/**
 * A TCP hop whose target can change (a load balancer in front of one worker, which restarts on
 * another port) and which can hold new connections until released, so a request can be in
 * flight across the restart.
 */
async function balancer(target: string) {
  let port = Number(new URL(target).port);
  let held: (() => void)[] | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.pause();
    const forward = () => {
      const upstream = connect(port, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.resume();
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    };
    if (held) held.push(forward);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => void (held = []),
    /** Points at `next` and lets the held connections through to it. */
    release(next: string) {
      port = Number(new URL(next).port);
      const waiting = held ?? [];
      held = undefined;
      for (const forward of waiting) forward();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describe('a worker restarted mid-request', () => {
  const script = new URL('./support/worker.ts', import.meta.url).pathname;
  const start = () =>
    spawnWorker(process.execPath, ['--import', 'tsx', script], { REDIS_URL: redis.url, ADAPTER: 'express', BUILD: 'restart' });
  let worker: Worker | undefined;
  let front: Awaited<ReturnType<typeof balancer>> | undefined;
  afterAll(async () => {
    await front?.close();
    await worker?.stop();
  });

  it('a write cut off inside the old worker is rolled back and never applied; a read held across the restart is answered by the new one', async () => {
    const user = 'restarted';
    const db = eventsDb(data);
    await db.create(user, 'before');
    worker = await start();
    front = await balancer(worker.url);
    const { client, outcomes, titles } = device(front.url, user);
    expect(await titles()).toEqual(['before']);
    const versionBefore = BigInt(client.scopes()[0]!.token!);

    // A create whose body is still arriving when the worker goes down: the handler never ran.
    let sent!: () => void;
    const bodyStarted = new Promise<void>((resolve) => (sent = resolve));
    const halfBody = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"title": "half a write'));
        sent();
      },
    });
    const cutOff = client.mutate({
      scope: `calendar:${user}`,
      request: (signal) =>
        fetch(`${front!.url}/api/users/${user}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: halfBody,
          signal,
          duplex: 'half',
        } as RequestInit),
      timeout: 20_000,
    });
    const outcome = cutOff.then(
      () => 'committed',
      (error: { name: string; reason: string }) => `${error.name}:${error.reason}`,
    );
    await bodyStarted;
    // Gives the request time to reach the worker; the outcome is the same if it has not yet.
    await new Promise((resolve) => setTimeout(resolve, 100));

    // A read sent while the worker restarts waits at the balancer and reaches the new worker.
    front.hold();
    const read = client.get<CalendarEvent[]>(`/api/users/${user}/events`, { cache: 'no-cache' });
    await worker.stop();
    expect(await outcome).toBe('MutationError:network');
    worker = await start();
    front.release(worker.url);
    expect((await read).map((e) => e.title)).toEqual(['before']);

    expect(outcomes).toEqual(['pending', 'rolled-back']);
    expect(client.mutate.pending()).toEqual([]);
    expect((await db.list(user)).map((e) => e.title)).toEqual(['before']);

    // The new worker carries on from Redis: a write commits and the version only moves forward.
    await client.mutate({
      scope: `calendar:${user}`,
      request: { url: `/api/users/${user}/events`, method: 'POST', body: { title: 'after' } },
    });
    expect(await titles()).toEqual(['before', 'after']);
    expect(BigInt(client.scopes()[0]!.token!)).toBeGreaterThan(versionBefore);
  });
});
