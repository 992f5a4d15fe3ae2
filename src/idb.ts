/**
 * `nostale/idb`: a persistent tier for the client, over IndexedDB, and the memory tier that goes
 * on top of it.
 *
 * ```ts
 * import { createClient } from 'nostale';
 * import { idbStore, tieredStore } from 'nostale/idb';
 *
 * const store = tieredStore(idbStore({ build: BUILD_ID }), { build: BUILD_ID });
 * const client = createClient({ store, build: BUILD_ID, namespace: userId });
 * ```
 *
 * See docs/idb.md for the failure modes and what the store does about each.
 */
import { IdbStoreImpl, type IdbStore, type IdbStoreOptions } from './idb/store.js';

export type { IdbStore, IdbStoreOptions } from './idb/store.js';
export { DB_VERSION } from './idb/schema.js';
export { tieredStore, type TieredStoreOptions } from './tiered.js';

/** A persistent `Store` over IndexedDB. It opens at once; every failure falls back, none throws. */
export function idbStore(options?: IdbStoreOptions): IdbStore {
  return new IdbStoreImpl(options);
}
