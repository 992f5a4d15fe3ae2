import type { Core } from './context.js';
import { httpError } from './errors.js';
import { wait } from './util.js';
import { parseHttpDate } from './httpDate.js';

/** How a client waits and tries again: read failures, lagging replicas, a suspected counter reset. */
export interface RetryOptions {
  /**
   * Tries after the first one: of a read that failed on the network, with a 5xx or a 429, or that a
   * lagging replica answered with an older version; and of an unsafe `fetch` carrying an
   * `Idempotency-Key`. 0 fails at once.
   *
   * @default 2
   * @example
   * ```ts
   * createClient({ retry: { retries: 4 } });
   * ```
   */
  retries?: number;
  /**
   * First wait in ms, doubled for each further try, each wait drawn at random between its half and
   * itself (jitter, so that clients that failed together do not come back together).
   *
   * @default 200
   * @example
   * ```ts
   * createClient({ retry: { delay: 500 } });
   * ```
   */
  delay?: number;
  /**
   * Longest wait in ms. A `Retry-After` asking for longer is not waited for: the read fails at once.
   *
   * @default 5000
   * @example
   * ```ts
   * createClient({ retry: { maxDelay: 2000 } });
   * ```
   */
  maxDelay?: number;
}

/** Sleeps `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return wait(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), { signal, left: () => clearTimeout(timer) });
}

/** The n-th backoff (from 0): `delay · 2ⁿ`, capped at `maxDelay`, jittered into its upper half. */
export const backoff = (core: Core, n: number): number =>
  Math.min(core.retry.maxDelay, core.retry.delay * 2 ** n) * (0.5 + Math.random() / 2);

/**
 * Decides whether try `attempt` (from 0) of a request to `url` is worth another, and if so waits
 * for it (reported as a `retry` event). Worth it: a network error, a 5xx or a 429, while retries
 * are left, `signal` has not aborted, and `Retry-After` asks for no more than `maxDelay`. Rejects
 * when `signal` aborts while waiting.
 */
export async function retrying(
  core: Core,
  attempt: number,
  url: string,
  failure: Response | Error,
  signal?: AbortSignal | null,
): Promise<boolean> {
  const { status, headers } = failure as Partial<Response>;
  const after = headers?.get('retry-after');
  // Seconds or an HTTP-date (RFC 9110 §10.2.3); a malformed one only means waiting the backoff instead.
  const asked = after ? +after * 1000 || parseHttpDate(after, core.now()) - core.now() || 0 : 0;
  if (
    signal?.aborted ||
    attempt >= core.retry.retries ||
    asked > core.retry.maxDelay ||
    (status ? status < 500 && status !== 429 : (failure as Error).name !== 'NetworkError')
  )
    return false;
  const delay = Math.max(asked, backoff(core, attempt));
  const error = status ? httpError(status, url) : (failure as Error);
  core.tally(undefined, () => ({ type: 'retry', url, attempt: attempt + 1, delay, error }));
  await sleep(delay, signal);
  return true;
}
