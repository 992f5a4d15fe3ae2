/** Tells listeners about bumps as they happen, in this process or (Redis) in any process. */
export interface VersionFeed {
  /** Calls `listener(scope, token)` for every bump from now on; returns the unsubscribe function. */
  subscribe(listener: (scope: string, token: string) => void): () => void;
}

/** A feed that is told about bumps by its owner (the memory store). */
export function localFeed(): VersionFeed & { emit(scope: string, token: string): void } {
  const listeners = new Set<(scope: string, token: string) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    emit(scope, token) {
      for (const listener of listeners) listener(scope, token);
    },
  };
}
