import Redis from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createVersioning,
  memoryVersionStore,
  redisVersionFeed,
  redisVersionStore,
  versionEvents,
  type VersionFeed,
} from '../../src/server.js';
import { startApp, type RunningApp } from './support/apps.js';
import { eventsDb } from './support/eventsDb.js';
import { startRedis, type RedisServer } from './support/redisServer.js';

let redis: RedisServer;
let data: Redis;
let subscriber: Redis;
let feed: VersionFeed;
let otherClient: ReturnType<typeof createNodeRedis>;
beforeAll(async () => {
  redis = await startRedis();
  data = new Redis(redis.url);
  subscriber = data.duplicate();
  feed = await redisVersionFeed(subscriber);
  otherClient = createNodeRedis({ url: redis.url });
  await otherClient.connect();
});
afterAll(async () => {
  await otherClient?.quit();
  subscriber?.disconnect();
  data?.disconnect();
  await redis?.stop();
});

/** Reads server-sent events off a stream, one `{scope, version}` at a time; keep-alives skipped. */
function sseReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next(): Promise<{ scope: string; version: string }> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (block.includes('event: version') && data) return JSON.parse(data.slice(6)) as { scope: string; version: string };
          continue;
        }
        const chunk = await reader.read();
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

describe.each(['web', 'express', 'fastify'] as const)('the %s push endpoint', (adapter) => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(adapter, createVersioning({ store: redisVersionStore(data), build: 'b' }), eventsDb(data), 0, feed);
  });
  afterAll(() => app?.close());

  it('sends the current version on connect, then every bump of the scope made through another client', async () => {
    const user = `push-${adapter}`;
    const current = ((await (await fetch(`${app.url}/api/users/${user}/version`)).json()) as { version: string }).version;
    const controller = new AbortController();
    const response = await fetch(`${app.url}/api/users/${user}/versions/stream`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const events = sseReader(response.body!);
    expect(await events.next()).toEqual({ scope: `calendar:${user}`, version: current });
    // Another client library, as another process would be: the bump reaches us through Redis.
    const elsewhere = redisVersionStore(otherClient);
    await elsewhere.bump(`calendar:${user}-someone-else`);
    const token = await elsewhere.bump(`calendar:${user}`);
    expect(await events.next()).toEqual({ scope: `calendar:${user}`, version: token });
    controller.abort();
    // A reconnect starts from the present: the bump missed while away is the first event.
    const missed = await elsewhere.bump(`calendar:${user}`);
    const again = sseReader((await fetch(`${app.url}/api/users/${user}/versions/stream`)).body!);
    expect(await again.next()).toEqual({ scope: `calendar:${user}`, version: missed });
    await again.cancel();
  });
});

describe('versionEvents', () => {
  it('stops listening to the feed when the client goes away', async () => {
    const store = memoryVersionStore();
    let listeners = 0;
    const counted: VersionFeed = {
      subscribe(listener) {
        listeners++;
        const stop = store.subscribe(listener);
        return () => {
          listeners--;
          stop();
        };
      },
    };
    const gone = new AbortController();
    const stream = versionEvents(createVersioning({ store, build: 'b' }), counted, ['calendar:x'], gone.signal);
    const events = sseReader(stream);
    expect((await events.next()).scope).toBe('calendar:x');
    expect(listeners).toBe(1);
    gone.abort();
    expect(listeners).toBe(0);
  });
});
