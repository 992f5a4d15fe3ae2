import type { TimeRange } from './db';
import { hash32 } from './random';

/**
 * A strong ETag for one feed response. It names the user and the version outright, so any
 * mutation of that user's data changes every one of their feed ETags at once.
 */
export function feedEtag(user: string, version: number, range: TimeRange): string {
  return `"${user}-v${version}-${hash32(`${user}|${version}|${range.start}|${range.end}`).toString(36)}"`;
}

/** `If-None-Match` uses weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored; `*` matches. */
export function ifNoneMatchMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const wanted = opaque(etag);
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || opaque(tag) === wanted;
  });
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
