/**
 * Which response header fields a cache keeps (RFC 9111 §3.1) and how a 304 updates them (§3.2,
 * §4.3.4). Names are lowercase throughout, as `Headers` iteration yields them.
 */

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) and the proxy authentication fields: they describe one
 * connection or one proxy, never the stored response, so a cache must not store them.
 */
const NEVER_STORED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authentication-info',
  'proxy-authorization',
]);

/** The fields of `headers` a cache may store: all but hop-by-hop ones and those `Connection` names. */
export function storableHeaders(headers: Record<string, string>): Record<string, string> {
  const listed = headers.connection?.toLowerCase().split(',') ?? [];
  const drop = (name: string) => NEVER_STORED.has(name) || listed.some((option) => option.trim() === name);
  const kept: Record<string, string> = {};
  for (const name in headers) if (!drop(name)) kept[name] = headers[name]!;
  return kept;
}

/**
 * The stored fields after a 304: each field of the 304 replaces the stored one, except those a
 * cache never stores and `Content-Length`, which describes the 304's empty body, not the stored one.
 * @param stored the stored response's fields
 * @param notModified the 304's fields
 */
export function updateStoredHeaders(stored: Record<string, string>, notModified: Record<string, string>): Record<string, string> {
  const { 'content-length': _, ...update } = storableHeaders(notModified);
  return { ...stored, ...update };
}
