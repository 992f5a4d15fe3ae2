/** Base of every error nostale throws, so `instanceof NostaleError` catches them all. */
export class NostaleError extends Error {
  override name = 'NostaleError';
}

/** The server answered with a status outside 200-299. `body` is the decoded JSON or the text. */
export class HttpError extends NostaleError {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly url: string,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''} for ${url}`);
  }
}

/** The request never got an answer: offline, DNS, CORS, connection reset. */
export class NetworkError extends NostaleError {
  override name = 'NetworkError';
  constructor(readonly url: string, options?: { cause?: unknown }) {
    super(`Network request failed for ${url}`, options);
  }
}

/** No answer within the `timeout` option. */
export class TimeoutError extends NostaleError {
  override name = 'TimeoutError';
  constructor(readonly url: string, readonly timeout: number) {
    super(`Request to ${url} timed out after ${timeout} ms`);
  }
}

/** The body could not be decoded as asked (e.g. malformed JSON). `text` is what arrived. */
export class ParseError extends NostaleError {
  override name = 'ParseError';
  constructor(readonly url: string, readonly text: string, options?: { cause?: unknown }) {
    super(`Malformed response body from ${url}`, options);
  }
}

/**
 * The server kept answering with a version older than one the client had already seen for the
 * scope (e.g. a lagging replica): serving it would show data the user already saw change.
 */
export class StaleVersionError extends NostaleError {
  override name = 'StaleVersionError';
  constructor(readonly url: string, readonly scope: string, readonly version: string | undefined) {
    super(`Response for ${url} carries an older version of scope "${scope}" than the client knows`);
  }
}
