import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeUrl, primaryKey, variantKey } from '../../src/core/cacheKey.js';
import { createClient, StaleVersionError } from '../../src/index.js';

const BASE = 'http://api.test/';

/** A request described by its parts, so equality can be decided without our own normaliser. */
const requestParts = fc.record({
  namespace: fc.string({ maxLength: 6 }),
  method: fc.constantFrom('GET', 'HEAD'),
  segments: fc.array(
    fc.string({ maxLength: 4 }).filter((s) => s !== '.' && s !== '..'),
    { maxLength: 3 },
  ),
  params: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'ü', '&', '='), fc.string({ maxLength: 3 })), { maxLength: 4 }),
  lang: fc.option(fc.constantFrom('fr', 'de', '', 'fr,de'), { nil: undefined }),
});
type Parts = typeof requestParts extends fc.Arbitrary<infer T> ? T : never;

const urlOf = (p: Parts) =>
  `${BASE}${p.segments.map(encodeURIComponent).join('/')}${p.params.length ? `?${new URLSearchParams(p.params)}` : ''}`;

/** What makes two requests the same: parameter order between different names does not matter. */
const canonical = (p: Parts) =>
  JSON.stringify([
    p.namespace,
    p.method,
    p.segments,
    [...p.params].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
    p.lang ?? null,
  ]);

const keyOf = (p: Parts) => {
  const headers = new Headers(p.lang === undefined ? {} : { 'accept-language': p.lang });
  return variantKey(primaryKey(p.namespace, p.method, normalizeUrl(urlOf(p), BASE)), ['accept-language'], headers);
};

describe('properties', () => {
  it('keys are injective: two requests share a key only when they are the same request', () => {
    fc.assert(
      fc.property(requestParts, requestParts, (a, b) => {
        expect(keyOf(a) === keyOf(b)).toBe(canonical(a) === canonical(b));
      }),
      { numRuns: 3000 },
    );
  });

  it("through the client, no request is ever answered with another request's data", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          requestParts.map((p) => ({ ...p, method: 'GET' as const })),
          { minLength: 1, maxLength: 25 },
        ),
        async (requests) => {
          const client = createClient({
            baseUrl: BASE,
            fetch: async (input, init) => {
              const headers = new Headers(init?.headers);
              const echo = { url: String(input), user: headers.get('x-user'), lang: headers.get('accept-language') };
              return Response.json(echo, { headers: { 'Cache-Control': 'max-age=600', Vary: 'Accept-Language' } });
            },
          });
          for (const p of requests) {
            client.namespace = p.namespace;
            const headers: Record<string, string> = { 'x-user': p.namespace };
            if (p.lang !== undefined) headers['accept-language'] = p.lang;
            const echo = await client.get(urlOf(p), { headers });
            // The wire URL is the one written (issue 8, class 10); only the key is normalised.
            expect(echo).toEqual({ url: new URL(urlOf(p), BASE).href, user: p.namespace, lang: p.lang ?? null });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('after the client has seen version T of a scope, it never returns data fetched under an earlier version', async () => {
    const step = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('land' as const) }), weight: 3 },
      { arbitrary: fc.record({ kind: fc.constant('read' as const), page: fc.integer({ min: 0, max: 1 }) }), weight: 3 },
      fc.record({ kind: fc.constant('serverBump' as const) }),
      fc.record({ kind: fc.constant('mutate' as const) }),
      fc.record({ kind: fc.constant('invalidate' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.array(step, { minLength: 1, maxLength: 30 }), async (s, steps) => {
        const server = { version: 1 };
        const client = createClient({
          baseUrl: BASE,
          routes: [{ match: '/feed*', scope: 'feed' }],
          fetch: async (input, init) => {
            // The server answers at once from the version it has; the answer travels back
            // for as long as the scheduler decides, so answers overtake each other.
            if ((input instanceof Request ? input.method : init?.method) === 'POST') server.version++;
            const version = server.version;
            await s.schedule(Promise.resolve(), `answer v${version}`);
            return Response.json(
              { version },
              {
                headers: { 'X-Cache-Version': String(version), 'Cache-Control': 'max-age=600' },
              },
            );
          },
        });
        const known = () => Number(client.scopes()[0]?.token ?? 0);
        const reads: Promise<void>[] = [];
        for (const st of steps) {
          if (st.kind === 'land') {
            // Let one answer land, so later reads start with more knowledge.
            await new Promise((r) => setTimeout(r, 0));
            if (s.count()) await s.waitOne();
          } else if (st.kind === 'read') {
            // What the client has seen when the read is asked; the answer may not be older.
            const seen = known();
            reads.push(
              client.get<{ version: number }>(`/feed?page=${st.page}`).then(
                (data) => expect(data.version).toBeGreaterThanOrEqual(seen),
                (error: unknown) => expect(error).toBeInstanceOf(StaleVersionError),
              ),
            );
          } else if (st.kind === 'serverBump') {
            server.version++;
          } else if (st.kind === 'mutate') {
            reads.push(client.fetch(`${BASE}feed`, { method: 'POST' }).then(() => undefined));
          } else {
            reads.push(client.invalidate({ scope: 'feed' }));
          }
        }
        await settle(Promise.all(reads));
        // Once everything has landed, every page read is at least as new as the newest version seen.
        for (const page of [0, 1]) {
          const seen = known();
          const data = await settle(client.get<{ version: number }>(`/feed?page=${page}`));
          expect(data.version).toBeGreaterThanOrEqual(seen);
        }

        /** Retries schedule new answers after earlier ones resolve: keep releasing until it settles. */
        async function settle<T>(work: Promise<T>): Promise<T> {
          let settled = false;
          const done = work.finally(() => (settled = true));
          for (let spins = 0; !settled && spins < 10_000; spins++) {
            if (s.count()) await s.waitOne();
            else await new Promise((r) => setTimeout(r, 0));
          }
          return done;
        }
      }),
      { numRuns: 500 },
    );
  }, 60_000);
});
