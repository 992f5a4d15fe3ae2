import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { freshness, parseCacheControl } from '../../src/core/cacheControl.js';

const at = 1_000_000_000_000;
const fresh = (headers: Record<string, string>, defaultTtl = 0) => freshness(headers, at, at, defaultTtl);

describe('Cache-Control parsing (RFC 9111 section 5.2)', () => {
  it('matches directive names case-insensitively and keeps arguments', () => {
    const d = parseCacheControl('nO-StOrE, Max-Age=60, private="Set-Cookie"');
    expect([...d]).toEqual([
      ['no-store', true],
      ['max-age', '60'],
      ['private', 'Set-Cookie'],
    ]);
  });

  it('uses the first of duplicated directives and tolerates odd spacing', () => {
    expect(fresh({ 'cache-control': 'max-age=1 ,  max-age=3600' }).lifetime).toBe(1000);
  });

  it('accepts the quoted form of max-age', () => {
    expect(fresh({ 'cache-control': 'max-age="30"' }).lifetime).toBe(30_000);
  });

  it('treats a malformed max-age conservatively: stale, not the default and not Expires', () => {
    for (const bad of ['max-age=-1', 'max-age=1.5', 'max-age=abc', 'max-age']) {
      expect(fresh({ 'cache-control': bad, expires: new Date(at + 60_000).toUTCString() }, 5000).lifetime, bad).toBe(0);
    }
  });

  it('ignores unknown directives and shared-cache ones', () => {
    expect(fresh({ 'cache-control': 'foo=bar, s-maxage=999, proxy-revalidate, max-age=10' })).toMatchObject({
      lifetime: 10_000,
      mustRevalidate: false,
    });
  });
});

describe('Cache-Control list syntax (RFC 9110 section 5.6.1), fuzzed', () => {
  const name = fc.constantFrom('no-store', 'no-cache', 'max-age', 'private', 'must-revalidate', 'stale-if-error', 'x-ext');
  const value = fc.option(
    fc.oneof(
      fc.nat({ max: 99999 }).map(String),
      fc.string({ maxLength: 6 }).map((v) => `"${v.replace(/["\\]/g, '')}"`),
    ),
    {
      nil: undefined,
    },
  );
  const directive = fc.tuple(name, value);
  /** Separators as senders and Fetch produce them: optional spaces, and empty list elements. */
  const separator = fc.array(fc.constantFrom(',', ' ', '\t'), { minLength: 0, maxLength: 4 }).map((parts) => `${parts.join('')},`);

  it('empty list elements and spacing never change what a list says', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(directive, separator), { minLength: 1, maxLength: 6 }), separator, (items, lead) => {
        const text = lead + items.map(([[n, v], sep]) => `${n}${v === undefined ? '' : `=${v}`}${sep}`).join('');
        const expected = new Map<string, string | true>();
        for (const [[n, v]] of items) if (!expected.has(n)) expected.set(n, v === undefined ? true : v.replace(/^"(.*)"$/, '$1'));
        expect(parseCacheControl(text)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('no element, however malformed, hides a later no-store', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((g) => !g.includes('"')),
        (garbage) => {
          expect(parseCacheControl(`${garbage}, no-store`).has('no-store')).toBe(true);
          expect(fresh({ 'cache-control': `${garbage},,no-store` }).storable).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('ignores the empty elements Fetch makes when it joins an empty header line', () => {
    expect(fresh({ 'cache-control': ', no-store' }).storable).toBe(false);
    expect(fresh({ 'cache-control': 'no-cache,,no-store' }).storable).toBe(false);
    expect(fresh({ 'cache-control': ' , , max-age=60' }).lifetime).toBe(60_000);
  });
});

describe('freshness (RFC 9111 section 4.2)', () => {
  it('no-store is not storable, in any case; Vary: * is not either', () => {
    expect(fresh({ 'cache-control': 'No-Store' }).storable).toBe(false);
    expect(fresh({ vary: '*' }).storable).toBe(false);
    expect(fresh({ vary: 'Accept, *' }).storable).toBe(false);
    expect(fresh({ vary: 'Accept' }).storable).toBe(true);
  });

  it('Expires minus Date, and an invalid Expires is already expired', () => {
    const date = new Date(at - 10_000).toUTCString();
    expect(fresh({ date, expires: new Date(at + 50_000).toUTCString() }).lifetime).toBe(60_000);
    expect(fresh({ expires: '0' }, 5000).lifetime).toBe(0);
  });

  it('an Age header and the apparent age from Date both age the response; an invalid Age is ignored', () => {
    expect(fresh({ 'cache-control': 'max-age=60', age: '50' }).storedAt).toBe(at - 50_000);
    expect(fresh({ 'cache-control': 'max-age=60', age: '7200.0' }).storedAt).toBe(at);
    expect(fresh({ 'cache-control': 'max-age=60', age: '-5' }).storedAt).toBe(at);
    expect(fresh({ 'cache-control': 'max-age=60', date: new Date(at - 20_000).toUTCString() }).storedAt).toBe(at - 20_000);
  });

  it('counts the time the request was in flight as age', () => {
    expect(freshness({ 'cache-control': 'max-age=60', age: '10' }, at - 2000, at, 0).storedAt).toBe(at - 12_000);
  });

  it('reads no-cache (also the qualified form), must-revalidate, stale-while-revalidate and stale-if-error', () => {
    expect(fresh({ 'cache-control': 'no-cache="set-cookie", max-age=60' })).toMatchObject({ noCache: true });
    expect(fresh({ 'cache-control': 'max-age=1, must-revalidate, stale-while-revalidate=30, stale-if-error=600' })).toMatchObject({
      mustRevalidate: true,
      staleWhileRevalidate: 30_000,
      staleIfError: 600_000,
    });
  });

  it('applies the default TTL only when the server gives no lifetime', () => {
    expect(fresh({}, 5000).lifetime).toBe(5000);
    expect(fresh({ 'cache-control': 'max-age=0' }, 5000).lifetime).toBe(0);
  });
});

describe('freshness on the miss path', () => {
  it("takes Date and Age from the response's own fields when they are given apart (a 304's), the rest from the merged fields", () => {
    const stored = { 'cache-control': 'max-age=60', date: new Date(at - 50_000).toUTCString(), age: '40' };
    // The 304 was generated 5 s ago and says nothing of Age: the stored response's 40 s and 50 s no longer count.
    const notModified = { date: new Date(at - 5_000).toUTCString() };
    const f = freshness({ ...stored, ...notModified }, at, at, 0, notModified);
    expect(f.storedAt).toBe(at - 5_000);
    expect(f.lifetime).toBe(60_000);
    // Without `own`, the fields given are the response's own.
    expect(freshness(stored, at, at, 0).storedAt).toBe(at - 50_000);
  });

  it('parses each value afresh when values alternate, and answers the same directives for a repeated one', () => {
    const values = ['max-age=60', 'no-store', 'max-age=60', 'max-age=60, must-revalidate', '', 'MAX-AGE=5', 'max-age=60'];
    for (const value of values) {
      expect([...parseCacheControl(value)]).toEqual(
        value === ''
          ? []
          : value
              .split(',')
              .map((part) => part.trim().toLowerCase().split('='))
              .map(([name, arg]) => [name, arg ?? true]),
      );
    }
    expect(fresh({ 'cache-control': 'max-age=60' }).lifetime).toBe(60_000);
    expect(fresh({ 'cache-control': 'no-store' }).storable).toBe(false);
    expect(fresh({ 'cache-control': 'max-age=60' }).storable).toBe(true);
  });
});
