/**
 * Type tests: what the public API promises to TypeScript users. `npm run typecheck` checks these
 * (a wrong type fails it); at run time they only make sure the calls compile into working code.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { calendarSource, type CalendarSource } from '../../src/fullcalendar.js';
import {
  type CacheEvent,
  type Change,
  type Client,
  createClient,
  type GetOptions,
  HttpError,
  isNostaleError,
  type NostaleError,
} from '../../src/index.js';
import { type Mutate, type MutationResult, withMutations } from '../../src/mutate.js';

const client = createClient({ baseUrl: 'http://api.test/', fetch: async () => Response.json([]) });

describe('public types', () => {
  it('get<T> resolves with T, and unknown without it', () => {
    expectTypeOf(client.get<{ id: string }[]>('/a')).toEqualTypeOf<Promise<{ id: string }[]>>();
    expectTypeOf(client.get('/a')).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(client.get).parameter(1).toEqualTypeOf<GetOptions | undefined>();
    expectTypeOf<GetOptions['as']>().toEqualTypeOf<'json' | 'text' | undefined>();
  });

  it('withMutations keeps the client type and adds mutate', () => {
    const augmented = withMutations(client);
    expectTypeOf(augmented).toMatchTypeOf<Client>();
    expectTypeOf(augmented.mutate).toEqualTypeOf<Mutate>();
    expectTypeOf(augmented.mutate<{ ok: boolean }>).returns.toEqualTypeOf<Promise<MutationResult<{ ok: boolean }>>>();
    expectTypeOf(augmented.namespace).toEqualTypeOf<string>();
    // A client type of its own survives the augmentation.
    const branded = Object.assign(createClient(), { brand: 'x' as const });
    expectTypeOf(withMutations(branded).brand).toEqualTypeOf<'x'>();
  });

  it('calendarSource takes the feed item type for map and returns a FullCalendar source', () => {
    const source = calendarSource<{ pk: number; label: string }>(client, {
      url: ({ startStr }) => `/events?start=${encodeURIComponent(startStr)}`,
      map: (item) => {
        expectTypeOf(item).toEqualTypeOf<{ pk: number; label: string }>();
        return { id: String(item.pk), title: item.label };
      },
    });
    expectTypeOf(source).toEqualTypeOf<CalendarSource>();
  });

  it('onChange hands out Changes, subscribe CacheEvents, and errors narrow with isNostaleError', () => {
    expectTypeOf(client.onChange).parameter(0).parameter(0).toEqualTypeOf<Change>();
    expectTypeOf(client.subscribe).parameter(0).parameter(0).toEqualTypeOf<CacheEvent>();
    const error: unknown = new HttpError('x', { status: 500, url: '', body: null });
    if (isNostaleError(error)) expectTypeOf(error).toEqualTypeOf<NostaleError>();
  });
});
