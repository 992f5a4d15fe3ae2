import { http, type HttpHandler } from 'msw';
import { createDemoDb, type DemoDbOptions } from './db';
import { createEvent, deleteEvent, getVersion, listEvents, listEventsNaive, updateEvent } from './endpoints';
import { createPipeline, type BeforeRespond } from './pipeline';
import { createRangeCache } from './rangeCache';
import { defaultStorage } from './storage';

export interface MockApiOptions extends DemoDbOptions {
  /**
   * Where the API is mounted. Any origin by default, so the same handlers serve a same-origin
   * demo, a cross-origin one, and `http://localhost` in Node tests.
   */
  baseUrl?: string;
  /**
   * Awaited after a response has been computed and before it is delivered. Tests use it to hold
   * a feed response (built from the old data) until a mutation has gone through.
   */
  beforeRespond?: BeforeRespond;
}

/** The demo backend as MSW handlers, for `setupWorker` in the browser and `setupServer` in Node. */
export function createHandlers(options: MockApiOptions = {}): HttpHandler[] {
  const base = options.baseUrl ?? '*/api';
  const storage = options.storage ?? defaultStorage();
  const db = createDemoDb({ ...options, storage });
  const route = createPipeline(storage, options.beforeRespond);
  const rangeCache = createRangeCache(storage);

  return [
    http.get(`${base}/users/:user/events`, route('read', listEvents(db))),
    http.get(`${base}/users/:user/version`, route('read', getVersion(db))),
    http.get(`${base}/naive/users/:user/events`, route('read', listEventsNaive(db, rangeCache))),
    http.post(`${base}/users/:user/events`, route('mutation', createEvent(db, rangeCache))),
    http.patch(`${base}/users/:user/events/:id`, route('mutation', updateEvent(db, rangeCache))),
    http.delete(`${base}/users/:user/events/:id`, route('mutation', deleteEvent(db, rangeCache))),
  ];
}
