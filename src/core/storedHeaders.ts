/**
 * Which response header fields a cache keeps (RFC 9111 §3.1) and how a 304 updates them (§3.2,
 * §4.3.4). Names are lowercase throughout, as `Headers` iteration yields them.
 */

import { varyNames } from './cacheKey.js';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1) and the proxy authentication fields (`Proxy-Authenticate`,
 * `-Authentication-Info`, `-Authorization`): they describe one connection or one proxy, never the
 * stored response, so a cache must not store them.
 */
const NEVER_STORED = /^(connection|keep-alive|te|transfer-encoding|upgrade|proxy-(connection|auth.*))$/;

/** The fields of `headers` a cache may store: all but hop-by-hop ones and those `Connection` names. */
export function storableHeaders(headers: Headers): Record<string, string> {
  // A comma-separated list of lowercase field names, parsed like Vary.
  const listed = varyNames(headers.get('connection') ?? undefined);
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    // Lowercased here too: not every Headers implementation does it.
    name = name.toLowerCase();
    if (!NEVER_STORED.test(name) && !listed?.includes(name)) kept[name] = value;
  });
  return kept;
}

/**
 * The stored fields after a 304: each field of the 304 replaces the stored one, except
 * `Content-Length`, which describes the 304's empty body, not the stored one.
 * @param stored the stored response's fields
 * @param notModified the 304's fields, already through `storableHeaders`
 */
export function updateStoredHeaders(stored: Record<string, string>, notModified: Record<string, string>): Record<string, string> {
  const { 'content-length': _, ...update } = notModified;
  return { ...stored, ...update };
}
