export { createClient } from './client.js';
export type { Client, ClientOptions, GetOptions, InvalidateTarget, RetryOptions, Route } from './client.js';
export { MemoryStore, type MemoryStoreOptions } from './memoryStore.js';
export {
  HttpError,
  isNostaleError,
  NamespaceMismatchError,
  NetworkError,
  NostaleError,
  ParseError,
  StaleVersionError,
  TimeoutError,
} from './core/errors.js';
export type { CacheEntry, CacheEvent, CacheStats, Change, EntryFilter, MaybePromise, ScopeRecord, Store, UrlSelection } from './types.js';
export type { CacheEventListener } from './core/emitter.js';
