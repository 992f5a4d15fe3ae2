import type { CacheEntry, EntryFilter, ScopeRecord } from '../types.js';

/** What one `entries` record holds: a cache entry without its decoded `data`. */
export type EntryRecord = Omit<CacheEntry, 'data'>;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
// `instanceof ArrayBuffer` fails for buffers cloned in another realm (a worker, or Node's
// structuredClone under a DOM shim); the tag survives the trip.
const isArrayBuffer = (value: unknown): value is ArrayBuffer => Object.prototype.toString.call(value) === '[object ArrayBuffer]';

/**
 * The record to persist for `entry`: a fresh object holding the known fields only. Copying now,
 * rather than when the batch commits, keeps the `data` the client memoises on its entry a moment
 * later out of the database, along with anything else callers hang on the object (`statusText`).
 */
export function toRecord(entry: CacheEntry): EntryRecord {
  const record: EntryRecord = {
    key: entry.key,
    namespace: entry.namespace,
    url: entry.url,
    status: entry.status,
    headers: entry.headers,
    body: entry.body,
    size: entry.size,
    storedAt: entry.storedAt,
    lifetime: entry.lifetime,
    staleWhileRevalidate: entry.staleWhileRevalidate,
    staleIfError: entry.staleIfError,
    noCache: entry.noCache,
    mustRevalidate: entry.mustRevalidate,
    accessedAt: entry.accessedAt,
  };
  // Absent rather than `undefined`: smaller records, and equal to what a reader compares against.
  if (entry.scope !== undefined) record.scope = entry.scope;
  if (entry.version !== undefined) record.version = entry.version;
  if (entry.mark !== undefined) record.mark = entry.mark;
  if (entry.build !== undefined) record.build = entry.build;
  if (entry.vary !== undefined) record.vary = entry.vary;
  return record;
}

const optionalString = (value: unknown) => value === undefined || typeof value === 'string';
const optionalNumber = (value: unknown) => value === undefined || isFiniteNumber(value);
const optionalBoolean = (value: unknown) => value === undefined || typeof value === 'boolean';

function isHeaders(value: unknown): value is Record<string, string> {
  if (!isObject(value) || Array.isArray(value)) return false;
  for (const name in value) if (typeof value[name] !== 'string') return false;
  return true;
}

/**
 * A stored value as a cache entry, or undefined when it is not one of ours (wrong types, missing
 * fields). Works in place on the freshly deserialised value, since a read is the hot path: fills
 * defaults for fields older layouts may lack, and deletes `data`, which a foreign or legacy
 * record might carry and the client would otherwise take for the decoded body.
 */
export function fromRecord(value: unknown): CacheEntry | undefined {
  if (!isObject(value)) return undefined;
  const r = value;
  if (
    typeof r.key !== 'string' ||
    typeof r.namespace !== 'string' ||
    typeof r.url !== 'string' ||
    !Number.isInteger(r.status) ||
    !isHeaders(r.headers) ||
    !(typeof r.body === 'string' || isArrayBuffer(r.body)) ||
    !isFiniteNumber(r.storedAt) ||
    !isFiniteNumber(r.lifetime) ||
    !optionalNumber(r.size) ||
    !optionalNumber(r.staleWhileRevalidate) ||
    !optionalNumber(r.staleIfError) ||
    !optionalNumber(r.accessedAt) ||
    !optionalBoolean(r.noCache) ||
    !optionalBoolean(r.mustRevalidate) ||
    !optionalString(r.scope) ||
    !optionalString(r.version) ||
    !optionalString(r.mark) ||
    !optionalString(r.build) ||
    !(r.vary === undefined || (Array.isArray(r.vary) && r.vary.every((name) => typeof name === 'string')))
  ) {
    return undefined;
  }
  if ('data' in r) delete r.data;
  r.size ??= typeof r.body === 'string' ? r.body.length * 2 : (r.body as ArrayBuffer).byteLength;
  r.staleWhileRevalidate ??= 0;
  r.staleIfError ??= 0;
  r.noCache ??= false;
  r.mustRevalidate ??= false;
  r.accessedAt ??= r.storedAt;
  return r as unknown as CacheEntry;
}

/** A stored scope state, or undefined when it is not one. */
export function fromScopeRecord(value: unknown): ScopeRecord | undefined {
  if (!isObject(value)) return undefined;
  const { namespace, scope, token, mark, local } = value;
  if (typeof namespace !== 'string' || typeof scope !== 'string' || typeof mark !== 'string' || !optionalString(token)) return undefined;
  return { namespace, scope, token: token as string | undefined, mark, local: local === true };
}

/** The scope record to persist: the known fields only, `token` absent when unknown. */
export function toScopeRecord(record: ScopeRecord): ScopeRecord {
  const out: ScopeRecord = { namespace: record.namespace, scope: record.scope, mark: record.mark, local: record.local };
  if (record.token !== undefined) out.token = record.token;
  return out;
}

export const matches = (entry: CacheEntry, filter: EntryFilter | undefined): boolean =>
  (filter?.namespace === undefined || entry.namespace === filter.namespace) && (!filter?.where || filter.where(entry));

/**
 * Why a persisted entry can never be served again, or undefined while it still may be.
 * - `version`: its scope has moved on (the mark differs from the persisted scope's, or the scope
 *   has no persisted state, so a reloaded client draws a new mark for it), or it is of another
 *   build than the current one.
 * - `expired`: past every window in which it could be served (`lifetime` plus the longer of
 *   `stale-while-revalidate` and `stale-if-error`) and without a validator that could revive it
 *   with a 304.
 */
export function deadReason(
  entry: CacheEntry,
  now: number,
  scopeMark: (namespace: string, scope: string) => string | undefined,
  build: string | undefined,
): 'version' | 'expired' | undefined {
  if (build !== undefined && entry.build !== build) return 'version';
  if (entry.scope !== undefined && scopeMark(entry.namespace, entry.scope) !== entry.mark) return 'version';
  if (entry.headers.etag !== undefined || entry.headers['last-modified'] !== undefined) return undefined;
  const end = entry.storedAt + entry.lifetime + Math.max(entry.staleWhileRevalidate, entry.staleIfError);
  return now >= end ? 'expired' : undefined;
}
