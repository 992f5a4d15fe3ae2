// One worker process of the example app, as a deployment would run several: `node --import tsx worker.ts`.
// Env: REDIS_URL, ADAPTER (web | express | fastify), BUILD. Prints `listening <url>` when ready.
import Redis from 'ioredis';
import { createVersioning, memoryVersionStore, redisVersionStore } from '../../../src/server.js';
import { startApp, type AdapterName } from './apps.js';
import { eventsDb } from './eventsDb.js';

const redis = new Redis(process.env.REDIS_URL!);
// STORE=memory with CLOCK_AHEAD_US reproduces per-process counters on skewed clocks (a negative control).
const ahead = Number(process.env.CLOCK_AHEAD_US ?? 0);
const store = process.env.STORE === 'memory' ? memoryVersionStore({ now: () => Date.now() * 1000 + ahead }) : redisVersionStore(redis);
const versioning = createVersioning({ store, build: process.env.BUILD ?? 'test' });
const app = await startApp((process.env.ADAPTER ?? 'express') as AdapterName, versioning, eventsDb(redis));
process.stdout.write(`listening ${app.url}\n`);
process.on('SIGTERM', () => {
  void app.close().finally(() => {
    redis.disconnect();
    process.exit(0);
  });
});
