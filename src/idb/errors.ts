/** Error classification: browsers disagree on how IndexedDB failures are named and wrapped. */

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
}

const asErrorLike = (error: unknown): ErrorLike | undefined =>
  typeof error === 'object' && error !== null ? (error as ErrorLike) : undefined;

/**
 * True when any of the errors says the origin is out of storage. Chromium reports it on the
 * transaction (`tx.error`) while the requests get a plain `AbortError`; Firefox has its own name;
 * Safari has sent `AbortError` or `UnknownError` with "quota" only in the message; and a wrapper
 * may hide it in `cause`. So every error seen for a transaction is passed here, not just the first.
 */
export function isQuotaError(...errors: unknown[]): boolean {
  return errors.some((error) => quota(error, 0));
}

function quota(error: unknown, depth: number): boolean {
  const e = asErrorLike(error);
  if (!e || depth > 3) return false;
  if (e.name === 'QuotaExceededError' || e.name === 'NS_ERROR_DOM_QUOTA_REACHED' || e.code === 22) return true;
  if ((e.name === 'AbortError' || e.name === 'UnknownError') && typeof e.message === 'string' && /quota/i.test(e.message)) return true;
  return quota(e.cause, depth + 1);
}

/**
 * True when the connection was closed under us: `transaction()` on a closing connection throws
 * `InvalidStateError`, and a connection the browser terminates aborts what was in flight.
 */
export function isClosingError(error: unknown): boolean {
  const e = asErrorLike(error);
  return e?.name === 'InvalidStateError' || (e?.name === 'AbortError' && typeof e.message === 'string' && /clos/i.test(e.message));
}

export function describe(error: unknown): string {
  const e = asErrorLike(error);
  if (!e) return String(error);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  return typeof e.message === 'string' && e.message ? `${name}: ${e.message}` : name;
}
