/**
 * Base of every error nostale throws, so `instanceof NostaleError` catches them all. Subclasses
 * only declare their fields: one constructor assigns them, which keeps the core small.
 */
export class NostaleError extends Error {
  override name = 'NostaleError';
  /** The URL the failed operation was about. */
  declare readonly url: string;
  constructor(message: string, details: object, options?: { cause?: unknown }) {
    super(message, options);
    Object.assign(this, details);
  }
}

/** The server answered with a status outside 200-299. `body` is the decoded JSON or the text. */
export class HttpError extends NostaleError {
  override name = 'HttpError';
  declare readonly status: number;
  declare readonly body: unknown;
}

/** The request never got an answer: offline, DNS, CORS, connection reset. `cause` says why. */
export class NetworkError extends NostaleError {
  override name = 'NetworkError';
}

/** No answer within the `timeout` option (ms). */
export class TimeoutError extends NostaleError {
  override name = 'TimeoutError';
  declare readonly timeout: number;
}

/** The body could not be decoded as asked (e.g. malformed JSON). `text` is what arrived. */
export class ParseError extends NostaleError {
  override name = 'ParseError';
  declare readonly text: string;
}

/**
 * The server kept answering with a version older than one the client had already seen for the
 * scope (e.g. a lagging replica): serving it would show data the user already saw change.
 */
export class StaleVersionError extends NostaleError {
  override name = 'StaleVersionError';
  declare readonly scope: string;
  declare readonly version: string | undefined;
}
