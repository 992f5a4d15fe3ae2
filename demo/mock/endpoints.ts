import { HttpResponse } from 'msw';
import type { DemoDb } from './db';
import { feedEtag, ifNoneMatchMatches } from './etag';
import type { Endpoint } from './pipeline';
import type { RangeCache } from './rangeCache';
import {
  errorResponse,
  FEED_CACHE_CONTROL,
  NAIVE_FEED_CACHE_CONTROL,
  RANGE_CACHE_HEADER,
  VERSION_HEADER,
  versionHeaders,
} from './responses';
import { applyPatch, parseNewEvent, parseRange } from './validation';

type UserParams = { user: string };
type EventParams = { user: string; id: string };

/** `GET /users/:user/events?start&end`: the feed, revalidated by ETag. */
export function listEvents(db: DemoDb): Endpoint<UserParams> {
  return ({ request, user }) => {
    const range = parseRange(new URL(request.url).searchParams);
    if (!range.ok) return errorResponse(400, 'bad-request', range.message);
    const { version, events } = db.listEvents(user, range.value);
    const etag = feedEtag(user, version, range.value);
    const headers = { ETag: etag, [VERSION_HEADER]: String(version), 'Cache-Control': FEED_CACHE_CONTROL };
    if (ifNoneMatchMatches(request.headers.get('If-None-Match'), etag)) {
      return new HttpResponse(null, { status: 304, headers });
    }
    return HttpResponse.json(events, { headers });
  };
}

/**
 * `GET /naive/users/:user/events?start&end`: the feed as the post-mortems' backends served it.
 * Cacheable by the browser for five minutes, answered from a cache keyed by date range, no
 * version, no ETag. Only the "without nostale" calendar reads it.
 */
export function listEventsNaive(db: DemoDb, cache: RangeCache): Endpoint<UserParams> {
  return ({ request, user }) => {
    const range = parseRange(new URL(request.url).searchParams);
    if (!range.ok) return errorResponse(400, 'bad-request', range.message);
    const cached = cache.get(user, range.value);
    const events = cached?.events ?? db.listEvents(user, range.value).events;
    if (!cached) cache.set(user, range.value, events);
    const storedAt = new Date(cached?.storedAt ?? Date.now()).toISOString();
    return HttpResponse.json(events, {
      headers: { 'Cache-Control': NAIVE_FEED_CACHE_CONTROL, [RANGE_CACHE_HEADER]: `${cached ? 'hit' : 'miss'}; stored=${storedAt}` },
    });
  };
}

/** `GET /users/:user/version`: one small request that revalidates the whole scope. */
export function getVersion(db: DemoDb): Endpoint<UserParams> {
  return ({ user }) => {
    const version = db.version(user);
    return HttpResponse.json({ version: String(version) }, { headers: versionHeaders(version) });
  };
}

/** `POST /users/:user/events`. */
export function createEvent(db: DemoDb, cache: RangeCache): Endpoint<UserParams> {
  return async ({ request, user }) => {
    const input = parseNewEvent(await readBody(request));
    if (!input.ok) return errorResponse(400, 'bad-request', input.message, versionHeaders(db.version(user)));
    const { version, event } = db.createEvent(user, input.value);
    cache.invalidateMonthsOf(user, [event]);
    return HttpResponse.json(event, { status: 201, headers: versionHeaders(version) });
  };
}

/** `PATCH /users/:user/events/:id`, `:id` being a full id or a bare primary key. */
export function updateEvent(db: DemoDb, cache: RangeCache): Endpoint<EventParams> {
  return async ({ request, user, params }) => {
    const current = db.findEvent(user, params.id);
    if (current === undefined) return notFound(db.version(user), params.id);
    const next = applyPatch(current, await readBody(request));
    if (!next.ok) return errorResponse(400, 'bad-request', next.message, versionHeaders(db.version(user)));
    const saved = db.replaceEvent(user, next.value);
    if (saved === undefined) return notFound(db.version(user), params.id);
    cache.invalidateMonthsOf(user, [current, next.value]);
    return HttpResponse.json(next.value, { headers: versionHeaders(saved.version) });
  };
}

/** `DELETE /users/:user/events/:id`; deleting what is already gone is a 404 and bumps nothing. */
export function deleteEvent(db: DemoDb, cache: RangeCache): Endpoint<EventParams> {
  return ({ user, params }) => {
    const event = db.findEvent(user, params.id);
    const deleted = db.deleteEvent(user, params.id);
    if (deleted === undefined || event === undefined) return notFound(db.version(user), params.id);
    cache.invalidateMonthsOf(user, [event]);
    return new HttpResponse(null, { status: 204, headers: versionHeaders(deleted.version) });
  };
}

/** Carries the current version so the client still learns it from a failed mutation. */
function notFound(version: number, id: string): Response {
  return errorResponse(404, 'not-found', `Event ${id} does not exist`, versionHeaders(version));
}

async function readBody(request: Request): Promise<unknown> {
  try {
    return (await request.json()) as unknown;
  } catch {
    return undefined;
  }
}
