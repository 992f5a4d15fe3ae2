const encoder = new TextEncoder();

/** What a feed response depends on besides its data, which the scope's version stands for. */
export interface EtagInput {
  scope: string;
  version: string;
  build: string;
  /** Path and query, as the client asked for them. */
  url: string;
  accept: string;
  acceptLanguage: string;
}

/**
 * A weak tag naming the version outright (readable in logs) plus a hash of everything else, so a
 * deploy (`build`), another query, another format or language never matches an old copy. Weak,
 * because equal inputs give equivalent, not byte-identical, bodies (JSON key order, compression).
 */
export async function feedEtag(input: EtagInput): Promise<string> {
  const parts = [input.scope, input.version, input.build, input.url, input.accept, input.acceptLanguage];
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(JSON.stringify(parts))));
  let hex = '';
  for (const byte of digest.subarray(0, 12)) hex += byte.toString(16).padStart(2, '0');
  return `W/"${input.version}-${hex}"`;
}

/** `If-None-Match` by weak comparison (RFC 9110 §13.1.2): `W/` ignored, lists and `*` accepted. */
export function matchesIfNoneMatch(header: string | null | undefined, etag: string): boolean {
  if (!header) return false;
  const wanted = etag.replace(/^W\//, '');
  return header.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === wanted;
  });
}
