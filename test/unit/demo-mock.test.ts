import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHandlers, type MockApiOptions } from '../../demo/mock/handlers';
import { getControls, setControls } from '../../demo/mock/controls';
import { resetDemoData } from '../../demo/mock/db';
import type { DemoEvent } from '../../demo/mock/model';
import { generateSampleEvents } from '../../demo/mock/sampleData';
import { createMemoryStorage, type KeyValueStorage } from '../../demo/mock/storage';

const API = 'http://localhost/api';
const TODAY = new Date('2024-05-15T12:00:00Z');
const MAY = 'start=2024-05-01T00:00:00Z&end=2024-06-01T00:00:00Z';
const EVERYTHING = 'start=2000-01-01&end=2100-01-01';

const server = setupServer();
let storage: KeyValueStorage;

/** (Re)starts the backend over the current storage: a fresh page load or another tab. */
function mount(options: MockApiOptions = {}): void {
  server.resetHandlers(...createHandlers({ storage, today: TODAY, ...options }));
}

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  storage = createMemoryStorage();
  setControls({ latencyMs: 0 }, storage);
  mount();
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

async function feed(user: string, query: string, init?: RequestInit): Promise<Response> {
  return fetch(`${API}/users/${user}/events?${query}`, init);
}

async function events(user: string, query = EVERYTHING): Promise<DemoEvent[]> {
  return (await (await feed(user, query)).json()) as DemoEvent[];
}

async function version(user: string): Promise<string> {
  const body = (await (await fetch(`${API}/users/${user}/version`)).json()) as { version: string };
  return body.version;
}

function send(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Response> {
  return fetch(`${API}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const pkOf = (event: DemoEvent): string => event.id.slice(event.id.lastIndexOf('-') + 1);

describe('sample data', () => {
  it('is deterministic for a seed and a date, and differs per user', () => {
    const again = generateSampleEvents({ user: 'alice', today: new Date('2024-05-15T23:59:00Z') });
    expect(generateSampleEvents({ user: 'alice', today: TODAY })).toEqual(again);
    expect(generateSampleEvents({ user: 'alice', today: TODAY, seed: 2 })).not.toEqual(again);
  });

  it('has a few hundred events with unique primary keys across kinds', () => {
    const sample = generateSampleEvents({ user: 'alice', today: TODAY });
    expect(sample.length).toBeGreaterThanOrEqual(200);
    expect(sample.every((event) => event.id === `${event.kind}-${pkOf(event)}`)).toBe(true);
    expect(new Set(sample.map(pkOf)).size).toBe(sample.length);
    expect(new Set(sample.map((event) => event.kind))).toEqual(new Set(['work-item', 'coordination-event', 'staff-task']));
  });

  it('puts the rendering probes on today, in the current month', async () => {
    const may = await events('alice', MAY);
    expect(may.length).toBeGreaterThan(20);
    const today = may
      .filter((event) => event.start.startsWith('2024-05-15'))
      .map((event) => event.title)
      .join('\n');
    for (const probe of ['"', "'", '<script>alert(1)</script>', '&amp;', '🚀']) expect(today).toContain(probe);
  });

  it("marks bob's titles so the two users can be told apart", async () => {
    expect((await events('bob')).every((event) => event.title.startsWith('[Bob] '))).toBe(true);
    expect((await events('alice')).some((event) => event.title.startsWith('[Bob] '))).toBe(false);
  });
});

describe('GET /api/users/:user/events', () => {
  it('returns exactly the events overlapping [start, end)', async () => {
    const all = await events('alice');
    const may = await events('alice', MAY);
    const inMay = all.filter((event) => {
      const start = Date.parse(event.start.length === 10 ? `${event.start}T00:00:00Z` : event.start);
      const end =
        event.end === undefined
          ? start + (event.allDay ? 86_400_000 : 3_600_000)
          : Date.parse(event.end.length === 10 ? `${event.end}T00:00:00Z` : event.end);
      return start < Date.UTC(2024, 5, 1) && end > Date.UTC(2024, 4, 1);
    });
    expect(may.map((event) => event.id)).toEqual(inMay.map((event) => event.id));
    expect(may.length).toBeLessThan(all.length);
  });

  it('treats end as exclusive on both sides', async () => {
    await send('POST', '/users/alice/events', { title: 'Boundary', start: '2030-07-01', end: '2030-07-02', allDay: true });
    const ids = async (query: string) => (await events('alice', query)).map((event) => event.title);
    expect(await ids('start=2030-07-02&end=2030-07-03')).toEqual([]);
    expect(await ids('start=2030-06-30&end=2030-07-01')).toEqual([]);
    expect(await ids('start=2030-06-30T00:00:00Z&end=2030-07-01T00:00:01Z')).toEqual(['Boundary']);
    expect(await ids('start=2030-07-01T23:59:59%2B02:00&end=2030-07-05')).toEqual(['Boundary']);
  });

  it('sends the caching headers', async () => {
    const response = await feed('alice', MAY);
    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('private, no-cache, stale-if-error=86400');
    expect(response.headers.get('ETag')).toMatch(/^"alice-v1-[0-9a-z]+"$/);
    expect(response.headers.get('X-Cache-Version')).toBe('1');
    expect(response.headers.get('Access-Control-Expose-Headers')).toBe('ETag, X-Cache-Version, X-Range-Cache');
  });

  it('answers 400 when start or end is missing or invalid', async () => {
    for (const query of [
      'start=2024-05-01',
      'end=2024-05-01',
      'start=may&end=june',
      'start=2024-02-30&end=2024-03-05',
      'start=2024-06-01&end=2024-05-01',
    ]) {
      const response = await feed('alice', query);
      expect(response.status, query).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad-request' });
    }
  });
});

describe('ETag revalidation', () => {
  it('answers 304 without a body while nothing changed', async () => {
    const etag = (await feed('alice', MAY)).headers.get('ETag') ?? '';
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const response = await feed('alice', MAY, { headers: { 'If-None-Match': ifNoneMatch } });
      expect(response.status, ifNoneMatch).toBe(304);
      expect(await response.text()).toBe('');
      expect(response.headers.get('ETag')).toBe(etag);
      expect(response.headers.get('X-Cache-Version')).toBe('1');
      expect(response.headers.get('Cache-Control')).toBe('private, no-cache, stale-if-error=86400');
    }
  });

  it('gives each range its own ETag and answers 200 once the version moved', async () => {
    const etag = (await feed('alice', MAY)).headers.get('ETag') ?? '';
    expect((await feed('alice', EVERYTHING)).headers.get('ETag')).not.toBe(etag);
    await send('DELETE', '/users/alice/events/1');
    const response = await feed('alice', MAY, { headers: { 'If-None-Match': etag } });
    expect(response.status).toBe(200);
    expect(response.headers.get('ETag')).not.toBe(etag);
    expect(response.headers.get('X-Cache-Version')).toBe('2');
  });
});

describe('versions', () => {
  it('serves the version endpoint uncacheable', async () => {
    const response = await fetch(`${API}/users/alice/version`);
    expect(await response.json()).toEqual({ version: '1' });
    expect(response.headers.get('X-Cache-Version')).toBe('1');
    expect(response.headers.get('Cache-Control')).toBe('no-store');
  });

  it('bumps on every kind of mutation and returns the new version', async () => {
    const created = await send('POST', '/users/alice/events', { title: 'New', start: '2024-05-20T10:00:00Z' });
    expect(created.status).toBe(201);
    expect(created.headers.get('X-Cache-Version')).toBe('2');
    const event = (await created.json()) as DemoEvent;
    expect(event).toMatchObject({ title: 'New', kind: 'work-item', id: 'work-item-301' });

    const patched = await send('PATCH', `/users/alice/events/${event.id}`, { title: 'Renamed', end: '2024-05-20T11:00:00Z' });
    expect(patched.status).toBe(200);
    expect(patched.headers.get('X-Cache-Version')).toBe('3');
    expect(await patched.json()).toEqual({ ...event, title: 'Renamed', end: '2024-05-20T11:00:00Z' });

    const deleted = await send('DELETE', `/users/alice/events/${event.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('X-Cache-Version')).toBe('4');
    expect(await version('alice')).toBe('4');
  });

  it('does not bump when deleting what is already gone', async () => {
    expect((await send('DELETE', '/users/alice/events/7')).status).toBe(204);
    const again = await send('DELETE', '/users/alice/events/7');
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: 'not-found' });
    expect(again.headers.get('X-Cache-Version')).toBe('2');
    expect(await version('alice')).toBe('2');
  });

  it('does not bump on rejected mutations', async () => {
    expect((await send('POST', '/users/alice/events', { start: '2024-05-01' })).status).toBe(400);
    expect((await send('POST', '/users/alice/events', { title: 'x', start: 'soon' })).status).toBe(400);
    expect((await send('POST', '/users/alice/events', { title: 'x', start: '2024-05-02', end: '2024-05-01' })).status).toBe(400);
    expect((await send('POST', '/users/alice/events', { title: 'x', start: '2024-05-02', kind: 'party' })).status).toBe(400);
    expect((await send('POST', '/users/alice/events', [])).status).toBe(400);
    expect((await send('PATCH', '/users/alice/events/1', { kind: 'nope' })).status).toBe(400);
    expect((await send('PATCH', '/users/alice/events/1', { allDay: 'yes' })).status).toBe(400);
    expect((await send('PATCH', '/users/alice/events/99999', { title: 'x' })).status).toBe(404);
    expect(await version('alice')).toBe('1');
  });

  it('removes an end on PATCH with end: null', async () => {
    const withEnd = (await events('alice')).find((event) => event.end !== undefined);
    expect(withEnd).toBeDefined();
    const patched = (await (await send('PATCH', `/users/alice/events/${withEnd?.id}`, { end: null })).json()) as DemoEvent;
    expect(patched).toEqual({ ...withEnd, end: undefined });
    expect('end' in patched).toBe(false);
  });
});

describe('DELETE ids', () => {
  it('accepts the bare primary key or the full id, and nothing else', async () => {
    const all = await events('alice');
    const [byPk, byId] = all;
    const otherKind = byId?.kind === 'staff-task' ? 'work-item' : 'staff-task';
    expect((await send('DELETE', `/users/alice/events/${otherKind}-${byId ? pkOf(byId) : ''}`)).status).toBe(404);
    expect((await send('DELETE', `/users/alice/events/${byPk ? pkOf(byPk) : ''}`)).status).toBe(204);
    expect((await send('DELETE', `/users/alice/events/${byId?.id}`)).status).toBe(204);
    const left = (await events('alice')).map((event) => event.id);
    expect(left).not.toContain(byPk?.id);
    expect(left).not.toContain(byId?.id);
    expect(left).toHaveLength(all.length - 2);
  });
});

describe('users', () => {
  it('keeps data and versions separate', async () => {
    const bobBefore = await events('bob');
    await send('DELETE', '/users/alice/events/1');
    await send('POST', '/users/alice/events', { title: 'Only alice', start: '2024-05-03' });
    expect(await version('alice')).toBe('3');
    expect(await version('bob')).toBe('1');
    expect(await events('bob')).toEqual(bobBefore);
    expect((await events('bob')).some((event) => event.title === 'Only alice')).toBe(false);
  });

  it('answers 404 for an unknown user on every endpoint', async () => {
    const responses = [
      await feed('carol', MAY),
      await fetch(`${API}/naive/users/carol/events?${MAY}`),
      await fetch(`${API}/users/carol/version`),
      await send('POST', '/users/carol/events', { title: 'x', start: '2024-05-01' }),
      await send('PATCH', '/users/carol/events/1', { title: 'x' }),
      await send('DELETE', '/users/carol/events/1'),
    ];
    expect(responses.map((response) => response.status)).toEqual([404, 404, 404, 404, 404, 404]);
    expect(
      responses.every((response) => response.headers.get('Access-Control-Expose-Headers') === 'ETag, X-Cache-Version, X-Range-Cache'),
    ).toBe(true);
  });
});

describe('persistence', () => {
  it('is shared by every handler instance over the same storage (reload, other tab)', async () => {
    await send('DELETE', '/users/alice/events/3');
    mount({ today: new Date('2031-01-01') });
    expect(await version('alice')).toBe('2');
    expect((await events('alice')).some((event) => pkOf(event) === '3')).toBe(false);
  });

  it('reads storage on every request, so writes from another tab show up at once', async () => {
    const otherTab = createHandlers({ storage, today: TODAY });
    server.resetHandlers(...otherTab);
    await send('POST', '/users/bob/events', { title: 'From tab 2', start: '2024-05-04' });
    mount();
    expect((await events('bob')).some((event) => event.title === 'From tab 2')).toBe(true);
  });

  it('works over a real Storage (happy-dom localStorage) under the nostale-demo: prefix', async () => {
    localStorage.clear();
    storage = localStorage;
    setControls({ latencyMs: 0 }, storage);
    mount();
    await send('DELETE', '/users/alice/events/1');
    const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i) ?? '');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => key.startsWith('nostale-demo:'))).toBe(true);
    mount();
    expect(await version('alice')).toBe('2');
    localStorage.clear();
  });

  it('restores the sample data on reset and moves versions forward, never back', async () => {
    const before = await events('alice');
    expect(await version('bob')).toBe('1');
    await send('DELETE', '/users/alice/events/1');
    await send('POST', '/users/alice/events', { title: 'Extra', start: '2024-05-03' });
    resetDemoData({ storage, today: TODAY });
    expect(await events('alice')).toEqual(before);
    expect(await version('alice')).toBe('4');
    expect(await version('bob')).toBe('2');
  });
});

describe('network controls', () => {
  it('fails every request as a network error while offline', async () => {
    setControls({ offline: true }, storage);
    await expect(feed('alice', MAY)).rejects.toThrow(TypeError);
    await expect(send('DELETE', '/users/alice/events/1')).rejects.toThrow(TypeError);
    setControls({ offline: false }, storage);
    expect(await version('alice')).toBe('1');
  });

  it('fails only the next mutation, applies nothing, then clears', async () => {
    setControls({ failNext: true }, storage);
    mount(); // the flag lives in storage, so another instance (tab) sees it
    expect((await feed('alice', MAY)).status).toBe(200);
    const failed = await send('DELETE', '/users/alice/events/1');
    expect(failed.status).toBe(500);
    expect(await failed.json()).toMatchObject({ error: 'server-error' });
    expect(getControls(storage).failNext).toBe(false);
    expect(await version('alice')).toBe('1');
    expect((await send('DELETE', '/users/alice/events/1')).status).toBe(204);
  });

  it('delays responses by latencyMs', async () => {
    setControls({ latencyMs: 60 }, storage);
    const started = performance.now();
    await version('alice');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('rejects a nonsensical latency', () => {
    expect(() => setControls({ latencyMs: -1 }, storage)).toThrow(RangeError);
  });

  it('can hold a feed response, built from old data, until a delete has succeeded', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = (): void => undefined;
    const feedArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    mount({
      beforeRespond: async (request) => {
        if (request.method !== 'GET' || !new URL(request.url).pathname.endsWith('/events')) return;
        arrived();
        await held;
      },
    });
    const pending = feed('alice', EVERYTHING);
    await feedArrived;
    expect((await send('DELETE', '/users/alice/events/1')).status).toBe(204);
    release();
    const stale = await pending;
    expect(stale.headers.get('X-Cache-Version')).toBe('1');
    expect(((await stale.json()) as DemoEvent[]).some((event) => pkOf(event) === '1')).toBe(true);
  });
});

describe('GET /api/naive/users/:user/events (the "without nostale" feed)', () => {
  // What FullCalendar asks for in May 2024: the six-week grid, not the month.
  const GRID = 'start=2024-04-28T00:00:00Z&end=2024-06-09T00:00:00Z';
  const naive = (query: string) => fetch(`${API}/naive/users/alice/events?${query}`);
  const ids = async (response: Response) => ((await response.json()) as DemoEvent[]).map((event) => event.id);

  it('lets the browser reuse it for five minutes, without a validator or a version', async () => {
    const response = await naive(GRID);
    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe('private, max-age=300');
    expect(response.headers.get('ETag')).toBeNull();
    expect(response.headers.get('X-Cache-Version')).toBeNull();
    expect(response.headers.get('X-Range-Cache')).toMatch(/^miss; stored=/);
    expect(await ids(response)).toEqual((await events('alice', GRID)).map((event) => event.id));
  });

  it('keeps serving a deleted event for the six-week grid: the delete drops only its month', async () => {
    const before = await ids(await naive(GRID));
    const victim = (await events('alice', GRID)).find((event) => event.start.startsWith('2024-05-1'))!;
    expect((await send('DELETE', `/users/alice/events/${victim.id}`)).status).toBe(204);

    // The real data has changed; nostale's feed says so.
    expect((await events('alice', GRID)).map((event) => event.id)).not.toContain(victim.id);
    const stale = await naive(GRID);
    expect(stale.headers.get('X-Range-Cache')).toMatch(/^hit; stored=/);
    expect(await ids(stale)).toEqual(before);

    // Whoever asks for exactly the month gets the fresh list: the invalidation was not wrong,
    // only keyed by ranges the calendar never asks for.
    expect(await ids(await naive(MAY))).not.toContain(victim.id);
    // A new page load or another tab meets the same server cache.
    mount();
    expect(await ids(await naive(GRID))).toContain(victim.id);
  });

  it('is emptied by a reset of the demo data', async () => {
    const victim = (await events('alice', GRID))[0]!;
    await naive(GRID);
    await send('DELETE', `/users/alice/events/${victim.id}`);
    resetDemoData({ storage, today: TODAY });
    const fresh = await naive(GRID);
    expect(fresh.headers.get('X-Range-Cache')).toMatch(/^miss; /);
  });

  it('fails like the rest of the API when offline', async () => {
    setControls({ offline: true }, storage);
    await expect(naive(GRID)).rejects.toThrow();
  });
});
