/**
 * The page's signals, read only when used so that importing works in Node (SSR, Vitest): whether
 * the tab is visible and online, and its `visibilitychange` / `online` / `offline` events. With no
 * `document` (Node, a worker) the page counts as visible; with no `navigator.onLine`, as online.
 */

/** True unless the tab is hidden. */
export const isVisible = (): boolean => globalThis.document?.visibilityState !== 'hidden';

/** True unless the browser says it is offline. */
export const isOnline = (): boolean => globalThis.navigator?.onLine !== false;

/** What the page tells the revalidator. */
export interface PageEvents {
  visible(): void;
  hidden(): void;
  online(): void;
  offline(): void;
}

/** Listens to the page's visibility and connectivity; returns the function removing every listener. */
export function listen(events: PageEvents): () => void {
  const doc = globalThis.document;
  const win = typeof globalThis.addEventListener === 'function' ? globalThis : undefined;
  const onVisibility = () => (isVisible() ? events.visible() : events.hidden());
  const onOnline = () => events.online();
  const onOffline = () => events.offline();
  doc?.addEventListener('visibilitychange', onVisibility);
  win?.addEventListener('online', onOnline);
  win?.addEventListener('offline', onOffline);
  return () => {
    doc?.removeEventListener('visibilitychange', onVisibility);
    win?.removeEventListener('online', onOnline);
    win?.removeEventListener('offline', onOffline);
  };
}
