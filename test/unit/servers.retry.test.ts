/**
 * Retries (issue 12): reads survive network blips, 5xx and 429 with exponential backoff and
 * jitter, bounded and abortable, reported as `retry` events; unsafe requests are sent again only
 * with an Idempotency-Key. Fake timers: nothing here waits on the wall clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type CacheEvent, type ClientOptions, createClient, HttpError, NetworkError, TimeoutError } from '../../src/index.js';
import { withMutations } from '../../src/mutate.js';

const BASE = 'http://api.test/';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: string;
  credentials: RequestCredentials | undefined;
}

type Answer = Response | Error;

/** A backend answering from a script, one answer per request, then `rest` for every later one. */
function setup(script: Answer[], options: ClientOptions = {}, rest: () => Answer = () => ok({ n: 'rest' })) {
  const sent: Sent[] = [];
  const clock = { now: 1_000_000 };
  const events: CacheEvent[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    sent.push({
      url: request?.url ?? String(input),
      method: request?.method ?? init?.method ?? 'GET',
      headers: new Headers(request?.headers ?? init?.headers),
      body: request ? await request.text() : '',
      credentials: init?.credentials ?? request?.credentials,
    });
    const answer = script.shift() ?? rest();
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const client = createClient({ baseUrl: BASE, fetch, now: () => clock.now, onEvent: (e) => events.push(e), ...options });
  const retries = () => events.filter((e): e is Extract<CacheEvent, { type: 'retry' }> => e.type === 'retry');
  return { client, sent, clock, events, retries };
}

const ok = (body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json', ...headers } });
const status = (code: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: code }), { status: code, headers: { 'content-type': 'application/json', ...headers } });
const offline = () => new TypeError('Failed to fetch');

/** Lets the client's promise chains run without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('reads are retried after network errors, 5xx and 429', () => {
  it('a network blip is tried again after a backoff, and the read resolves', async () => {
    const t = setup([offline(), ok({ n: 1 })]);
    const read = t.client.get('/a');
    await settle();
    // Waiting, not hammering: one request until the backoff has passed.
    expect(t.sent).toHaveLength(1);
    expect(t.retries()).toMatchObject([{ url: 'http://api.test/a', attempt: 1, error: expect.any(NetworkError) }]);
    await vi.advanceTimersByTimeAsync(200);
    expect(await read).toEqual({ n: 1 });
    expect(t.sent).toHaveLength(2);
  });

  it('backs off exponentially with jitter, and gives up after `retries` with the last error', async () => {
    const t = setup([status(503), status(502), status(500)]);
    const read = t.client.get('/a').catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(10_000);
    const error = await read;
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 500 });
    expect(t.sent).toHaveLength(3);
    const [first, second] = t.retries();
    // delay · 2ⁿ, drawn between its half and itself.
    expect(first!.delay).toBeGreaterThanOrEqual(100);
    expect(first!.delay).toBeLessThanOrEqual(200);
    expect(second!.delay).toBeGreaterThanOrEqual(200);
    expect(second!.delay).toBeLessThanOrEqual(400);
    expect(t.retries().map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('the policy is configurable: retries 0 fails at once, maxDelay caps the wait', async () => {
    const none = setup([offline()], { retry: { retries: 0 } });
    await expect(none.client.get('/a')).rejects.toBeInstanceOf(NetworkError);
    expect(none.sent).toHaveLength(1);

    const capped = setup([offline(), offline(), offline(), offline(), ok({ n: 1 })], {
      retry: { retries: 4, delay: 1000, maxDelay: 1500 },
    });
    const read = capped.client.get('/a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await read).toEqual({ n: 1 });
    expect(Math.max(...capped.retries().map((e) => e.delay))).toBeLessThanOrEqual(1500);
  });

  it('a 429 waits at least its Retry-After in seconds', async () => {
    const t = setup([status(429, { 'retry-after': '3' }), ok({ n: 1 })]);
    const read = t.client.get('/a');
    await vi.advanceTimersByTimeAsync(2999);
    expect(t.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await read).toEqual({ n: 1 });
    expect(t.retries()[0]).toMatchObject({ delay: 3000, error: { name: 'HttpError', status: 429 } });
  });

  it('a 503 waits until its Retry-After HTTP-date, measured on the client clock', async () => {
    // The clock starts at 1 000 000 ms: four seconds later, on a whole second.
    const u = setup([status(503, { 'retry-after': new Date(1_004_000).toUTCString() }), ok({ n: 1 })]);
    const read = u.client.get('/a');
    await vi.advanceTimersByTimeAsync(3999);
    expect(u.sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await read).toEqual({ n: 1 });
  });

  it('a Retry-After longer than maxDelay is not waited for: the read fails at once', async () => {
    const t = setup([status(429, { 'retry-after': '120' })]);
    await expect(t.client.get('/a')).rejects.toMatchObject({ name: 'HttpError', status: 429 });
    expect(t.sent).toHaveLength(1);
    expect(t.retries()).toEqual([]);
  });

  it('client errors other than 429 are not retried', async () => {
    for (const code of [400, 401, 403, 404]) {
      const t = setup([status(code)]);
      await expect(t.client.get('/a')).rejects.toMatchObject({ status: code });
      expect(t.sent).toHaveLength(1);
    }
  });

  it('a stale-if-error entry answers at once instead of waiting out retries', async () => {
    const t = setup([ok({ n: 1 }, { 'cache-control': 'max-age=1, stale-if-error=600' }), offline()]);
    expect(await t.client.get('/a')).toEqual({ n: 1 });
    t.clock.now += 5000;
    expect(await t.client.get('/a')).toEqual({ n: 1 });
    expect(t.retries()).toEqual([]);
  });

  it("the caller's signal ends the wait: the read rejects with its reason, and nothing more is sent", async () => {
    const t = setup([offline()]);
    const controller = new AbortController();
    const read = t.client.get('/a', { signal: controller.signal }).catch((error: unknown) => error);
    await settle();
    expect(t.retries()).toHaveLength(1);
    const reason = new DOMException('user left', 'AbortError');
    controller.abort(reason);
    expect(await read).toBe(reason);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.sent).toHaveLength(1);
  });

  it("the caller's timeout covers the waits too: it fires during a backoff, and nothing more is sent", async () => {
    // No jitter: the first wait is the full 200 ms.
    vi.spyOn(Math, 'random').mockReturnValue(1);
    const t = setup([offline(), offline(), offline()]);
    const read = t.client.get('/a', { timeout: 150 }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(150);
    expect(await read).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(t.sent).toHaveLength(1);
    expect(t.retries().map((e) => e.delay)).toEqual([200]);
  });

  it('a retry belongs to the namespace it started in: after a switch during the wait, nothing is sent for it', async () => {
    const t = setup([offline()], { namespace: 'alice' });
    const read = t.client.get('/a').catch((error: unknown) => error);
    await settle();
    expect(t.retries()).toHaveLength(1);
    t.client.namespace = 'bob';
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await read).toBeInstanceOf(NetworkError);
    expect(t.sent).toHaveLength(1);
  });

  it('nor after a clear of its namespace during the wait', async () => {
    const t = setup([status(503)], { namespace: 'alice' });
    const read = t.client.get('/a').catch((error: unknown) => error);
    await settle();
    await t.client.clear({ namespace: 'alice' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await read).toMatchObject({ name: 'HttpError', status: 503 });
    expect(t.sent).toHaveLength(1);
  });

  it('client.fetch GETs are retried like get', async () => {
    const t = setup([status(503), ok({ n: 1 })]);
    const response = t.client.fetch('/a');
    await vi.advanceTimersByTimeAsync(1000);
    expect((await response).status).toBe(200);
    expect(t.sent).toHaveLength(2);
  });
});

describe('unsafe requests are retried only with an Idempotency-Key', () => {
  it('a POST without a key is sent once, whatever the answer', async () => {
    const t = setup([status(503)]);
    expect((await t.client.fetch('/items', { method: 'POST', body: '{"a":1}' })).status).toBe(503);
    const u = setup([offline()]);
    await expect(u.client.fetch('/items', { method: 'POST', body: '{"a":1}' })).rejects.toMatchObject({ name: 'NetworkError' });
    expect([t.sent.length, u.sent.length]).toEqual([1, 1]);
  });

  it('a POST with an Idempotency-Key is retried after a 503 and a network error, with the same body each time', async () => {
    const t = setup([status(503), offline(), ok({ id: 1 })]);
    const response = t.client.fetch('/items', { method: 'POST', body: '{"a":1}', headers: { 'Idempotency-Key': 'k-1' } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await response).status).toBe(200);
    expect(t.sent.map((s) => [s.method, s.body, s.headers.get('idempotency-key')])).toEqual([
      ['POST', '{"a":1}', 'k-1'],
      ['POST', '{"a":1}', 'k-1'],
      ['POST', '{"a":1}', 'k-1'],
    ]);
    expect(t.retries()).toHaveLength(2);
  });

  it('an idempotent write is not sent again once the user has switched during the wait', async () => {
    const t = setup([status(503)], { namespace: 'alice' });
    const response = t.client.fetch('/items', { method: 'POST', body: '{}', headers: { 'Idempotency-Key': 'k-2' } });
    await settle();
    t.client.namespace = 'bob';
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await response).status).toBe(503);
    expect(t.sent).toHaveLength(1);
  });

  it('nostale/mutate: idempotencyKey sends Idempotency-Key and lets the write be retried', async () => {
    const t = setup([status(503), ok({ id: 1 }, { 'x-cache-version': '9' })]);
    const client = withMutations(t.client);
    const done = client.mutate({ scope: 'cal', idempotencyKey: 'create-42', request: { url: '/items', method: 'POST', body: { a: 1 } } });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await done).toMatchObject({ status: 200, version: '9' });
    expect(t.sent.map((s) => s.headers.get('idempotency-key'))).toEqual(['create-42', 'create-42']);
    expect(t.sent.map((s) => s.body)).toEqual(['{"a":1}', '{"a":1}']);
  });

  it('nostale/mutate without idempotencyKey is sent once and rolls back', async () => {
    const t = setup([status(503)]);
    const client = withMutations(t.client);
    await expect(client.mutate({ scope: 'cal', request: { url: '/items', method: 'POST', body: { a: 1 } } })).rejects.toMatchObject({
      name: 'MutationError',
      status: 503,
    });
    expect(t.sent).toHaveLength(1);
  });
});
