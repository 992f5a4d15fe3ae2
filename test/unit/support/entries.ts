import type { CacheEntry } from '../../../src/index.js';

/** A fresh, small stored entry of alice's under `key`, with `extra` fields overriding. */
export const entry = (key: string, extra: Partial<CacheEntry> = {}): CacheEntry => ({
  key,
  namespace: 'alice',
  url: `http://api.test/${key}`,
  status: 200,
  headers: {},
  body: '{}',
  size: 2,
  storedAt: 0,
  lifetime: 1000,
  staleWhileRevalidate: 0,
  staleIfError: 0,
  noCache: false,
  mustRevalidate: false,
  accessedAt: 0,
  ...extra,
});
