import { HttpResponse } from 'msw';

export const VERSION_HEADER = 'X-Cache-Version';

/**
 * Cacheable, but only after revalidation; may be served stale for a day if the server errs or
 * the network is down. `no-store` would forbid nostale from keeping the feed at all.
 */
export const FEED_CACHE_CONTROL = 'private, no-cache, stale-if-error=86400';

/** Neither header is CORS-safelisted; without this a cross-origin client could not read them. */
export const EXPOSE_HEADERS = 'ETag, X-Cache-Version';

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
