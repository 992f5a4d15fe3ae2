import { ConfigurationError } from './configurationError.js';
import { localFeed, type VersionFeed } from './versionFeed.js';

/** An ioredis connection for subscribing (`redis.duplicate()`: a subscribed connection can do nothing else). */
export interface IoRedisSubscriberLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
}

/** A node-redis v4/v5 connection for subscribing (`await client.duplicate().connect()`). */
export interface NodeRedisSubscriberLike {
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
}

export interface RedisVersionFeedOptions {
  /**
   * The channel `redisVersionStore` (and django-nostale) publish bumps on.
   * @default 'nostale:versions'
   * @example redisVersionFeed(subscriber, { channel: 'myapp:versions' })
   */
  channel?: string;
  /**
   * The store's key prefix, stripped from published keys to give scopes.
   * @default 'nostale:version:'
   * @example redisVersionFeed(subscriber, { prefix: 'myapp:v:' })
   */
  prefix?: string;
}

/**
 * Every bump made through any `redisVersionStore` or django-nostale process on this Redis, as it
 * is published. Give it a connection of its own: subscribing takes the connection over.
 *
 * @example
 * const feed = await redisVersionFeed(redis.duplicate());
 */
export async function redisVersionFeed(
  subscriber: IoRedisSubscriberLike | NodeRedisSubscriberLike,
  options: RedisVersionFeedOptions = {},
): Promise<VersionFeed> {
  const channel = options.channel ?? 'nostale:versions';
  const prefix = options.prefix ?? 'nostale:version:';
  const feed = localFeed();
  const onMessage = (message: string) => {
    const space = message.indexOf(' ');
    const key = message.slice(space + 1);
    if (space > 0 && key.startsWith(prefix)) feed.emit(key.slice(prefix.length), message.slice(0, space));
  };
  if ('call' in subscriber && typeof subscriber.on === 'function') {
    subscriber.on('message', (from, message) => from === channel && onMessage(message));
    await subscriber.subscribe(channel);
  } else if (typeof subscriber.subscribe === 'function') {
    await (subscriber as NodeRedisSubscriberLike).subscribe(channel, (message) => onMessage(message));
  } else {
    throw new ConfigurationError('redisVersionFeed needs an ioredis or redis (node-redis v4/v5) connection', 'subscriber');
  }
  return { subscribe: feed.subscribe };
}
