/**
 * Every error nostale throws, and the one place they are made. Subclasses only declare their
 * fields: one constructor assigns them, which keeps the core small.
 */

// `Symbol.for` is shared by every realm (iframes, workers' copies of the bundle), where
// `instanceof` fails: the brand is what `isNostaleError` checks.
const brand = /* @__PURE__ */ Symbol.for('nostale.error');

/** Base of every error nostale throws, so `instanceof NostaleError` (or {@link isNostaleError}) catches them all. */
export class NostaleError extends Error {
  override name = 'NostaleError';
  /** The URL the failed operation was about (`''` when it was about none). */
  declare readonly url: string;
  constructor(message: string, details: object, options?: { cause?: unknown }) {
    super(message, options);
    Object.assign(this, details);
  }
  /** @internal */
  get [brand](): true {
    return true;
  }
}

/**
 * True for any error nostale made, also one from another realm (an iframe or another copy of the
 * bundle), where `instanceof` is false.
 *
 * @example
 * ```ts
 * try { await client.get('/api/me'); } catch (error) { if (isNostaleError(error)) show(error.name); }
 * ```
 */
export const isNostaleError = (error: unknown): error is NostaleError =>
  typeof error === 'object' && error !== null && (error as { [brand]?: unknown })[brand] === true;

/** The server answered with a status outside 200-299. `body` is the decoded JSON or the text. */
export class HttpError extends NostaleError {
  override name = 'HttpError';
  declare readonly status: number;
  declare readonly body: unknown;
}

/** The request never got an answer, or its body broke off: offline, DNS, CORS, connection reset. `cause` says why. */
export class NetworkError extends NostaleError {
  override name = 'NetworkError';
}

/** No answer within the `timeout` option (ms). */
export class TimeoutError extends NostaleError {
  override name = 'TimeoutError';
  declare readonly timeout: number;
}

/** The body could not be decoded as asked (e.g. malformed JSON, an HTML page). `text` is what arrived. */
export class ParseError extends NostaleError {
  override name = 'ParseError';
  declare readonly text: string;
}

/**
 * The server kept answering with a version older than one the client had already seen for the
 * scope (e.g. a lagging replica), or a late answer could not be asked again because the namespace
 * it was sent for was switched or cleared meanwhile: serving it would show data the user already
 * saw change, or another user's.
 */
export class StaleVersionError extends NostaleError {
  override name = 'StaleVersionError';
  declare readonly scope: string;
  declare readonly version: string | undefined;
}

/**
 * The server said the answer belongs to another namespace (its `X-Cache-Namespace`, the
 * `namespaceHeader` option) than the one the request was sent in: the session the tabs share
 * changed before this tab heard of it. Nothing of the answer is stored or learned.
 */
export class NamespaceMismatchError extends NostaleError {
  override name = 'NamespaceMismatchError';
  /** The namespace the request was sent in. */
  declare readonly expected: string;
  /** The namespace the server named, decoded (as sent when it does not decode). */
  declare readonly received: string;
}

export const httpError = (status: number, url: string, body?: unknown): HttpError =>
  new HttpError(`HTTP ${status}: ${url}`, { status, url, body });
export const networkError = (url: string, cause: unknown): NetworkError => new NetworkError(`Network error: ${url}`, { url }, { cause });
export const timeoutError = (url: string, timeout: number): TimeoutError =>
  new TimeoutError(`Timed out after ${timeout} ms${url && `: ${url}`}`, { url, timeout });
export const parseError = (url: string, text: string, cause?: unknown): ParseError =>
  new ParseError(`Malformed body: ${url}`, { url, text }, { cause });
/**
 * A wait nostale set itself ran out, with what most likely went wrong (nostale/sw waiting for a new
 * worker to take control). Only subpaths use it, so the core does not pay for it.
 */
export const explainedTimeoutError = (url: string, timeout: number, why: string): TimeoutError =>
  new TimeoutError(`Timed out after ${timeout} ms: ${url}. ${why}`, { url, timeout });
/** The API used in a way it cannot work (a hook without a client, `useMutation` without `withMutations`, nostale/sw's `applyUpdate` with no update waiting). */
export const usageError = (message: string): NostaleError => new NostaleError(message, { url: '' });
