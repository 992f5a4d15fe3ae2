import { setupWorker, type SetupWorker, type StartOptions } from 'msw/browser';
import { createHandlers, type MockApiOptions } from './handlers';

export interface StartMockWorkerOptions extends MockApiOptions {
  /** Where the page can load MSW's worker script (`npx msw init <publicDir>` puts it there). */
  workerUrl?: string;
  /** Overrides for `worker.start()`, e.g. a narrower `serviceWorker.options.scope`. */
  start?: StartOptions;
}

/** Starts the mock backend in the page. Requests it has no handler for go to the network. */
export async function startMockWorker(options: StartMockWorkerOptions = {}): Promise<SetupWorker> {
  const { workerUrl = '/mockServiceWorker.js', start, ...api } = options;
  const worker = setupWorker(...createHandlers(api));
  await worker.start({
    onUnhandledRequest: 'bypass',
    quiet: true,
    ...start,
    serviceWorker: { url: workerUrl, ...start?.serviceWorker },
  });
  return worker;
}
