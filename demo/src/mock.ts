import type { SetupWorker } from 'msw/browser';
import { startMockWorker } from '../mock/browser';
import { buildOf, workerUrl } from './config';

/**
 * Starts the mock backend in this page, through the app's own service worker (`sw.js`, which
 * imports MSW's worker script). MSW looks for its worker among the registrations by script URL;
 * the URL carries the build (`sw.js?build=3`), so the page asks for the build it runs, and
 * `findWorker` compares path and build rather than the raw strings.
 */
export function startMock(build: string): Promise<SetupWorker> {
  const url = workerUrl(build);
  return startMockWorker({
    workerUrl: url,
    start: {
      quiet: true,
      onUnhandledRequest: 'bypass',
      findWorker: (scriptUrl, mockServiceWorkerUrl) => sameScript(scriptUrl, mockServiceWorkerUrl) && buildOf(scriptUrl) === build,
    },
  });
}

function sameScript(a: string, b: string): boolean {
  const x = new URL(a);
  const y = new URL(b);
  return x.origin === y.origin && x.pathname === y.pathname;
}
