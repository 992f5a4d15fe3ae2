import type { CacheEvent } from '../types.js';

const MAX_BUFFERED_EVENTS = 100;

/**
 * Where the store's events go: buffered until the client attaches (the store opens before the
 * client exists), isolated from the listener's own failures, warnings once per code.
 */
export class Reporter {
  private listener: ((event: CacheEvent) => void) | undefined;
  private buffered: CacheEvent[] = [];
  private readonly warned = new Set<string>();

  attach(listener: (event: CacheEvent) => void): void {
    this.listener = listener;
    const buffered = this.buffered;
    this.buffered = [];
    for (const event of buffered) this.report(event);
  }

  report(event: CacheEvent): void {
    if (!this.listener) {
      if (this.buffered.length < MAX_BUFFERED_EVENTS) this.buffered.push(event);
      return;
    }
    try {
      this.listener(event);
    } catch {
      // The listener is the app's; its failure must not break a cache operation.
    }
  }

  /** Once per code: a broken database would otherwise repeat the same warning on every call. */
  warn(code: string, message: string): void {
    if (this.warned.has(code)) return;
    this.warned.add(code);
    this.report({ type: 'warning', code, message });
  }
}
