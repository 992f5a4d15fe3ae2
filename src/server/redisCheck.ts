import { ConfigurationError } from './configurationError.js';
import { commandSender, type RedisClientLike } from './redisCommands.js';

/**
 * Problems with a Redis that will hold version tokens, as sentences (empty: none found). An
 * `allkeys-*` eviction policy may evict a token (it then restarts from the clock, which is safe
 * but invalidates every client's copies of that scope); `volatile-*` and `noeviction` never touch
 * keys without a TTL, which is how tokens are stored. Managed Redis that disables CONFIG gets a
 * note instead of a verdict.
 *
 * @example
 * for (const problem of await checkRedis(redis)) console.warn(problem);
 */
export async function checkRedis(client: RedisClientLike): Promise<string[]> {
  const send = commandSender(client);
  if (!send) throw new ConfigurationError('checkRedis needs an ioredis or redis (node-redis v4/v5) client', 'client');
  let reply: unknown;
  try {
    reply = await send(['CONFIG', 'GET', 'maxmemory-policy']);
  } catch (error) {
    return [`Could not read maxmemory-policy (${(error as Error)?.message}); make sure it is not allkeys-*.`];
  }
  const policy = Array.isArray(reply) ? String(reply[1]) : String(Object.values(reply ?? {})[0]);
  return policy.startsWith('allkeys-')
    ? [`maxmemory-policy is ${policy}: Redis may evict version tokens. Use noeviction or a volatile-* policy, or a dedicated instance.`]
    : [];
}
