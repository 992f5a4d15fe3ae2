import { ConfigurationError } from './configurationError.js';
import { commandSender, type RedisClientLike, type SendCommand } from './redisCommands.js';
import { TOKEN_SCRIPT } from './tokenScript.js';
import type { VersionStore } from './versionStore.js';
import { VersionStoreError } from './versionStoreError.js';

export interface RedisVersionStoreOptions {
  /**
   * Prepended to each scope to make its key. Keep it out of any `cache.clear()`/FLUSHDB habit
   * by giving version keys their own database or instance; tokens survive a flush anyway.
   * @default 'nostale:version:'
   * @example redisVersionStore(redis, { prefix: 'myapp:v:' })
   */
  prefix?: string;
  /**
   * Channel every bump is published on (`<token> <key>`), for push endpoints fed by
   * `redisVersionFeed` in any process; `false` publishes nothing. django-nostale publishes on the
   * same default channel.
   * @default 'nostale:versions'
   * @example redisVersionStore(redis, { channel: false })
   */
  channel?: string | false;
}

const token = /^\d+$/;

/**
 * Tokens in Redis, each produced by one Lua script that reads Redis's own clock (`TIME`), so app
 * servers with skewed clocks cannot disagree and no get-then-set can lose an update. Pass the
 * `ioredis` or `redis` (node-redis v4/v5) client the app already has, connected; the store never
 * closes it. Tokens survive FLUSHDB, eviction and restarts without going backwards.
 *
 * @example
 * import Redis from 'ioredis';
 * const store = redisVersionStore(new Redis(process.env.REDIS_URL));
 */
export function redisVersionStore(client: RedisClientLike, options: RedisVersionStoreOptions = {}): VersionStore {
  const send = commandSender(client);
  if (!send) throw new ConfigurationError('redisVersionStore needs an ioredis or redis (node-redis v4/v5) client', 'client');
  const prefix = options.prefix ?? 'nostale:version:';
  if (typeof prefix !== 'string') throw new ConfigurationError('prefix must be a string', 'prefix');
  const channel = options.channel ?? 'nostale:versions';
  const run = script(send);
  const call = async (scope: string, mode: 'read' | 'bump') => {
    let reply: unknown;
    try {
      reply = await run(prefix + scope, mode === 'bump' && channel !== false ? [mode, channel] : [mode]);
    } catch (cause) {
      throw new VersionStoreError(`Redis ${mode} of scope "${scope}" failed: ${(cause as Error)?.message ?? cause}`, scope, { cause });
    }
    const text = typeof reply === 'string' ? reply : reply instanceof Uint8Array ? new TextDecoder().decode(reply) : undefined;
    if (text === undefined || !token.test(text)) throw new VersionStoreError(`Redis answered ${String(reply)} for scope "${scope}"`, scope);
    return text;
  };
  return { read: (scope) => call(scope, 'read'), bump: (scope) => call(scope, 'bump') };
}

/** Runs the token script by its SHA, sending the full text only when the server lacks it. */
function script(send: SendCommand): (key: string, args: string[]) => Promise<unknown> {
  let sha: Promise<string> | undefined;
  const load = () =>
    (sha ??= (send(['SCRIPT', 'LOAD', TOKEN_SCRIPT]) as Promise<string>).catch((error: unknown) => {
      sha = undefined;
      throw error;
    }));
  return async (key, args) => {
    try {
      return await send(['EVALSHA', await load(), '1', key, ...args]);
    } catch (error) {
      // A restart or SCRIPT FLUSH forgets scripts; on a cluster, SCRIPT LOAD reached another node.
      // EVAL both runs the script and caches it where the key lives.
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return send(['EVAL', TOKEN_SCRIPT, '1', key, ...args]);
    }
  };
}
