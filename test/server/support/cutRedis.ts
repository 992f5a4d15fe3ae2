import Redis from 'ioredis';
import { createVersioning, redisVersionStore } from '../../../src/server.js';
import { type AdapterName, type RunningApp, startApp } from './apps.js';
import { eventsDb } from './eventsDb.js';
import { tcpProxy } from './tcpProxy.js';

export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * A server companion whose version store reaches Redis through a TCP proxy the test can cut and
 * restore (a partition or an outage), while its data stays reachable. `cut`/`restore` resolve
 * once the version store's client has seen the change.
 */
export async function appOverCuttableRedis(adapter: AdapterName, redisPort: number, data: Redis) {
  const proxy = await tcpProxy(redisPort);
  const versions = new Redis({
    port: proxy.port,
    host: '127.0.0.1',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 20,
  });
  versions.on('error', () => undefined); // the cut's connection errors are the point
  await until(() => versions.status === 'ready');
  const app: RunningApp = await startApp(
    adapter,
    createVersioning({ store: redisVersionStore(versions), build: 'b', log: () => {} }),
    eventsDb(data),
  );
  return {
    app,
    async cut() {
      proxy.cut();
      await until(() => versions.status !== 'ready');
    },
    async restore() {
      proxy.restore();
      await until(() => versions.status === 'ready');
    },
    async close() {
      await app.close();
      versions.disconnect();
      await proxy.close();
    },
  };
}
