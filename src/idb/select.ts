import { matches } from '../filter.js';
import type { EntryFilter } from '../types.js';
import { fromRecord } from './record.js';
import { request } from './request.js';

/** Every `[namespace, url]` key of one namespace: arrays sort after strings. */
const namespaceRange = (namespace: string) => IDBKeyRange.bound([namespace], [namespace, []]);

/** The namespaces present, one index seek each (there are few: the users of one device). */
async function namespaces(index: IDBIndex): Promise<string[]> {
  const out: string[] = [];
  const cursors = index.openKeyCursor();
  await new Promise<void>((resolve, reject) => {
    cursors.onerror = () => reject(cursors.error);
    cursors.onsuccess = () => {
      const cursor = cursors.result;
      if (!cursor) return resolve();
      const namespace = (cursor.key as [string, string])[0];
      out.push(namespace);
      cursor.continue([namespace, []]);
    };
  });
  return out;
}

/**
 * The primary keys of the records `filter` selects, in `store`'s transaction, by the `url`
 * index whenever the filter names a namespace or URLs: exact-URL invalidation and logout never
 * scan. Records are read only when `where` needs them; those that fail the shape check are
 * added to `corrupt` and never selected.
 */
export async function selectKeys(store: IDBObjectStore, filter: EntryFilter | undefined, corrupt: string[]): Promise<string[]> {
  const index = store.index('url');
  const ranges: (IDBKeyRange | null)[] = [];
  if (filter?.urls) {
    const urls = [...new Set(filter.urls)];
    const names = filter.namespace === undefined ? await namespaces(index) : [filter.namespace];
    for (const namespace of names) for (const url of urls) ranges.push(IDBKeyRange.only([namespace, url]));
  } else ranges.push(filter?.namespace === undefined ? null : namespaceRange(filter.namespace));
  const source = ranges[0] === null ? store : index;
  if (!filter?.where) {
    const found = await Promise.all(ranges.map((range) => request(source.getAllKeys(range))));
    return found.flat() as string[];
  }
  const out: string[] = [];
  const values = await Promise.all(ranges.map((range) => request(source.getAll(range))));
  for (const value of values.flat()) {
    const entry = fromRecord(value);
    if (!entry) corrupt.push(String((value as { key?: unknown } | null)?.key));
    else if (matches(entry, filter)) out.push(entry.key);
  }
  return out;
}
