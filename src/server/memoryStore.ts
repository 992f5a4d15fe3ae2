import { localFeed, type VersionFeed } from './versionFeed.js';
import type { VersionStore } from './versionStore.js';

export interface MemoryVersionStoreOptions {
  /**
   * Clock in µs since 1970. Inject one to test what a clock that jumps back does.
   * @default () => Date.now() * 1000
   * @example memoryVersionStore({ now: () => fakeClock.us })
   */
  now?: () => number;
  /**
   * Told once, on creation, when `NODE_ENV` is `production`.
   * @default console.warn
   * @example memoryVersionStore({ warn: (message) => logger.warn(message) })
   */
  warn?: (message: string) => void;
}

/**
 * Tokens in this process's memory, with the same `max(previous + 1, now)` rule as Redis, and a
 * feed of its bumps for push endpoints. For
 * development and tests only: a second worker process has its own counters, so a write through
 * one worker is invisible to readers of the other (the deleted-event-comes-back bug).
 */
export function memoryVersionStore(options: MemoryVersionStoreOptions = {}): VersionStore & VersionFeed {
  const now = options.now ?? (() => Date.now() * 1000);
  // Read through a narrow type: the published declarations must not need @types/node.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.NODE_ENV === 'production') {
    (options.warn ?? console.warn)(
      '[nostale] memoryVersionStore in production: every worker process keeps its own version counters, ' +
        'so writes through one worker stay invisible to the others. Use redisVersionStore.',
    );
  }
  const tokens = new Map<string, number>();
  const feed = localFeed();
  return {
    subscribe: feed.subscribe,
    async read(scope) {
      let token = tokens.get(scope);
      if (token === undefined) tokens.set(scope, (token = Math.floor(now())));
      return String(token);
    },
    async bump(scope) {
      const previous = tokens.get(scope);
      const at = Math.floor(now());
      const token = previous === undefined || previous < at ? at : previous + 1;
      tokens.set(scope, token);
      feed.emit(scope, String(token));
      return String(token);
    },
  };
}
