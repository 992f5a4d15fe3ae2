import type { EntryFilter, ScopeRecord } from '../types.js';
import { describe } from './errors.js';
import { compareTokens } from '../core/scopes.js';
import { fromRecord, fromScopeRecord, toRecord, type EntryRecord } from './record.js';
import { request } from './request.js';
import { ENTRIES, SCOPES } from './schema.js';
import { selectKeys } from './select.js';

/** A key's latest queued write, until committed: `record` undefined means deleted. */
export interface Pending {
  key: string;
  record?: EntryRecord;
}

export type ClearOp = {
  type: 'clear';
  filter?: EntryFilter;
  pendings: Pending[];
  /** Scope records that go with the entries: a namespace's (a logout), or all (`true`). */
  scopes?: string | true;
  /**
   * Set by `IdbStore.remove`: the keys of the entries it deleted go here, and exact URLs of one
   * namespace are selected by the keys the client gives them (see `clientKeys`), not by index.
   */
  removed?: string[];
};

/** One queued write. A batch is a list of them, applied in order in one transaction. */
export type Op =
  | { type: 'put'; pending: Pending }
  | { type: 'delete'; pendings: Pending[] }
  | ClearOp
  | { type: 'scopes'; records: ScopeRecord[] }
  | { type: 'unscope'; keys: IDBValidKey[] }
  | { type: 'touch'; at: Map<string, number> };

/** Every error seen for one failed batch: the transaction's and its requests'. */
export class BatchError extends Error {
  constructor(readonly errors: unknown[]) {
    super(errors.map(describe).join('; ') || 'transaction aborted');
  }
}

/** Whether an operation writes scope records. */
export const usesScopes = (op: Op): boolean =>
  op.type === 'scopes' || op.type === 'unscope' || (op.type === 'clear' && op.scopes !== undefined);

/**
 * Applies a batch in one readwrite transaction, in queue order, and settles once it committed.
 * Rejects with a {@link BatchError} when it aborted. Answers an error that made one value
 * unstorable (skipped, the rest committed), for the caller to report.
 */
export async function writeBatch(native: IDBDatabase, ops: readonly Op[]): Promise<unknown> {
  // A lost cache write costs a refetch; a lost delete, clear or scope mark could bring back
  // stale or another user's data after a crash, so those keep the default durability.
  const relaxed = ops.every((op) => op.type === 'put' || op.type === 'touch');
  const tx = native.transaction(ops.some(usesScopes) ? [ENTRIES, SCOPES] : ENTRIES, 'readwrite', {
    durability: relaxed ? 'relaxed' : 'default',
  });
  const errors: unknown[] = [];
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(new BatchError([tx.error, ...errors].filter(Boolean)));
  });
  // Handled below by `await done`; until then an early abort must not count as unhandled.
  done.catch(() => undefined);
  const entries = tx.objectStore(ENTRIES);
  // Only a batch with scope records has the scopes store in its transaction.
  const scopes = () => tx.objectStore(SCOPES);
  let skipped: unknown;
  // One handler for every request of the batch, not a closure per put: a 1000-entry batch is
  // otherwise 1000 more functions allocated inside the write.
  const failed = (event: Event) => errors.push((event.target as IDBRequest).error);
  const put = (store: IDBObjectStore, value: unknown) => {
    try {
      store.put(value).onerror = failed;
    } catch (error) {
      // Not storable (a value structured clone refuses): skip it, keep the rest of the batch.
      skipped = error;
    }
  };
  try {
    for (const op of ops) {
      if (op.type === 'put') put(entries, op.pending.record);
      else if (op.type === 'delete') for (const { key } of op.pendings) entries.delete(key);
      else if (op.type === 'clear') await clearIn(entries, op, scopes);
      else if (op.type === 'scopes') await putScopes(scopes(), op.records, put);
      else if (op.type === 'unscope') for (const key of op.keys) scopes().delete(key);
      else await touchIn(entries, op.at);
    }
  } catch (error) {
    errors.push(error);
    try {
      tx.abort();
    } catch {
      // Already aborting.
    }
  }
  await done;
  return skipped;
}

/**
 * Writes scope records, except over a stored one of a newer numeric token (or a token where the
 * record has none): the store is shared by every tab, and a tab that has not heard of a change
 * yet (its message still on the way) must not put an older version on disk, or the next page
 * load would take the older version's entries as current and show what was deleted.
 */
async function putScopes(
  store: IDBObjectStore,
  records: readonly ScopeRecord[],
  put: (store: IDBObjectStore, value: unknown) => void,
): Promise<void> {
  const stored = await Promise.all(records.map((r) => request(store.get([r.namespace, r.scope]))));
  records.forEach((record, i) => {
    const held = fromScopeRecord(stored[i])?.token;
    if (held !== undefined && (record.token === undefined || compareTokens(held, record.token) > 0)) return;
    put(store, record);
  });
}

/** Deletes what a clear selects: all at once, or by index (see `selectKeys`). */
async function clearIn(entries: IDBObjectStore, op: ClearOp, scopes: () => IDBObjectStore): Promise<void> {
  const { filter } = op;
  if (op.scopes === true) scopes().clear();
  else if (op.scopes !== undefined) scopes().delete(IDBKeyRange.bound([op.scopes], [op.scopes, []]));
  if (!filter || (filter.namespace === undefined && !filter.urls && !filter.where)) {
    entries.clear();
    return;
  }
  const { namespace, urls } = filter;
  if (op.removed && urls && namespace !== undefined && !filter.where) {
    for (const url of new Set(urls)) {
      // Both queued now, answered in order: the listing sees what the delete removes, and
      // nothing waits for it before the commit.
      const range = clientKeys(namespace, url);
      void request(entries.getAllKeys(range)).then((keys) => op.removed!.push(...keys.map(String)), ignore);
      entries.delete(range);
    }
    return;
  }
  // Unreadable records the filter meets cannot be told apart from matching ones: they go too.
  const corrupt: string[] = [];
  const keys = await selectKeys(entries, filter, corrupt);
  for (const key of [...keys, ...corrupt]) entries.delete(key);
  op.removed?.push(...keys, ...corrupt);
}

const ignore = () => undefined;

/**
 * Every key the client gives the entries of one URL, as one key range: `["<namespace>","GET","<url>"]`
 * and its variants, `["<namespace>","GET","<url>",…]` (core/cacheKey.ts). Past the URL's closing
 * quote a key of the client's has `]` or `,`, so the range holds no other URL's entries. A record
 * of the URL under another key (written by other code) is never read by the client either.
 */
export function clientKeys(namespace: string, url: string): IDBKeyRange {
  const open = JSON.stringify([namespace, 'GET', url]).slice(0, -1);
  return IDBKeyRange.bound(`${open},`, `${open}]`);
}

/** Moves `accessedAt` on for entries read since the last batch, leaving everything else as stored. */
async function touchIn(store: IDBObjectStore, at: Map<string, number>): Promise<void> {
  const keys = [...at.keys()];
  const values = await Promise.all(keys.map((key) => request(store.get(key))));
  values.forEach((value, i) => {
    const entry = fromRecord(value);
    const time = at.get(keys[i]!)!;
    if (entry && entry.key === keys[i] && entry.accessedAt < time) {
      entry.accessedAt = time;
      store.put(toRecord(entry));
    }
  });
}

/**
 * What a batch still does when entries can no longer be added: puts become deletes (an older copy
 * on disk must not outlive a newer one that only memory holds), scope marks become deletes of
 * the scope record (which kills the scope's persisted entries), touches go.
 */
export function shrink(ops: readonly Op[]): Op[] {
  const out: Op[] = [];
  for (const op of ops) {
    if (op.type === 'put') out.push({ type: 'delete', pendings: [op.pending] });
    else if (op.type === 'scopes') out.push({ type: 'unscope', keys: op.records.map((r) => [r.namespace, r.scope]) });
    else if (op.type !== 'touch') out.push(op);
  }
  return out;
}
