/**
 * WITHOUT NOSTALE. Not part of the library: the left calendar's stand-in for the browser's HTTP
 * cache, which the post-mortems' apps left on.
 *
 * Why a stand-in: the mock backend answers from a service worker, and Chromium never puts a
 * service worker's responses in its HTTP cache. So the naive client does what the browser
 * would: it keeps each GET response by URL for its `max-age`, across reloads and tabs (the HTTP
 * cache is per profile), and reuses it without asking the server. Nothing ever invalidates it:
 * a DELETE to another URL does not touch the browser's cached copy of the feed either.
 */
const KEY = 'nostale-demo-app:naive-http-cache';

interface Stored {
  body: string;
  storedAt: number;
  maxAgeMs: number;
  /** What the server said of its own range cache (`X-Range-Cache`). */
  serverCache: string | null;
}

export interface NaiveAnswer {
  body: string;
  /** Who answered: the simulated browser HTTP cache, the server's range cache, or the data itself. */
  from: 'http-cache' | 'server-cache' | 'server';
  /** When the answered copy was made. */
  storedAt: number;
}

function load(): Record<string, Stored> {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, Stored>) : {};
  } catch {
    return {};
  }
}

function maxAgeOf(cacheControl: string | null): number {
  if (!cacheControl || /\bno-(store|cache)\b/.test(cacheControl)) return 0;
  const match = /\bmax-age=(\d+)/.exec(cacheControl);
  return match ? Number(match[1]) * 1000 : 0;
}

/** A GET as the browser's HTTP cache would answer it: a fresh copy if it has one, else the network. */
export async function cachedGet(url: string, now = Date.now()): Promise<NaiveAnswer> {
  const hit = load()[url];
  if (hit && now - hit.storedAt < hit.maxAgeMs) return { body: hit.body, from: 'http-cache', storedAt: hit.storedAt };

  // Plain fetch, default cache mode: what the post-mortems' apps called.
  let response: Response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error('the network is unreachable, and the browser has no copy it may reuse');
  }
  if (!response.ok) throw new Error(`the server answered ${response.status}`);
  const body = await response.text();
  const serverCache = response.headers.get('X-Range-Cache');
  const serverStored = /^hit; stored=(.+)$/.exec(serverCache ?? '')?.[1];
  const maxAgeMs = maxAgeOf(response.headers.get('Cache-Control'));
  if (maxAgeMs > 0) {
    try {
      localStorage.setItem(KEY, JSON.stringify({ ...load(), [url]: { body, storedAt: now, maxAgeMs, serverCache } }));
    } catch {
      // A full localStorage just means no caching, as a full HTTP cache would.
    }
  }
  return serverStored ? { body, from: 'server-cache', storedAt: Date.parse(serverStored) } : { body, from: 'server', storedAt: now };
}

/** What "Reset demo data" does to the left calendar: as if the browser's cache were emptied. */
export function clearHttpCache(): void {
  localStorage.removeItem(KEY);
}
