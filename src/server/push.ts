import type { VersionFeed } from './versionFeed.js';
import type { Versioning } from './versioning.js';

export interface PushOptions {
  /**
   * Milliseconds between keep-alive comments, which stop proxies from closing an idle stream.
   * @default 25000
   * @example { heartbeat: 15_000 }
   */
  heartbeat?: number;
  /**
   * Reconnection delay suggested to `EventSource`, in ms.
   * @default 3000
   * @example { retry: 10_000 }
   */
  retry?: number;
}

/** Headers of a server-sent-events answer: never cached, never buffered by nginx. */
export const PUSH_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
};

const encoder = new TextEncoder();
const event = (scope: string, version: string) => encoder.encode(`event: version\ndata: ${JSON.stringify({ scope, version })}\n\n`);

/**
 * A server-sent-events stream of `{scope, version}` for `scopes`: the current versions first, on
 * every (re)connect, so a client that missed bumps while disconnected catches up; then each bump
 * as the feed reports it. Subscribes before reading the current versions, so a bump landing in
 * between is sent (perhaps twice; the client ignores a token it already has).
 */
export function versionEvents(
  versioning: Versioning,
  feed: VersionFeed,
  scopes: readonly string[],
  signal: AbortSignal | undefined,
  options: PushOptions = {},
): ReadableStream<Uint8Array> {
  const wanted = new Set(scopes);
  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let open = true;
      const send = (chunk: Uint8Array) => {
        if (open) controller.enqueue(chunk);
      };
      const unsubscribe = feed.subscribe((scope, token) => wanted.has(scope) && send(event(scope, token)));
      const timer = setInterval(() => send(encoder.encode(': keep-alive\n\n')), options.heartbeat ?? 25_000);
      cleanup = () => {
        if (!open) return;
        open = false;
        unsubscribe();
        clearInterval(timer);
      };
      signal?.addEventListener('abort', () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // Already closed by the reader's cancel.
        }
      });
      send(encoder.encode(`retry: ${options.retry ?? 3000}\n\n`));
      for (const scope of wanted) {
        try {
          send(event(scope, await versioning.current(scope)));
        } catch {
          // Logged by versioning.current; the client revalidates on its own meanwhile.
        }
      }
    },
    cancel() {
      cleanup();
    },
  });
}
