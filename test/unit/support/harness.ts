import { http } from 'msw';
import { setupServer, type SetupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createClient, type CacheEvent, type ClientOptions } from '../../../src/index.js';

export const API = 'http://api.test';

/** One MSW server for the file; handlers are added per test with `server.use`. */
export function useServer() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** A client with a hand-driven clock and a record of every request and event. */
export function makeClient(options: ClientOptions = {}) {
  const clock = { now: 1_000_000 };
  /** Every request the client sent, as the server sees it: method and URL whatever the input's form. */
  const requests: { url: string; method: string; init: RequestInit | undefined }[] = [];
  const events: CacheEvent[] = [];
  const client = createClient({
    baseUrl: `${API}/`,
    now: () => clock.now,
    fetch: (input, init) => {
      const request = input instanceof Request ? input : undefined;
      requests.push({ url: request?.url ?? String(input), method: init?.method ?? request?.method ?? 'GET', init });
      return globalThis.fetch(input, init);
    },
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { client, clock, requests, events, tick: (ms: number) => (clock.now += ms) };
}

/** A promise with its resolver outside, to hold a response until the test lets it go. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Holds the demo backend's DELETEs of one of alice's events until the gate opens, then lets it answer. */
export function holdDelete(server: SetupServer, id: string) {
  const hold = gate();
  server.use(
    http.delete(`${API}/api/users/alice/events/${id}`, async () => {
      await hold.opened;
      // Returning nothing passes the request on to the demo handler.
    }),
  );
  return hold;
}
