/** Helpers every part of nostale shares, written once. */

export const decoder = /* @__PURE__ */ new TextDecoder();

/** A stored body as text. */
export const textOf = (body: string | ArrayBuffer): string => (typeof body === 'string' ? body : decoder.decode(body));

/** JSON when it parses, the text otherwise, `undefined` when empty: how error and mutation bodies are shown. */
export function jsonOrText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Calls each listener; one that throws is the app's problem and must not stop the others or the caller. */
export function notify<E>(listeners: Iterable<(event: E) => void>, event: E): void {
  for (const listener of listeners) {
    try {
      listener(event);
    } catch {
      /* isolated on purpose */
    }
  }
}

/** A set of listeners: `on` returns the unsubscribe function. */
export function listeners<E>() {
  const set = new Set<(event: E) => void>();
  return {
    set,
    on(listener: (event: E) => void): () => void {
      set.add(listener);
      return () => void set.delete(listener);
    },
    announce: (event: E) => notify(set, event),
  };
}

/** Runs `say` for the first `code` only. */
export function once(): (code: string, say: () => void) => void {
  const said = new Set<string>();
  return (code, say) => {
    if (!said.has(code)) {
      said.add(code);
      say();
    }
  };
}

export interface WaitOptions {
  signal?: AbortSignal | null | undefined;
  /** Gives up after this many ms (0 or undefined: never), rejecting with `timedOut()`. */
  ms?: number | undefined;
  timedOut?: () => unknown;
  /** Told when the wait gives up (abort or timeout) before `work` settled. */
  left?: (reason: unknown) => void;
}

/**
 * Settles with `work`, unless the signal aborts or the time runs out first. Enforced here, not by
 * whoever does the work: a `fetch` or request function may ignore its signal.
 */
export function wait<T>(work: T | Promise<T>, { signal, ms, timedOut, left }: WaitOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const give = (reason: unknown) => {
      done();
      left?.(reason);
      reject(reason);
    };
    const onAbort = () => give(signal!.reason);
    const timer = ms ? setTimeout(() => give(timedOut?.()), ms) : undefined;
    if (signal?.aborted) return give(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(work).then(resolve, reject).finally(done);
  });
}
