import type Redis from 'ioredis';

export interface CalendarEvent {
  id: string;
  title: string;
}

/**
 * The example app's database, in Redis hashes so that several worker processes share it (the
 * way they would share Postgres). Separate from the version keys, as an app's data would be.
 */
export function eventsDb(redis: Redis) {
  const key = (user: string) => `app:events:${user}`;
  return {
    async list(user: string): Promise<CalendarEvent[]> {
      const all = await redis.hgetall(key(user));
      return Object.entries(all)
        .map(([id, title]) => ({ id, title }))
        .sort((a, b) => Number(a.id) - Number(b.id));
    },
    async create(user: string, title: string): Promise<CalendarEvent> {
      const id = String(await redis.incr('app:next-id'));
      await redis.hset(key(user), id, title);
      return { id, title };
    },
    /** True when something was deleted. */
    async delete(user: string, id: string): Promise<boolean> {
      return (await redis.hdel(key(user), id)) === 1;
    },
  };
}

export type EventsDb = ReturnType<typeof eventsDb>;
