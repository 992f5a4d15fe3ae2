/**
 * A hand-driven origin: every request the client sends is held until the test answers it, so
 * answers can arrive late, out of order, or never. `auto` answers at once when it returns a
 * Response; returning nothing holds the request.
 */
export interface HeldRequest {
  url: string;
  method: string;
  headers: Headers;
  signal: AbortSignal | null | undefined;
  /** Answers the request; a plain object or array is sent as JSON. */
  respond(body?: unknown, init?: ResponseInit): void;
  fail(error?: unknown): void;
}

export function origin(auto?: (request: HeldRequest) => Response | undefined, { ignoreAbort = false } = {}) {
  const requests: HeldRequest[] = [];
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const request = input instanceof Request ? input : undefined;
      const held: HeldRequest = {
        url: request?.url ?? String(input),
        method: init?.method ?? request?.method ?? 'GET',
        headers: new Headers(init?.headers ?? request?.headers),
        signal: init?.signal ?? request?.signal,
        respond(body, responseInit = {}) {
          const json = body !== null && typeof body === 'object' && !(body instanceof ReadableStream);
          const headers = new Headers(responseInit.headers);
          if (json && !headers.has('content-type')) headers.set('content-type', 'application/json');
          resolve(new Response(json ? JSON.stringify(body) : (body as BodyInit | null | undefined), { ...responseInit, headers }));
        },
        fail: (error = new TypeError('Failed to fetch')) => reject(error),
      };
      requests.push(held);
      // Like the platform's fetch, unless told to ignore its signal (some polyfills do).
      if (!ignoreAbort && held.signal) {
        if (held.signal.aborted) return reject(held.signal.reason);
        held.signal.addEventListener('abort', () => reject(held.signal!.reason), { once: true });
      }
      const answer = auto?.(held);
      if (answer) resolve(answer);
    });
  return { fetch, requests, last: () => requests[requests.length - 1]! };
}

/** Lets pending promise callbacks run (several hops: the client awaits a few times per request). */
export const settle = async (hops = 20) => {
  for (let i = 0; i < hops; i++) await Promise.resolve();
};

export const json = (body: unknown, headers: Record<string, string> = {}, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
