const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/;

export function isDateOnly(value: string): boolean {
  return DATE_ONLY.test(value);
}

/**
 * Milliseconds since the epoch for an ISO date or date-time, `undefined` when it is not one.
 * Values without an offset (date-only included) are read as UTC so the mock answers the same in
 * every time zone; JavaScript alone would read a naive date-time as local time.
 */
export function parseIso(value: string): number | undefined {
  if (DATE_ONLY.test(value)) return parseDay(value);
  const match = DATE_TIME.exec(value);
  if (match === null || match[1] === undefined || parseDay(match[1]) === undefined) return undefined;
  const ms = Date.parse(match[2] === undefined ? `${value}Z` : value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Rejects dates like 2024-02-30 that `Date.parse` would silently roll over. */
function parseDay(value: string): number | undefined {
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value ? undefined : ms;
}

/**
 * The instant an event stops occupying time. A missing or non-positive end gets FullCalendar's
 * default duration (one day, one hour) so zero-length events still overlap the day they are on.
 */
export function effectiveEnd(startMs: number, endMs: number | undefined, allDay: boolean): number {
  if (endMs !== undefined && endMs > startMs) return endMs;
  return startMs + (allDay ? DAY_MS : HOUR_MS);
}

export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** UTC date-time without milliseconds, e.g. `2024-05-03T09:30:00Z`. */
export function formatDateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function startOfUtcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

/** First day of the UTC month `offset` months from `date`'s month. */
export function startOfUtcMonth(date: Date, offset: number): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1);
}

export { DAY_MS, HOUR_MS };
