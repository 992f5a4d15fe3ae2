/**
 * Key injectivity fuzz (issue 14, security): distinct requests get distinct cache keys and the
 * same request the same key, over URLs with unicode, encoded separators (`%2F`, `%3F`, `%23`,
 * `%26`, `%3D`, `%25`, and the JSON of the key itself: `"`, `,`, `]`), duplicate and reordered
 * query parameters, namespaces of any text, and header sets (several `Vary` names, absent versus
 * empty values, names in any case).
 *
 * "The same request" is decided from the parts the request was built from, never with the code
 * under test: same namespace, method and path segments, the same parameters in the same order
 * per name (order between different names does not matter, RFC-wise it may, but nostale sorts on
 * purpose and servers built on query dictionaries agree), the same value for every header `Vary`
 * names. Two ways of writing one request (a fragment, parameters of different names swapped, a
 * letter written raw or percent-encoded, header names in another case) must share a key.
 *
 * The first property is over the key functions; the second goes through a real client, where a
 * collision would show as one request answered with another's data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeUrl, primaryKey, variantKey, varyNames } from '../../src/core/cacheKey.js';
import { createClient } from '../../src/index.js';
import { report, runsOf, soakTimeout } from './support/model/run.js';

const BASE = 'https://api.test/v1/';
const SEPARATORS = ['/', '?', '#', '&', '=', '%', '%2F', '"', ',', ']', '[', '\\', '+', ' ', ';', '.'];
const VARY = ['x-tenant', 'accept-language', 'x-a'] as const;

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.string({ unit: fc.constantFrom(...SEPARATORS, 'a', 'é', 'e\u0301', '😀', '\u00a0'), maxLength: 4 }),
);
/** A header value as Fetch keeps it: Latin-1, no surrounding whitespace (Headers trims it). */
const headerValue = fc
  .string({ unit: fc.constantFrom('a', 'b', ',', ';', '=', '"', ' ', '\u00e9', '*'), maxLength: 4 })
  .filter((v) => v.trim() === v);

const parts = fc.record({
  namespace: text,
  method: fc.constantFrom('GET', 'HEAD'),
  segments: fc.array(
    // Empty segments are left out: `[]` and `['']` are one URL, and no app tells them apart.
    text.filter((s) => s !== '' && s !== '.' && s !== '..'),
    { maxLength: 3 },
  ),
  params: fc.array(fc.tuple(fc.constantFrom('a', 'b', 'ü', '&', '=', 'a[]', '%26'), text), { maxLength: 5 }),
  headers: fc.record(
    {
      'x-tenant': fc.option(headerValue, { nil: undefined }),
      'accept-language': fc.option(headerValue, { nil: undefined }),
      'x-a': fc.option(headerValue, { nil: undefined }),
    },
    { requiredKeys: [] },
  ),
});
type Parts = typeof parts extends fc.Arbitrary<infer T> ? T : never;

/** How one request may be written: each is the same request. */
const style = fc.record({
  fragment: fc.boolean(),
  /** A stable shuffle of the parameters: different names in any order, same names in theirs. */
  shuffle: fc.array(fc.nat(), { maxLength: 5 }),
  rawLetters: fc.boolean(),
  upperHeaderNames: fc.boolean(),
});
type Style = typeof style extends fc.Arbitrary<infer T> ? T : never;

const letters = /^[\p{L}\p{N}]*$/u;
/** No lone surrogate (which the URL parser and `encodeURIComponent` cannot carry). */
const wellFormed = (s: string) => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

function urlOf(p: Parts, s?: Style): string {
  const path = p.segments.map((seg) => (s?.rawLetters && letters.test(seg) ? seg : encodeURIComponent(seg))).join('/');
  let params = p.params;
  if (s?.shuffle.length) {
    // Moves whole names around, keeping each name's values in their order.
    const names = [...new Set(params.map(([n]) => n))];
    const order = names.map((n, i) => [n, s.shuffle[i % s.shuffle.length]! + i / 100] as const).sort((x, y) => x[1] - y[1]);
    params = order.flatMap(([n]) => params.filter(([m]) => m === n));
  }
  const query = params.length ? `?${new URLSearchParams(params)}` : '';
  return `${BASE}${path}${query}${s?.fragment ? '#frag' : ''}`;
}

function headersOf(p: Parts, s?: Style): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(p.headers)) {
    if (value !== undefined) headers.set(s?.upperHeaderNames ? name.toUpperCase() : name, value);
  }
  return headers;
}

/** What makes two requests the same, from their parts alone. */
const canonical = (p: Parts) =>
  JSON.stringify([
    p.namespace,
    p.method,
    p.segments,
    [...p.params].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)),
    VARY.map((name) => p.headers[name] ?? null),
  ]);

const keyOf = (p: Parts, s?: Style) =>
  variantKey(primaryKey(p.namespace, p.method, normalizeUrl(urlOf(p, s), BASE)), varyNames(VARY.join(', ')), headersOf(p, s));

const usable = (p: Parts) => wellFormed(p.namespace) && p.segments.every(wellFormed) && p.params.every(([, v]) => wellFormed(v));

describe('security: cache keys are injective', () => {
  it(
    'distinct requests never share a key; one request written two ways always does',
    () => {
      const runs = runsOf(3000);
      fc.assert(
        fc.property(parts.filter(usable), parts.filter(usable), style, style, (a, b, sa, sb) => {
          expect(keyOf(a, sa) === keyOf(b, sb), `${urlOf(a, sa)} vs ${urlOf(b, sb)}`).toBe(canonical(a) === canonical(b));
          expect(keyOf(a, sa), `${urlOf(a)} written as ${urlOf(a, sa)}`).toBe(keyOf(a));
        }),
        { numRuns: runs },
      );
      report('key injectivity (key functions)', runs, 0);
    },
    soakTimeout,
  );

  it('near misses are distinct: an encoded separator, a duplicate parameter, an empty header, a reordered duplicate', () => {
    const at = (url: string, headers: Record<string, string> = {}, ns = 'alice') =>
      variantKey(primaryKey(ns, 'GET', normalizeUrl(url, BASE)), varyNames('X-Tenant'), new Headers(headers));
    const distinct = [
      at('/a/b'),
      at('/a%2Fb'),
      at('/a%3Fb'),
      at('/a?b'),
      at('/a%23b'),
      at('/a?x=1'),
      at('/a?x=1&x=1'),
      at('/a?x=1&x=2'),
      at('/a?x=2&x=1'),
      at('/a?x=1%262'),
      at('/a?x=1&2'),
      at('/a?x=%3D'),
      at('/a', { 'x-tenant': '' }),
      at('/a', { 'x-tenant': 't1' }),
      at('/a', { 'x-tenant': 't1,t2' }),
      at('/a', {}, 'alice","GET'),
      at('/a', {}, 'alice"'),
      at('/%C3%A9'),
      at('/e%CC%81'),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
    // The same request written another way.
    expect(at('/a?y=2&x=1#top')).toBe(at('/a?x=1&y=2'));
    expect(at('/é')).toBe(at('/%C3%A9'));
    expect(at('/a', { 'X-Tenant': 't1' })).toBe(at('/a', { 'x-tenant': 't1' }));
    expect(at('https://API.test:443/v1/a')).toBe(at('/v1/a'));
  });

  it(
    'through a real client, no request is answered with another request’s data',
    async () => {
      const runs = runsOf(300);
      let requests = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(parts.filter(usable), style), { minLength: 1, maxLength: 12 }).chain((list) =>
            // Repeats written another way, so that hits are tested as well as misses.
            fc.tuple(fc.constant(list), fc.array(fc.tuple(fc.nat(), style), { maxLength: 8 })),
          ),
          async ([list, repeats]) => {
            let sent = 0;
            const client = createClient({
              baseUrl: BASE,
              fetch: async (input, init) => {
                sent++;
                const request = new Request(input, init);
                const url = new URL(request.url);
                const echo = {
                  session: request.headers.get('x-session'),
                  segments: url.pathname === '/v1/' ? [] : url.pathname.slice('/v1/'.length).split('/').map(decodeURIComponent),
                  params: [...url.searchParams],
                  headers: VARY.map((name) => request.headers.get(name)),
                };
                return Response.json(echo, { headers: { 'Cache-Control': 'max-age=600', Vary: 'X-Tenant, Accept-Language, X-A' } });
              },
            });
            const all = [...list, ...repeats.map(([i, s]) => [list[i % list.length]![0], s] as const)];
            const distinct = new Set<string>();
            for (const [p, s] of all) {
              if (p.method !== 'GET') continue;
              requests++;
              distinct.add(canonical(p));
              client.namespace = p.namespace;
              const headers = headersOf(p, s);
              headers.set('x-session', p.namespace);
              const echo = (await client.get(urlOf(p, s), { headers })) as {
                session: string;
                segments: string[];
                params: string[][];
                headers: (string | null)[];
              };
              expect(echo.session, 'another namespace’s answer').toBe(p.namespace);
              expect(echo.segments, 'another path’s answer').toEqual(p.segments);
              expect(
                [...echo.params].sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0)),
                'another query’s answer',
              ).toEqual([...p.params].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
              expect(echo.headers, 'another variant’s answer').toEqual(VARY.map((name) => p.headers[name] ?? null));
            }
            // Every repeat written another way was a hit: one request per distinct request.
            expect(sent).toBe(distinct.size);
          },
        ),
        { numRuns: runs },
      );
      report('key injectivity (through a client)', runs, requests);
    },
    soakTimeout,
  );
});
