/**
 * What keeps a miss cheap: the bookkeeping around a request that goes out costs little next to the
 * request itself (issue 10: the refetching read after an invalidation). A miss builds no abort
 * machinery nobody can use and copies no headers it does not change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';

const BASE = 'http://localhost/';
const RealHeaders = globalThis.Headers;

afterEach(() => {
  globalThis.Headers = RealHeaders;
});

/** Counts `new Headers()` from here on. */
function countHeaders() {
  const counter = { n: 0 };
  globalThis.Headers = class extends RealHeaders {
    constructor(init?: HeadersInit) {
      super(init);
      counter.n++;
    }
  } as typeof Headers;
  return counter;
}

const answer = (headers: Record<string, string> = {}) =>
  Response.json({ ok: true }, { headers: { 'cache-control': 'max-age=3600', ...headers } });

describe('the miss path', () => {
  it('sends no abort signal when no caller can leave (an AbortController costs µs), and one when every caller may', async () => {
    const signals: (AbortSignal | null | undefined)[] = [];
    const client = createClient({
      baseUrl: BASE,
      fetch: async (_input, init) => {
        signals.push(init?.signal);
        return answer();
      },
    });
    await client.get('/a');
    expect(signals[0]).toBeUndefined();
    await client.get('/b', { signal: new AbortController().signal });
    expect(signals[1]).toBeInstanceOf(AbortSignal);
    await client.get('/c', { timeout: 5000 });
    expect(signals[2]).toBeInstanceOf(AbortSignal);
  });

  it("copies the request's headers only to add a validator to them", async () => {
    const clock = { now: 1_700_000_000_000 };
    // Built before counting: a Response's own headers are not the client's doing.
    const answers = [answer({ 'cache-control': 'max-age=1', etag: '"1"' }), new Response(null, { status: 304, headers: { etag: '"1"' } })];
    const sent: Headers[] = [];
    const client = createClient({
      baseUrl: BASE,
      now: () => clock.now,
      fetch: async (_input, init) => {
        sent.push(init!.headers as Headers);
        return answers.shift()!;
      },
    });
    const made = countHeaders();
    await client.get('/a', { headers: { 'accept-language': 'fr' } });
    // The request's own Headers (read.ts), nothing more.
    expect(made.n).toBeLessThanOrEqual(1);
    clock.now += 2000;
    const before = made.n;
    await client.get('/a', { headers: { 'accept-language': 'fr' } });
    expect(made.n - before).toBeLessThanOrEqual(2);
    expect(sent[1]!.get('if-none-match')).toBe('"1"');
    expect(sent[1]!.get('accept-language')).toBe('fr');
    expect(client.stats().notModified).toBe(1);
  });
});
