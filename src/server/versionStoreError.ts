/**
 * A version store did not answer (down, timed out) or answered something that is not a token.
 * The companions catch it on requests and degrade; `touch()` lets it reach the caller, since a
 * background job must know its bump did not happen.
 */
export class VersionStoreError extends Error {
  override name = 'VersionStoreError';
  /** The scope the failed operation was about. */
  readonly scope: string;
  constructor(message: string, scope: string, options?: { cause?: unknown }) {
    super(message, options);
    this.scope = scope;
  }
}
