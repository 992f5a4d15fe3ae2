import type { CacheEntry, ScopeRecord } from '../types.js';

/**
 * What one `entries` record holds: a cache entry without its decoded `data`, plus two fields
 * derived from it for the prune's indexes (never handed out by `fromRecord`).
 */
export type EntryRecord = Omit<CacheEntry, 'data'> & {
  /**
   * When the entry can no longer be served at all: `storedAt + lifetime` plus the longer of its
   * stale windows. Absent when it has a validator, since a 304 can revive it at any age.
   */
  expires?: number;
  /**
   * `[build, namespace]`, or `[build, namespace, scope, mark]` for an entry of a scope: the
   * `stamp` index groups entries by what decides whether a version change killed them, so the
   * prune skips each live group with one cursor jump.
   */
  stamp: Stamp;
};

export type Stamp = [string, string] | [string, string, string, string];

/** Milliseconds after which an entry without a validator is past every window it could be served in. */
export const servableFor = (entry: CacheEntry): number => entry.lifetime + Math.max(entry.staleWhileRevalidate, entry.staleIfError);

const hasValidator = (entry: CacheEntry): boolean => entry.headers.etag !== undefined || entry.headers['last-modified'] !== undefined;

/**
 * The record to persist for `entry`: a fresh object holding the known fields only. Copying now,
 * rather than when the batch commits, keeps the `data` the client memoises on its entry a moment
 * later out of the database, along with anything else callers hang on the object (`statusText`).
 */
export function toRecord(entry: CacheEntry): EntryRecord {
  const stamp: Stamp =
    entry.scope === undefined ? [entry.build ?? '', entry.namespace] : [entry.build ?? '', entry.namespace, entry.scope, entry.mark ?? ''];
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
    stamp,
  };
  // Absent rather than `undefined`: smaller records, and equal to what a reader compares against.
  if (entry.scope !== undefined) record.scope = entry.scope;
  if (entry.version !== undefined) record.version = entry.version;
  if (entry.mark !== undefined) record.mark = entry.mark;
  if (entry.build !== undefined) record.build = entry.build;
  if (entry.vary !== undefined) record.vary = entry.vary;
  if (!hasValidator(entry)) record.expires = entry.storedAt + servableFor(entry);
  return record;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
// `instanceof ArrayBuffer` fails for buffers cloned in another realm (a worker, or Node's
// structuredClone under a DOM shim); the tag survives the trip.
const isArrayBuffer = (value: unknown): value is ArrayBuffer => Object.prototype.toString.call(value) === '[object ArrayBuffer]';

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
 * fields). The entry is a new object of one fixed shape, whatever the record's age or layout:
 * entries of one shape share a hidden class, and neither `data` (which a foreign or legacy
 * record might carry, and the client would take for the decoded body) nor the index fields get
 * through.
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
  const body = r.body as string | ArrayBuffer;
  return {
    key: r.key,
    namespace: r.namespace,
    url: r.url,
    status: r.status as number,
    headers: r.headers,
    body,
    size: (r.size as number | undefined) ?? (typeof body === 'string' ? body.length * 2 : body.byteLength),
    storedAt: r.storedAt,
    lifetime: r.lifetime,
    staleWhileRevalidate: (r.staleWhileRevalidate as number | undefined) ?? 0,
    staleIfError: (r.staleIfError as number | undefined) ?? 0,
    noCache: (r.noCache as boolean | undefined) ?? false,
    mustRevalidate: (r.mustRevalidate as boolean | undefined) ?? false,
    scope: r.scope as string | undefined,
    version: r.version as string | undefined,
    mark: r.mark as string | undefined,
    build: r.build as string | undefined,
    vary: r.vary as string[] | undefined,
    accessedAt: (r.accessedAt as number | undefined) ?? r.storedAt,
  };
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
  if (hasValidator(entry)) return undefined;
  return now >= entry.storedAt + servableFor(entry) ? 'expired' : undefined;
}
