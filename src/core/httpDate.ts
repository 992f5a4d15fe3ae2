/**
 * HTTP-date (RFC 9110 §5.6.7), strictly. `Date.parse` accepts nearly anything ("UTC", a missing
 * comma, a one-digit hour, ISO strings), which would turn an invalid `Expires`, meant as "already
 * expired", into a lifetime. A recipient must accept the three forms below and nothing else.
 */

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';

/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d\\d) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete) */
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d\\d)-${MONTH}-(\\d\\d) ${TIME} GMT$`);
/** `Sun Nov  6 08:49:37 1994` (obsolete, C's asctime) */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d\\d) ${TIME} (\\d{4})$`);

/**
 * Milliseconds since the epoch of an HTTP-date, or `NaN` when `value` is not one.
 * @param value the field value, e.g. of `Date`, `Expires` or `Last-Modified`
 * @param now the recipient's clock (ms), to place an RFC 850 two-digit year
 */
export function parseHttpDate(value: string | undefined, now: number = Date.now()): number {
  if (value === undefined) return Number.NaN;
  let day: string | undefined;
  let month: string | undefined;
  let year: number;
  let time: string[];
  let m = IMF_FIXDATE.exec(value);
  if (m) {
    [, day, month] = m;
    year = +m[3]!;
    time = m.slice(4);
  } else if ((m = RFC_850.exec(value))) {
    [, day, month] = m;
    // RFC 9110: a two-digit year more than 50 years ahead is the most recent past year ending so.
    const current = new Date(now).getUTCFullYear();
    year = Math.floor(current / 100) * 100 + +m[3]!;
    if (year > current + 50) year -= 100;
    time = m.slice(4);
  } else if ((m = ASCTIME.exec(value))) {
    month = m[1];
    day = m[2];
    year = +m[6]!;
    time = m.slice(3, 6);
  } else return Number.NaN;
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  const monthIndex = MONTHS.indexOf(month!) / 3;
  const date = +day!;
  // 60 is a leap second; Date.UTC would roll an impossible day into the next month.
  if (hours > 23 || minutes > 59 || seconds > 60 || date < 1 || date > new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate()) {
    return Number.NaN;
  }
  return Date.UTC(year, monthIndex, date, hours, minutes, Math.min(seconds, 59));
}

/**
 * The `Age` field (RFC 9111 §5.1) in ms, or `undefined` when absent or invalid. Fetch joins
 * repeated lines into a list (`7200, 0`): the first member counts. Anything but digits in it
 * (`7200.0`, `-1`, `12abc`) makes the field invalid, and an invalid `Age` is ignored.
 */
export function parseAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const first = value.split(',', 1)[0]!.trim();
  return /^\d+$/.test(first) ? Math.min(+first, 2 ** 31) * 1000 : undefined;
}
