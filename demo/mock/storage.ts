/**
 * The slice of the Web Storage API the mock backend needs. Injectable so tests can hand in
 * happy-dom's `localStorage` or an in-memory map instead of the browser's.
 */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Every key the mock writes starts with this, apart from any cache database the client keeps. */
export const STORAGE_PREFIX = 'nostale-demo:';

export function createMemoryStorage(): KeyValueStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => {
      items.set(key, String(value));
    },
    removeItem: (key) => {
      items.delete(key);
    },
  };
}

let fallback: KeyValueStorage | undefined;

/**
 * `localStorage` when the runtime has one, so every tab and a reload share the data like a real
 * backend; otherwise (plain Node) one in-memory store per process.
 */
export function defaultStorage(): KeyValueStorage {
  try {
    if (typeof localStorage !== 'undefined') return localStorage;
  } catch {
    // Access can throw (sandboxed iframes, Node's flag-gated localStorage); fall back.
  }
  fallback ??= createMemoryStorage();
  return fallback;
}

export function readJson(storage: KeyValueStorage, key: string): unknown {
  const raw = storage.getItem(key);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

export function writeJson(storage: KeyValueStorage, key: string, value: unknown): void {
  storage.setItem(key, JSON.stringify(value));
}
