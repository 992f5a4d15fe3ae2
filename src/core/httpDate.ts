/**
 * HTTP-date (RFC 9110 §5.6.7), strictly. `Date.parse` accepts nearly anything ("UTC", a missing
 * comma, a one-digit hour, ISO strings), which would turn an invalid `Expires`, meant as "already
 * expired", into a lifetime. A recipient must accept the three forms below and nothing else.
 */

/**
 * Milliseconds since the epoch of an HTTP-date, or `NaN` when `value` is not one. The two obsolete
 * forms are rewritten as an IMF-fixdate, which must then be exactly what `toUTCString` (whose
 * format ECMA-262 fixes, and whose output `Date.parse` must read back) writes for the instant it
 * names: that rejects, without tables, a bad or lowercase month, a weekday that is not the date's,
 * an impossible day, hour 24, a missing comma, extra spaces and every zone but GMT.
 * @param value the field value, e.g. of `Date`, `Expires` or `Last-Modified`
 * @param now the recipient's clock (ms), to place an RFC 850 two-digit year
 */
export function parseHttpDate(value = '', now: number = Date.now()): number {
  // RFC 9110: an RFC 850 two-digit year more than 50 years ahead is the most recent past year ending so.
  const latest = new Date(now).getUTCFullYear() + 50;
  const imf = value
    // RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete).
    .replace(
      /^(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\d\d)-(\w{3})-(\d\d) /,
      (_, weekday: string, day, month, year) => `${weekday.slice(0, 3)}, ${day} ${month} ${latest - ((latest - year) % 100)} `,
    )
    // asctime `Sun Nov  6 08:49:37 1994` (obsolete).
    .replace(
      /^(\w{3}) (\w{3}) ( \d|\d\d) (\S{8}) (\d{4})$/,
      (_, weekday, month, day: string, time, year) => `${weekday}, ${day.replace(' ', '0')} ${month} ${year} ${time} GMT`,
    );
  const ms = Date.parse(imf);
  return new Date(ms).toUTCString() === imf ? ms : Number.NaN;
}

/**
 * The `Age` field (RFC 9111 §5.1) in ms, 0 when absent or invalid. Fetch joins repeated lines into
 * a list (`7200, 0`): the first member counts. Anything but digits in it (`7200.0`, `-1`, `12abc`)
 * makes the field invalid, and an invalid `Age` is ignored.
 */
export function parseAge(value: string | undefined): number {
  const first = value && /^\s*(\d+)\s*(,|$)/.exec(value)?.[1];
  return first ? Math.min(+first, 2 ** 31) * 1000 : 0;
}
