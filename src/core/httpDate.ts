/**
 * HTTP-date (RFC 9110 §5.6.7), strictly. `Date.parse` accepts nearly anything ("UTC", a missing
 * comma, a one-digit hour, ISO strings), which would turn an invalid `Expires`, meant as "already
 * expired", into a lifetime. A recipient must accept the three forms below and nothing else.
 */

// One pattern for the three forms, only to pull the parts out: IMF-fixdate
// `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` and
// asctime `Sun Nov  6 08:49:37 1994`. The rest is checked by the round trip below, without tables.
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';
const FORMS = new RegExp(
  `^${DAY}, (\\d\\d) (\\w{3}) (\\d{4}) ${TIME} GMT$|^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d\\d)-(\\w{3})-(\\d\\d) ${TIME} GMT$|^${DAY} (\\w{3}) ( \\d|\\d\\d) ${TIME} (\\d{4})$`,
);

/**
 * Milliseconds since the epoch of an HTTP-date, or `NaN` when `value` is not one. The weekday
 * must be a day name but is not checked against the date, as RFC 9110 asks nothing more of it.
 * @param value the field value, e.g. of `Date`, `Expires` or `Last-Modified`
 * @param now the recipient's clock (ms), to place an RFC 850 two-digit year
 */
export function parseHttpDate(value: string | undefined, now: number = Date.now()): number {
  const m = value?.match(FORMS);
  if (!m) return Number.NaN;
  // The parts in IMF-fixdate order: day, month, year, hours, minutes, seconds.
  let [, day, month, year, ...time] = m;
  if (m[7]) {
    // RFC 9110: a two-digit year more than 50 years ahead is the most recent past year ending so.
    const current = new Date(now).getUTCFullYear();
    const full = current - (current % 100) + +m[9]!;
    [day, month, year, ...time] = [m[7], m[8], `${full > current + 50 ? full - 100 : full}`, ...m.slice(10)];
  } else if (m[13]) [month, day, year, ...time] = [m[13], m[14]!.replace(' ', '0'), m[18], ...m.slice(15)];
  const [hours, minutes, seconds] = time;
  const ms = Date.UTC(+year!, 'JanFebMarAprMayJunJulAugSepOctNovDec'.indexOf(month!) / 3, +day!, +hours!, +minutes!, +seconds!);
  // The date must be exactly what `toUTCString` (whose format ECMA-262 fixes) writes for the
  // instant it names: no unknown or lowercase month, impossible day or hour 24 rolled over.
  return new Date(ms).toUTCString().slice(4) === ` ${day} ${month} ${year} ${hours}:${minutes}:${seconds} GMT` ? ms : Number.NaN;
}

/**
 * The `Age` field (RFC 9111 §5.1) in ms, or `undefined` when absent or invalid. Fetch joins
 * repeated lines into a list (`7200, 0`): the first member counts. Anything but digits in it
 * (`7200.0`, `-1`, `12abc`) makes the field invalid, and an invalid `Age` is ignored.
 */
export function parseAge(value: string | undefined): number | undefined {
  const first = value && /^\s*(\d+)\s*(,|$)/.exec(value)?.[1];
  return first ? Math.min(+first, 2 ** 31) * 1000 : undefined;
}
