/**
 * Where scope version tokens live. Implementations must be atomic across every process that
 * serves the scope, and must never hand out a token lower than one they handed out before.
 */
export interface VersionStore {
  /** The scope's current token (a decimal string), created when the scope has none yet. */
  read(scope: string): Promise<string>;
  /** Moves the scope on and returns its new token, strictly greater than any before it. */
  bump(scope: string): Promise<string>;
}
