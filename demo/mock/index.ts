// The browser-only entry (`startMockWorker`) lives in ./browser so Node tests never load msw/browser.
export { createHandlers, type MockApiOptions } from './handlers';
export { createDemoDb, resetDemoData, type DemoDb, type DemoDbOptions, type NewEvent, type TimeRange } from './db';
export { CONTROLS_KEY, DEFAULT_CONTROLS, getControls, resetControls, setControls, takeFailNext, type NetworkControls } from './controls';
export { generateSampleEvents, type SampleDataOptions } from './sampleData';
export { createMemoryStorage, defaultStorage, STORAGE_PREFIX, type KeyValueStorage } from './storage';
export { DEMO_USERS, EVENT_KINDS, type DemoEvent, type DemoUser, type EventKind } from './model';
export {
  EXPOSE_HEADERS,
  FEED_CACHE_CONTROL,
  NAIVE_FEED_CACHE_CONTROL,
  RANGE_CACHE_HEADER,
  VERSION_HEADER,
  type ApiError,
} from './responses';
export { createRangeCache, RANGE_CACHE_KEY, RANGE_CACHE_TTL_MS, type RangeCache } from './rangeCache';
export type { BeforeRespond } from './pipeline';
