import { HttpResponse } from 'msw';

export const VERSION_HEADER = 'X-Cache-Version';

/**
 * Cacheable, but only after revalidation; may be served stale for a day if the server errs or
 * the network is down. `no-store` would forbid nostale from keeping the feed at all.
 */
export const FEED_CACHE_CONTROL = 'private, no-cache, stale-if-error=86400';

/**
 * The naive feed's: the browser may reuse it for five minutes without asking, as the
 * post-mortems' apps allowed. nostale's feed never says this.
 */
export const NAIVE_FEED_CACHE_CONTROL = 'private, max-age=300';

/** On the naive feed: `hit; stored=<ISO time>` when the server's range cache answered, else `miss; …`. */
export const RANGE_CACHE_HEADER = 'X-Range-Cache';

/** Neither header is CORS-safelisted; without this a cross-origin client could not read them. */
export const EXPOSE_HEADERS = 'ETag, X-Cache-Version, X-Range-Cache';

export interface ApiError {
  error: 'bad-request' | 'not-found' | 'server-error';
  message: string;
}

export function errorResponse(status: 400 | 404 | 500, error: ApiError['error'], message: string, headers?: HeadersInit): Response {
  return HttpResponse.json<ApiError>({ error, message }, { status, headers });
}

/** Headers for anything a mutation returns or a version check reads: never stored anywhere. */
export function versionHeaders(version: number): Record<string, string> {
  return { [VERSION_HEADER]: String(version), 'Cache-Control': 'no-store' };
}
