import Redis from 'ioredis';
import { createClient as createNodeRedis } from 'redis';
import { createClient as createNodeRedis4 } from 'redis4';
import type { RedisClientLike } from '../../../src/server.js';

/** One connected client per supported library, so every store test runs against each. */
export interface NamedClient {
  name: string;
  client: RedisClientLike;
  close(): Promise<void>;
}

export const CLIENT_NAMES = ['ioredis', 'redis v5', 'redis v4'] as const;

export async function connectClient(name: (typeof CLIENT_NAMES)[number], url: string): Promise<NamedClient> {
  if (name === 'ioredis') {
    const client = new Redis(url);
    return { name, client, close: async () => void client.disconnect() };
  }
  const client = name === 'redis v5' ? createNodeRedis({ url }) : createNodeRedis4({ url });
  await client.connect();
  return { name, client, close: async () => void (await client.quit()) };
}
