/**
 * What real servers do with versions that the client must survive (issue 9): lagging read
 * replicas, a counter that was lost, JSON numbers past 2^53, cookies on every request, version
 * headers on 4xx answers, and one write moving several scopes. Fake timers throughout.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CacheEvent, type Change, type ClientOptions, createClient, ParseError, StaleVersionError } from '../../src/index.js';
import { withMutations } from '../../src/mutate.js';
import { createVersioning, formatVersionList, memoryVersionStore, webVersioning } from '../../src/server.js';

const BASE = 'http://api.test/';
const routes = [
  { match: '/cal/:user*', scope: 'calendar:{user}', versionUrl: '/version/{user}' },
  { match: '/tasks/:user*', scope: 'tasks:{user}' },
];

interface Sent {
  url: string;
  method: string;
  credentials: RequestCredentials | undefined;
}

/**
 * A backend with a feed version and a version endpoint that may each answer their own token, so
 * replicas can lag behind and counters can be lost.
 */
function setup(options: ClientOptions = {}) {
  const server = { feed: '5', endpoint: '5' as string | number, endpointBody: undefined as string | undefined, reads: 0 };
  const sent: Sent[] = [];
  const events: CacheEvent[] = [];
  const changes: Change[] = [];
  const clock = { now: 1_000_000 };
  const answers: ((url: string, method: string) => Response | undefined)[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = request?.url ?? String(input);
    const method = request?.method ?? init?.method ?? 'GET';
    sent.push({ url, method, credentials: init?.credentials ?? request?.credentials });
    const scripted = answers.shift()?.(url, method);
    if (scripted) return scripted;
    if (url.includes('/version/')) {
      const body = server.endpointBody ?? JSON.stringify({ version: server.endpoint });
      return new Response(body, { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
    }
    server.reads++;
    return new Response(JSON.stringify({ url, version: server.feed }), {
      headers: { 'content-type': 'application/json', 'x-cache-version': server.feed, 'cache-control': 'max-age=60' },
    });
  };
  const client = createClient({ baseUrl: BASE, fetch, now: () => clock.now, routes, onEvent: (e) => events.push(e), ...options });
  client.onChange((change) => changes.push(change));
  const of = <T extends CacheEvent['type']>(type: T) => events.filter((e): e is Extract<CacheEvent, { type: T }> => e.type === type);
  const token = (scope: string) => client.scopes().find((s) => s.scope === scope)?.token;
  return { client, server, sent, events, changes, clock, answers, of, token };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('read replicas lag', () => {
  it('an older token is asked again after a backoff, not at once, and the read resolves when the replica catches up', async () => {
    const t = setup();
    await t.client.get('/cal/alice/may');
    t.server.feed = '4'; // the next read lands on a replica one write behind
    t.client.setVersion('calendar:alice', '6');
    t.server.feed = '4';
    const read = t.client.get('/cal/alice/may');
    await settle();
    expect(t.server.reads).toBe(2);
    await settle();
    // Waiting: no second request until the backoff has run.
    expect(t.server.reads).toBe(2);
    t.server.feed = '6';
    await vi.advanceTimersByTimeAsync(200);
    expect(await read).toMatchObject({ version: '6' });
    expect(t.of('late')).toMatchObject([{ version: '4', retried: true }]);
  });

  it('never serves the older mark meanwhile, and fails with StaleVersionError once the retries are spent', async () => {
    const t = setup({ routes: [{ match: '/tasks/:user*', scope: 'tasks:{user}' }] });
    t.server.feed = '7';
    await t.client.get('/tasks/alice');
    t.server.feed = '6';
    t.client.setVersion('tasks:alice', '8'); // the entry of version 7 is now of an older mark
    const read = t.client.get('/tasks/alice').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await read;
    expect(error).toBeInstanceOf(StaleVersionError);
    expect(error).toMatchObject({ scope: 'tasks:alice', version: '6' });
    // First try and two retries, none of them answered with the version-7 entry.
    expect(t.server.reads).toBe(4);
    expect(t.of('late').map((e) => e.retried)).toEqual([true, true, false]);
    expect(t.token('tasks:alice')).toBe('8');
  });

  it('a namespace switch during the backoff ends the read: nothing is asked again for another user', async () => {
    const t = setup({ namespace: 'alice' });
    await t.client.get('/cal/alice/may');
    t.client.setVersion('calendar:alice', '6');
    t.server.feed = '4';
    const read = t.client.get('/cal/alice/may').catch((error: unknown) => error);
    await settle();
    const sent = t.sent.length;
    t.client.namespace = 'bob';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await read).toBeInstanceOf(StaleVersionError);
    // Neither the feed again nor the version endpoint.
    expect(t.sent).toHaveLength(sent);
  });

  it('the backoff ends with the caller: an abort during it sends nothing more', async () => {
    const t = setup();
    await t.client.get('/cal/alice/may');
    t.client.setVersion('calendar:alice', '6');
    t.server.feed = '4';
    const controller = new AbortController();
    const read = t.client.get('/cal/alice/may', { signal: controller.signal }).catch((error: unknown) => error);
    await settle();
    const reads = t.server.reads;
    controller.abort(new DOMException('gone', 'AbortError'));
    expect(await read).toMatchObject({ name: 'AbortError' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.server.reads).toBe(reads);
  });
});

describe('a server that lost its counter', () => {
  it('a lower token the version endpoint confirms twice is a reset: adopted, entries retired, reported', async () => {
    const t = setup();
    t.server.feed = t.server.endpoint = '1764590000000123';
    await t.client.get('/cal/alice/may');
    await t.client.get('/cal/alice/june');
    // A flush: the counter starts again, far below what the client holds.
    t.server.feed = t.server.endpoint = '3';
    t.client.setVersion('calendar:alice', '1764590000000124'); // and the client learned one more
    const read = t.client.get('/cal/alice/may');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await read).toMatchObject({ version: '3' });
    expect(t.token('calendar:alice')).toBe('3');
    expect(t.of('version-reset')).toEqual([{ type: 'version-reset', scope: 'calendar:alice', version: '3', previous: '1764590000000124' }]);
    expect(t.changes.at(-1)).toMatchObject({ kind: 'scope', record: { scope: 'calendar:alice', token: '3' } });
    // The version endpoint was asked twice.
    expect(t.sent.filter((s) => s.url.includes('/version/'))).toHaveLength(2);
    // June's entry is of the old counter: fetched again, not served.
    const reads = t.server.reads;
    expect(await t.client.get('/cal/alice/june')).toMatchObject({ version: '3' });
    expect(t.server.reads).toBe(reads + 1);
    // And the scope works normally again.
    expect(await t.client.get('/cal/alice/june')).toMatchObject({ version: '3' });
    expect(t.server.reads).toBe(reads + 1);
  });

  it('checkVersion detects a reset as well', async () => {
    const t = setup();
    t.client.setVersion('calendar:alice', '900');
    t.server.endpoint = '12';
    const check = t.client.checkVersion('calendar:alice');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await check).toBe(false);
    expect(t.token('calendar:alice')).toBe('12');
    expect(t.of('version-reset')).toHaveLength(1);
  });

  it('one low answer is not enough: an endpoint that comes back higher is a lagging replica, not a reset', async () => {
    const t = setup();
    t.client.setVersion('calendar:alice', '900');
    t.server.endpoint = '12';
    const check = t.client.checkVersion('calendar:alice');
    await settle();
    t.server.endpoint = '901';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await check).toBe(false);
    expect(t.token('calendar:alice')).toBe('901');
    expect(t.of('version-reset')).toEqual([]);
  });

  it("a namespace switch during the confirmation's backoff ends the check: the endpoint is not asked again as another user", async () => {
    const t = setup({ namespace: 'alice' });
    t.client.setVersion('calendar:alice', '900');
    t.server.endpoint = '12';
    const check = t.client.checkVersion('calendar:alice');
    await settle();
    const sent = t.sent.length;
    // The second answer would come with bob's session: it says nothing of alice's counter.
    t.client.namespace = 'bob';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await check).toBe(false);
    expect(t.sent).toHaveLength(sent);
    t.client.namespace = 'alice';
    expect(t.token('calendar:alice')).toBe('900');
    expect(t.of('version-reset')).toEqual([]);
  });

  it('a second answer lower than the first is no confirmation either', async () => {
    const t = setup();
    t.client.setVersion('calendar:alice', '900');
    t.server.endpoint = '12';
    const check = t.client.checkVersion('calendar:alice');
    await settle();
    t.server.endpoint = '11';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await check).toBe(false);
    expect(t.token('calendar:alice')).toBe('900');
    expect(t.of('version-reset')).toEqual([]);
  });
});

describe('JSON numbers past 2^53 from the version endpoint', () => {
  it('are refused with a ParseError and a warning to send the version as a string', async () => {
    const t = setup();
    t.client.setVersion('calendar:alice', '5');
    t.server.endpointBody = '{"version": 9007199254740993}';
    expect(await t.client.checkVersion('calendar:alice')).toBe(false);
    const [failure] = t.of('error');
    expect(failure?.error).toBeInstanceOf(ParseError);
    expect(t.of('warning')).toMatchObject([{ code: 'unsafe-version-number', message: expect.stringMatching(/as a string/) }]);
    // Nothing learned from a rounded number.
    expect(t.token('calendar:alice')).toBe('5');
  });

  it('the same version as a string is taken exactly, and safe integers still work', async () => {
    const t = setup();
    t.client.setVersion('calendar:alice', '5');
    t.server.endpointBody = '{"version": "9007199254740993"}';
    await t.client.checkVersion('calendar:alice');
    expect(t.token('calendar:alice')).toBe('9007199254740993');
    const u = setup();
    u.client.setVersion('calendar:alice', '5');
    u.server.endpointBody = '{"version": 9007199254740991}';
    await u.client.checkVersion('calendar:alice');
    expect(u.token('calendar:alice')).toBe('9007199254740991');
    expect(u.of('warning')).toEqual([]);
  });
});

describe('credentials reach every request the client makes', () => {
  it('the client default goes with get, fetch, unsafe fetch, prefetch, version checks and checkVersion', async () => {
    const t = setup({ credentials: 'include' });
    await t.client.get('/cal/alice/may');
    await t.client.fetch('/cal/alice/june');
    await t.client.fetch('/cal/alice/1', { method: 'DELETE' });
    await t.client.prefetch(['/tasks/alice']);
    await t.client.checkVersion('calendar:alice');
    // A read of an entry past its lifetime asks the version endpoint first.
    t.clock.now += 120_000;
    await t.client.get('/cal/alice/may');
    expect(t.sent.map((s) => `${s.method} ${new URL(s.url).pathname} ${s.credentials}`)).toEqual([
      'GET /cal/alice/may include',
      'GET /cal/alice/june include',
      'DELETE /cal/alice/1 include',
      'GET /tasks/alice include',
      'GET /version/alice include',
      'GET /version/alice include',
    ]);
  });

  it('a request overrides it, for its own version check too', async () => {
    const t = setup({ credentials: 'include' });
    await t.client.get('/cal/alice/may', { credentials: 'omit' });
    await t.client.fetch('/cal/alice/june', { credentials: 'omit' });
    await t.client.fetch('/cal/alice/1', { method: 'DELETE', credentials: 'same-origin' });
    await t.client.checkVersion('calendar:alice', { credentials: 'omit' });
    t.clock.now += 120_000;
    await t.client.get('/cal/alice/may', { credentials: 'omit' });
    expect(t.sent.map((s) => s.credentials)).toEqual(['omit', 'omit', 'same-origin', 'omit', 'omit']);
  });
});

describe('mutations through client.fetch learn versions from any answer', () => {
  it('a 404 to a DELETE carries the current version, and it is adopted', async () => {
    const t = setup();
    await t.client.get('/cal/alice/may');
    t.answers.push(() => new Response(null, { status: 404, headers: { 'x-cache-version': '8' } }));
    expect((await t.client.fetch('/cal/alice/42', { method: 'DELETE' })).status).toBe(404);
    expect(t.token('calendar:alice')).toBe('8');
    // The entry of version 5 is stale now.
    t.server.feed = '8';
    const reads = t.server.reads;
    expect(await t.client.get('/cal/alice/may')).toMatchObject({ version: '8' });
    expect(t.server.reads).toBe(reads + 1);
  });

  it('X-Cache-Versions, in the format nostale/server sends, moves every scope it lists', async () => {
    const t = setup();
    await t.client.get('/cal/alice/may');
    await t.client.get('/tasks/alice');
    const list = formatVersionList(
      new Map([
        ['calendar:alice', '12'],
        ['tasks:alice', '7'],
        ['team:a,b=c d', '3'],
      ]),
    );
    expect(list).toBe('calendar:alice=12, tasks:alice=7, team:a%2Cb%3Dc%20d=3');
    t.answers.push(() => new Response(null, { status: 204, headers: { 'x-cache-version': '12', 'x-cache-versions': list } }));
    await t.client.fetch('/cal/alice/42', { method: 'PATCH', body: '{}' });
    expect(t.token('calendar:alice')).toBe('12');
    expect(t.token('tasks:alice')).toBe('7');
    expect(t.token('team:a,b=c d')).toBe('3');
    // Both scopes' entries are stale.
    const reads = t.server.reads;
    t.server.feed = '12';
    await t.client.get('/cal/alice/may');
    t.server.feed = '7';
    await t.client.get('/tasks/alice');
    expect(t.server.reads).toBe(reads + 2);
  });

  it('a malformed member is skipped, the rest adopted, and the request still resolves', async () => {
    const t = setup();
    t.answers.push(() => new Response(null, { status: 204, headers: { 'x-cache-versions': 'bad%zz=1, =2, tasks:alice=9' } }));
    await t.client.fetch('/cal/alice/42', { method: 'DELETE' });
    expect(t.token('tasks:alice')).toBe('9');
  });

  it('nostale/mutate adopts the list from a request function too', async () => {
    const t = setup();
    const client = withMutations(t.client);
    await client.mutate({
      scope: 'calendar:alice',
      request: () =>
        new Response(null, { status: 204, headers: { 'x-cache-version': '12', 'x-cache-versions': 'calendar:alice=12, tasks:alice=7' } }),
    });
    expect(t.token('calendar:alice')).toBe('12');
    expect(t.token('tasks:alice')).toBe('7');
  });
});

describe("against nostale/server's own handlers", () => {
  it('one write moving two scopes: the client adopts both tokens the server handed out', async () => {
    vi.useRealTimers();
    const versioning = createVersioning({ store: memoryVersionStore(), build: 'b1' });
    const web = webVersioning(versioning);
    const list = (request: Request) => Response.json({ path: new URL(request.url).pathname });
    const calendar = web.feed('calendar:{user}', list);
    const tasks = web.feed('tasks:{user}', list);
    // Moving an event into a task list moves both scopes.
    const move = web.mutation(['calendar:{user}', 'tasks:{user}'], () => new Response(null, { status: 204 }));
    const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const [, kind, user] = new URL(request.url).pathname.split('/');
      const handler = request.method !== 'GET' ? move : kind === 'cal' ? calendar : tasks;
      return handler(request, { user: user! });
    };
    const client = createClient({ baseUrl: BASE, fetch, routes: [{ match: '/cal/:user*', scope: 'calendar:{user}' }, routes[1]!] });
    await client.get('/cal/alice');
    await client.get('/tasks/alice');
    const before = client.scopes().map((s) => s.token);
    const response = await client.fetch('/cal/alice/42/move', { method: 'POST' });
    expect(response.headers.get('x-cache-versions')).toMatch(/^calendar:alice=\d+, tasks:alice=\d+$/);
    const onServer = {
      'calendar:alice': await versioning.current('calendar:alice'),
      'tasks:alice': await versioning.current('tasks:alice'),
    };
    const onClient = Object.fromEntries(client.scopes().map((s) => [s.scope, s.token]));
    expect(onClient).toEqual(onServer);
    expect(client.scopes().map((s) => s.token)).not.toEqual(before);
  });
});
