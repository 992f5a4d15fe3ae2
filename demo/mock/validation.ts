import { parseIso } from './dates';
import type { NewEvent, TimeRange } from './db';
import { isEventKind, type DemoEvent } from './model';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

const MAX_TITLE_LENGTH = 500;

/** The `start`/`end` query of a feed request, as the half-open range it denotes. */
export function parseRange(params: URLSearchParams): Parsed<TimeRange> {
  const start = parseQueryDate(params.get('start'));
  const end = parseQueryDate(params.get('end'));
  if (start === undefined || end === undefined) return fail('start and end must be ISO dates or date-times');
  if (end <= start) return fail('end must be after start');
  return ok({ start, end });
}

/**
 * A `+` offset that reached us unencoded (`?start=2024-05-01T00:00:00+02:00`) decodes as a space;
 * restore it rather than reject what FullCalendar-style callers commonly send.
 */
function parseQueryDate(value: string | null): number | undefined {
  return value === null ? undefined : parseIso(value.replace(' ', '+'));
}

export function parseNewEvent(body: unknown): Parsed<NewEvent> {
  if (!isObject(body)) return fail('body must be a JSON object');
  const { title, start, end, allDay, kind = 'work-item' } = body;
  if (!isEventKind(kind)) return fail('kind must be work-item, coordination-event or staff-task');
  const checked = checkFields({ title, start, end, allDay });
  if (!checked.ok) return checked;
  if (typeof title !== 'string' || typeof start !== 'string') return fail('title and start are required');
  return ok({ ...checked.value, title: title.trim(), start, kind });
}

/** The event after a PATCH; `end: null` removes the end. The id and kind are fixed. */
export function applyPatch(event: DemoEvent, body: unknown): Parsed<DemoEvent> {
  if (!isObject(body)) return fail('body must be a JSON object');
  if (body.id !== undefined && body.id !== event.id) return fail('id cannot change');
  if (body.kind !== undefined && body.kind !== event.kind) return fail('kind cannot change: it is part of the id');
  const merged = {
    title: body.title ?? event.title,
    start: body.start ?? event.start,
    end: body.end === null ? undefined : (body.end ?? event.end),
    allDay: body.allDay ?? event.allDay,
  };
  const checked = checkFields(merged);
  if (!checked.ok) return checked;
  const { end, allDay, ...rest } = checked.value;
  return ok({
    ...rest,
    id: event.id,
    kind: event.kind,
    ...(end === undefined ? {} : { end }),
    ...(allDay === undefined ? {} : { allDay }),
  });
}

type Fields = Pick<DemoEvent, 'title' | 'start' | 'end' | 'allDay'>;

function checkFields(fields: Record<keyof Fields, unknown>): Parsed<Fields> {
  const { title, start, end, allDay } = fields;
  if (typeof title !== 'string' || title.trim() === '') return fail('title must be a non-empty string');
  if (title.length > MAX_TITLE_LENGTH) return fail(`title must be at most ${MAX_TITLE_LENGTH} characters`);
  const startMs = typeof start === 'string' ? parseIso(start) : undefined;
  if (typeof start !== 'string' || startMs === undefined) return fail('start must be an ISO date or date-time');
  let endText: string | undefined;
  if (end !== undefined) {
    const endMs = typeof end === 'string' ? parseIso(end) : undefined;
    if (typeof end !== 'string' || endMs === undefined) return fail('end must be an ISO date or date-time');
    if (endMs < startMs) return fail('end must not be before start');
    endText = end;
  }
  if (allDay !== undefined && typeof allDay !== 'boolean') return fail('allDay must be a boolean');
  return ok({
    title: title.trim(),
    start,
    ...(endText === undefined ? {} : { end: endText }),
    ...(typeof allDay === 'boolean' ? { allDay } : {}),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
