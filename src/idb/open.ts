import { wrap, type IDBPDatabase } from 'idb';
import { DB_VERSION, hasLayout, upgrade, type NostaleSchema } from './schema.js';

export type Database = IDBPDatabase<NostaleSchema>;

export interface OpenOptions {
  factory: IDBFactory;
  name: string;
  /** Give up waiting after this many ms. */
  timeout: number;
  /** Our upgrade waits for another tab to close an older connection. */
  onBlocked(): void;
  /** Another tab wants to upgrade or delete the database: this connection must close. */
  onVersionChange(db: IDBDatabase): void;
  /** The browser closed the connection (storage cleared, disk error). */
  onTerminated(db: IDBDatabase): void;
  /** A migration dropped a record it could not carry over. */
  onDropped(key: string): void;
}

export type Opened =
  | { db: Database; native: IDBDatabase }
  | { error: unknown }
  /** `late` settles with the connection if the open ever succeeds, undefined if it fails. */
  | { timedOut: true; late: Promise<IDBDatabase | undefined> };

/**
 * Opens (creating or upgrading) the database, never waiting longer than `timeout`: some WebKit
 * versions leave a first open pending forever, and an upgrade stays blocked for as long as
 * another tab keeps an older connection. An upgrade that fails is answered by deleting the
 * database and opening once more: a cache may always start empty, it may not stay broken.
 */
export async function openDatabase(options: OpenOptions): Promise<Opened> {
  let upgradeFailed = false;
  const attempt = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      // The executor turns a synchronous throw of `open` (sandboxed frames, old private modes)
      // into a rejection like any other failure.
      const request = options.factory.open(options.name, DB_VERSION);
      request.onupgradeneeded = (event) =>
        upgrade(request.result, request.transaction!, event.oldVersion, {
          dropped: options.onDropped,
          failed: () => (upgradeFailed = true),
        });
      request.onblocked = () => options.onBlocked();
      request.onerror = () => reject(request.error);
      request.onsuccess = () => {
        const db = request.result;
        // Listening before anything can await: a versionchange may follow at once.
        db.onversionchange = () => options.onVersionChange(db);
        db.onclose = () => options.onTerminated(db);
        if (hasLayout(db)) return resolve(db);
        db.close();
        reject(new Error(`IndexedDB database "${options.name}" holds another layout; give idbStore another name`));
      };
    });
  const connection = attempt().catch(async (error: unknown) => {
    if (!upgradeFailed) throw error;
    upgradeFailed = false;
    await deleteDatabase(options.factory, options.name);
    return attempt();
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeout)));
  const outcome = await Promise.race([
    connection.then(
      (native) => ({ native }),
      (error: unknown) => ({ error }),
    ),
    timedOut,
  ]);
  clearTimeout(timer);
  if (outcome === 'timeout') return { timedOut: true, late: connection.catch(() => undefined) };
  if ('error' in outcome) return outcome;
  return { native: outcome.native, db: wrap(outcome.native) as unknown as Database };
}

function deleteDatabase(factory: IDBFactory, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}
