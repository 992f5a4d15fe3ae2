export { createClient } from './client.js';
export type { Client, ClientOptions, GetOptions, InvalidateTarget, Route, Channel, ChannelMessage } from './client.js';
export { MemoryStore, type MemoryStoreOptions } from './memoryStore.js';
export { HttpError, NetworkError, NostaleError, ParseError, StaleVersionError, TimeoutError } from './errors.js';
export type { CacheEntry, CacheEvent, CacheStats, EntryFilter, MaybePromise, ScopeRecord, Store } from './types.js';
export type { CacheEventListener } from './monitor.js';
