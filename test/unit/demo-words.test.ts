import { describe, expect, it } from 'vitest';
import { createDescriber } from '../../demo/src/words';
import type { CacheEntry, CacheEvent, ScopeRecord, Store } from '../../src/index';

const FEED = 'http://localhost/api/users/alice/events?start=2026-11-29T00:00:00.000Z&end=2027-01-03T00:00:00.000Z';
const KEY = JSON.stringify(['alice', 'GET', FEED]);
const record: ScopeRecord = { namespace: 'alice', scope: 'calendar:alice', token: '8', mark: 'm', local: false };

/** A store holding `entries` (scoped to calendar:alice), as the describer reads it. */
function storeWith(entries: Partial<CacheEntry>[]): Store {
  const all = entries.map((entry) => ({ key: KEY, scope: 'calendar:alice', storedAt: 0, ...entry }) as CacheEntry);
  return {
    get: (key) => all.find((entry) => entry.key === key),
    set: () => undefined,
    delete: () => undefined,
    keys: (filter) => all.filter((entry) => filter?.where?.(entry) ?? true).map((entry) => entry.key),
    clear: () => undefined,
  };
}

const say = (events: CacheEvent[], store = storeWith([])) => {
  const describer = createDescriber(store, () => undefined);
  return events.map((event) => describer.cache(event));
};

describe('the panel in plain words', () => {
  it('says nothing when nothing happened: the same version, nothing invalidated, a version restored', () => {
    expect(
      say([
        { type: 'version', scope: 'calendar:alice', version: '2', previous: '2', origin: 'endpoint', record },
        { type: 'version', scope: 'calendar:alice', version: '2', previous: undefined, origin: 'response', record },
        { type: 'version', scope: 'calendar:alice', version: '2', previous: undefined, origin: 'store', record },
        { type: 'invalidate', namespace: 'alice', count: 0, origin: 'unsafe-request' },
      ]),
    ).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('says a read once, with the version check it took', () => {
    const [check, hit, again] = say([
      { type: 'revalidate', key: 'v', url: 'http://localhost/api/users/alice/version', scope: 'calendar:alice', via: 'version' },
      { type: 'hit', key: KEY, url: FEED, scope: 'calendar:alice' },
      { type: 'hit', key: KEY, url: FEED, scope: 'calendar:alice' },
    ]);
    expect(check).toBeUndefined();
    expect(hit?.text).toMatch(/^December 2026: served from the copy saved in IndexedDB, version checked: unchanged$/);
    expect(again?.text).toBe('December 2026: served from memory');
  });

  it('says a 304 once, not again as a fetch', () => {
    const said = say([
      { type: 'revalidate', key: KEY, url: FEED, via: 'conditional' },
      { type: 'not-modified', key: KEY, url: FEED },
      { type: 'store', key: KEY, url: FEED, size: 2048, persisted: true },
    ]);
    expect(said.map((line) => line?.text)).toEqual([undefined, 'December 2026: revalidated: unchanged (304), saved copy kept', undefined]);
  });

  it('counts the saved months a new version made stale', async () => {
    const [line] = say(
      [{ type: 'version', scope: 'calendar:alice', version: '8', previous: '7', origin: 'mutation', record }],
      storeWith([{}, { key: 'b' }, { key: 'c', scope: 'other' }]),
    );
    expect(line?.text).toBe("alice's calendar: version 7 → 8 (after your change)");
    expect(await line?.later).toBe("alice's calendar: version 7 → 8 (after your change): 2 saved months now stale");
  });

  it('says offline reads by what the calendar shows: the saved copy and its time, or nothing saved', async () => {
    const storedAt = new Date(2026, 11, 1, 10, 42).getTime();
    const error = Object.assign(new Error('Network error'), { name: 'NetworkError' });
    const version = say([{ type: 'error', url: 'http://localhost/api/users/alice/version', error }]);
    expect(version).toEqual([undefined]);
    const [, offline] = say(
      [
        { type: 'miss', key: KEY, url: FEED, scope: 'calendar:alice' },
        { type: 'error', url: FEED, error },
      ],
      storeWith([{ storedAt }]),
    );
    expect(await offline?.later).toBe('offline: showing saved data from 10:42 (December 2026)');
    const [, nothing] = say([
      { type: 'miss', key: KEY, url: FEED, scope: 'calendar:alice' },
      { type: 'error', url: FEED, error },
    ]);
    expect(await nothing?.later).toBe('offline: nothing saved for December 2026');
  });

  it('says a late answer was discarded, and whether it is asked again', () => {
    const [retried, given] = say([
      { type: 'late', url: FEED, scope: 'calendar:alice', version: '7', retried: true },
      { type: 'late', url: FEED, scope: 'calendar:alice', version: '7', retried: false },
    ]);
    expect(retried?.text).toMatch(/answer arrived late .*: discarded, asking again$/);
    expect(given?.text).toMatch(/answer arrived late .*: discarded$/);
    expect(retried?.tone).toBe('warn');
  });

  it('shows an event type it does not know yet, by name and fields, instead of dropping it', () => {
    // `version-reset` was the example here until the client learned it (issue 9).
    const [line] = say([{ type: 'scope-merged', scope: 'calendar:alice', count: 12 } as unknown as CacheEvent]);
    expect(line).toMatchObject({ kind: 'scope-merged', text: 'scope merged: scope calendar:alice, count 12' });
  });

  it('says when the server lost its counter, and when a request is asked again', () => {
    const [reset, retry] = say([
      { type: 'version-reset', scope: 'calendar:alice', version: '3', previous: '1764590000000123' },
      { type: 'retry', url: FEED, attempt: 1, delay: 180.4, error: new Error('offline') },
    ]);
    expect(reset?.text).toBe('calendar:alice: the server lost its version counter (1764590000000123 → 3): every saved copy of it dropped');
    expect(retry?.text).toMatch(/: no answer: asking again in 180 ms \(try 1\)$/);
  });
});
