import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAge, parseHttpDate } from '../../src/core/httpDate.js';
import { storableHeaders, updateStoredHeaders } from '../../src/core/storedHeaders.js';
import { selectingValue } from '../../src/core/varySelect.js';

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('HTTP-date (RFC 9110 §5.6.7)', () => {
  it('accepts the three forms a recipient must accept', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(NOV_6_1994);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2026, 0, 1))).toBe(NOV_6_1994);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(NOV_6_1994);
    expect(parseHttpDate('Wed Nov 16 08:49:37 1994')).toBe(Date.UTC(1994, 10, 16, 8, 49, 37));
  });

  it('places a two-digit year in the past 50 years rather than the next century', () => {
    const now = Date.UTC(2026, 5, 1);
    expect(new Date(parseHttpDate('Thursday, 01-Jan-26 00:00:00 GMT', now)).getUTCFullYear()).toBe(2026);
    expect(new Date(parseHttpDate('Wednesday, 01-Jan-76 00:00:00 GMT', now)).getUTCFullYear()).toBe(2076);
    expect(new Date(parseHttpDate('Saturday, 01-Jan-77 00:00:00 GMT', now)).getUTCFullYear()).toBe(1977);
  });

  it.each([
    ['UTC instead of GMT', 'Sun, 06 Nov 1994 08:49:37 UTC'],
    ['a missing comma', 'Sun 06 Nov 1994 08:49:37 GMT'],
    ['extra spaces', 'Sun,  06 Nov 1994 08:49:37 GMT'],
    ['dashes in an IMF-fixdate', 'Sun, 06-Nov-1994 08:49:37 GMT'],
    ['a one-digit hour', 'Sun, 06 Nov 1994 8:49:37 GMT'],
    ['a one-digit day', 'Sun, 6 Nov 1994 08:49:37 GMT'],
    ['lowercase month', 'Sun, 06 nov 1994 08:49:37 GMT'],
    ['lowercase weekday', 'sun, 06 Nov 1994 08:49:37 GMT'],
    ['a weekday that is not the date’s', 'Mon, 06 Nov 1994 08:49:37 GMT'],
    ['an RFC 850 weekday that is not a day name', 'Sunxday, 06-Nov-94 08:49:37 GMT'],
    ['an asctime date with a zone', 'Sun Nov  6 08:49:37 1994 GMT'],
    ['no zone', 'Sun, 06 Nov 1994 08:49:37'],
    ['a numeric zone', 'Sun, 06 Nov 1994 08:49:37 +0000'],
    ['ISO 8601', '1994-11-06T08:49:37Z'],
    ['a number', '0'],
    ['an impossible day', 'Wed, 31 Feb 2024 00:00:00 GMT'],
    ['hour 24', 'Sun, 06 Nov 1994 24:00:00 GMT'],
    ['trailing text', 'Sun, 06 Nov 1994 08:49:37 GMT x'],
    ['empty', ''],
  ])('rejects %s', (_, value) => {
    expect(parseHttpDate(value)).toBeNaN();
  });

  it('reads back every IMF-fixdate that Date#toUTCString writes', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
        const second = Math.floor(ms / 1000) * 1000;
        expect(parseHttpDate(new Date(second).toUTCString())).toBe(second);
      }),
    );
  });

  it('never throws and never accepts what none of the three forms matches', () => {
    const forms =
      /^(\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT|\w+, \d\d-\w{3}-\d\d \d\d:\d\d:\d\d GMT|\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4})$/;
    fc.assert(
      fc.property(fc.string(), (value) => {
        const parsed = parseHttpDate(value);
        if (!Number.isNaN(parsed)) expect(value).toMatch(forms);
      }),
    );
  });
});

describe('Age (RFC 9111 §5.1)', () => {
  it('is whole seconds, and a list takes its first member', () => {
    expect(parseAge('60')).toBe(60_000);
    expect(parseAge(' 60 ')).toBe(60_000);
    expect(parseAge('7200, 0')).toBe(7_200_000);
    expect(parseAge(undefined)).toBe(0);
  });

  it.each(['7200.0', '-1', '12abc', '', 'abc, 5', '1e3'])('ignores the invalid value %j', (value) => {
    expect(parseAge(value)).toBe(0);
  });
});

describe('fields a cache stores (RFC 9111 §3.1) and 304 updates (§3.2, §4.3.4)', () => {
  it('drops hop-by-hop fields, the fields Connection names, and proxy authentication fields', () => {
    const stored = storableHeaders(
      new Headers({
        connection: 'close, X-Hop',
        'x-hop': '1',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        'proxy-authenticate': 'Basic',
        'proxy-authentication-info': 'nextnonce=x',
        'proxy-authorization': 'Basic abc',
        etag: '"v1"',
        'cache-control': 'max-age=60',
        'x-cache-version': '7',
      }),
    );
    expect(stored).toEqual({ etag: '"v1"', 'cache-control': 'max-age=60', 'x-cache-version': '7' });
  });

  it('a 304 replaces stored fields except Content-Length and the never-stored ones', () => {
    const stored = { etag: '"v1"', 'content-length': '512', 'content-type': 'application/json', 'x-cache-version': '7' };
    const notModified = new Headers({
      etag: '"v1"',
      'content-length': '0',
      'x-cache-version': '8',
      'cache-control': 'max-age=5',
      connection: 'close',
    });
    expect(updateStoredHeaders(stored, storableHeaders(notModified))).toEqual({
      etag: '"v1"',
      'content-length': '512',
      'content-type': 'application/json',
      'x-cache-version': '8',
      'cache-control': 'max-age=5',
    });
  });
});

describe('Vary selecting values (RFC 9111 §4.1)', () => {
  it('ignores whitespace the list syntax allows, and order and case in language and encoding lists', () => {
    expect(selectingValue('accept-language', 'en-US, fr;q=0.5')).toBe(selectingValue('accept-language', 'FR; q=0.5,en-us'));
    expect(selectingValue('accept-encoding', 'gzip,  br')).toBe(selectingValue('accept-encoding', 'br, gzip'));
    expect(selectingValue('accept', 'text/html, application/json')).toBe(selectingValue('accept', 'text/html,application/json'));
  });

  it('keeps what changes the meaning: order of Accept, commas inside other fields, absence', () => {
    expect(selectingValue('accept', 'a/b, c/d')).not.toBe(selectingValue('accept', 'c/d, a/b'));
    expect(selectingValue('x-tenant', 'acme, inc')).not.toBe(selectingValue('x-tenant', 'acme,inc'));
    expect(selectingValue('authorization', 'Bearer A')).not.toBe(selectingValue('authorization', 'Bearer a'));
    expect(selectingValue('accept-language', null)).toBeNull();
    expect(selectingValue('accept-language', '')).not.toBeNull();
  });
});
