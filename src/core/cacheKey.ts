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

/**
 * `JSON.stringify([namespace, method, url])`, joined rather than stringified: V8's JSON.stringify
 * answers a result over 32 characters as a rope of parts (about 50 B more per key, kept as long as
 * the entry is, and slower to hash and compare), `join` as one flat string.
 */
export function primaryKey(namespace: string, method: string, url: string): string {
  return ['[', JSON.stringify(namespace), ',', JSON.stringify(method), ',', JSON.stringify(url), ']'].join('');
}

/**
 * Two strings in a GET key's frame, free of what JSON.stringify escapes (`"`, `\`, controls, lone
 * surrogates; here any surrogate): exactly six quotes. A class of what may appear, not of what may not.
 */
const plainGetKey = /^\["[ !#-[\]-\ud7ff\ue000-\uffff]*","GET","[ !#-[\]-\ud7ff\ue000-\uffff]*"\]$/;

/**
 * Whether `key` is `primaryKey(namespace, 'GET', url)`, without building that key (JSON.stringify
 * of a short array costs about half a microsecond). It may answer false for a key that is, when
 * the namespace or URL holds a character JSON escapes; never true for one that is not. (`endsWith`
 * at a position: `startsWith` at one costs several times more in V8.)
 */
export const isPrimaryGetKey = (key: string, namespace: string, url: string): boolean =>
  key.length === namespace.length + url.length + 13 &&
  plainGetKey.test(key) &&
  key.endsWith(namespace, namespace.length + 2) &&
  key.endsWith('","GET","', namespace.length + 11) &&
  key.endsWith(url, key.length - 2);

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
