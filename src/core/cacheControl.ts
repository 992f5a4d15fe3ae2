/**
 * RFC 9111 freshness for a private (browser) cache. Written here rather than taken from
 * `http-cache-semantics`: we need a fraction of it, its directive matching is case-sensitive and
 * it ignores a Fetch `Headers` object, and it would be half of the core's size budget.
 */

import { varyNames } from './cacheKey.js';
import { parseAge, parseHttpDate } from './httpDate.js';

/** Directive name (lowercased) to value; `true` for a directive without one. */
export type Directives = Map<string, string | true>;

// One directive per list element: a name, an optional value (quoted strings may hold commas),
// then anything up to the next comma, which is ignored. Matching anywhere rather than from the
// start skips empty elements (`", no-store"`, which Fetch makes when it joins an empty header
// line with another: RFC 9110 5.6.1) and garbage, so one bad element cannot hide a later no-store.
const directive = /([^\s=,"]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?[^,]*/g;

/** The last value parsed and what it parsed to: most responses of an app repeat one or two values. */
let lastValue: string | undefined;
let lastParsed: Directives | undefined;

/** The directives of a `Cache-Control` value; the same (read-only) map for the same value as last time. */
export function parseCacheControl(value: string | null | undefined): Directives {
  if (value && value === lastValue) return lastParsed!;
  const out: Directives = new Map();
  if (!value) return out;
  lastValue = value;
  lastParsed = out;
  for (const [, rawName, raw] of value.matchAll(directive)) {
    const name = rawName!.toLowerCase();
    // RFC 9111 4.2.1 lets a cache use the first of duplicated directives.
    if (!out.has(name)) out.set(name, raw === undefined ? true : raw.trim().replace(/^"(.*)"$/, '$1'));
  }
  return out;
}

/** Delta-seconds as ms; `undefined` when absent, `NaN` when present but not a valid delta. */
function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (v === undefined) return undefined;
  return typeof v === 'string' && /^\d+$/.test(v) ? Math.min(+v, 2 ** 31) * 1000 : NaN;
}

export interface Freshness {
  /** False when the response must not be stored at all. */
  storable: boolean;
  /** Client time at which the response was generated, given its age. */
  storedAt: number;
  lifetime: number;
  staleWhileRevalidate: number;
  staleIfError: number;
  noCache: boolean;
  mustRevalidate: boolean;
}

/**
 * @param headers lowercase header names (as `Headers` iteration yields them)
 * @param requestTime client clock when the request went out
 * @param responseTime client clock when the response arrived
 * @param defaultTtl lifetime when the server gives none
 * @param own the response's own fields, whose `Date` and `Age` say how old it is: a 304's, when
 *   `headers` are the stored response's updated by it
 */
export function freshness(
  headers: Record<string, string | undefined>,
  requestTime: number,
  responseTime: number,
  defaultTtl: number,
  own = headers,
): Freshness {
  const cc = parseCacheControl(headers['cache-control']);

  // Without a valid Date there is no apparent age (NaN, which `|| 0` turns into none).
  const date = own.date === undefined ? Number.NaN : parseHttpDate(own.date, responseTime);
  const apparentAge = Math.max(0, responseTime - date) || 0;
  const initialAge = Math.max(apparentAge, parseAge(own.age) + (responseTime - requestTime));

  const maxAge = seconds(cc, 'max-age');
  let lifetime: number;
  if (maxAge !== undefined) lifetime = maxAge;
  else if (headers.expires !== undefined) {
    // An invalid Expires (e.g. "0", or a date `Date.parse` would guess at) means already expired.
    lifetime = parseHttpDate(headers.expires, responseTime) - (Number.isNaN(date) ? responseTime : date);
  } else lifetime = defaultTtl;
  if (!(lifetime > 0)) lifetime = 0;

  // Absent (undefined) and malformed (NaN) extensions are none; a valid one is never negative.
  const ext = (name: string) => seconds(cc, name) || 0;
  return {
    // `Vary: *` (a member of the list, anywhere in it): no request can ever match.
    storable: !cc.has('no-store') && !varyNames(headers.vary)?.includes('*'),
    storedAt: responseTime - initialAge,
    lifetime,
    staleWhileRevalidate: ext('stale-while-revalidate'),
    staleIfError: ext('stale-if-error'),
    // Any form of no-cache, including a qualified one, is taken as the strictest.
    noCache: cc.has('no-cache'),
    mustRevalidate: cc.has('must-revalidate'),
  };
}
