/**
 * Cache keys. A key is a JSON array of its parts, which makes the encoding injective without
 * escaping rules of our own: two requests share a key only when namespace, method, normalised
 * URL and the values of the headers named by `Vary` are all equal.
 */

import { selectingValue } from './varySelect.js';

/** Absolute URL without fragment, query parameters sorted by name (values keep their order). */
export function normalizeUrl(input: string, base: string): string {
  const url = new URL(input, base);
  url.hash = '';
  url.searchParams.sort();
  return url.href;
}

export function primaryKey(namespace: string, method: string, url: string): string {
  return JSON.stringify([namespace, method, url]);
}

/** The key of one variant, given the header names the stored response varied on. */
export function variantKey(primary: string, varyNames: readonly string[] | undefined, headers: Headers): string {
  if (!varyNames?.length) return primary;
  // Compared as RFC 9111 §4.1 allows: whitespace, and order and case in negotiation lists, select nothing.
  return `${primary.slice(0, -1)},${JSON.stringify(varyNames.map((name) => [name, selectingValue(name, headers.get(name))]))}]`;
}

/** `Vary` header names, lowercased and sorted, or undefined when the response does not vary. */
export function varyNames(vary: string | undefined): string[] | undefined {
  const names = vary
    ?.split(',')
    .map((n) => n.trim().toLowerCase())
    .filter(Boolean)
    .sort();
  return names?.length ? names : undefined;
}
